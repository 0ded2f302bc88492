// Lighthouse over several pages in one Node.js process with one Chromium, for
// tests/browser/test_lighthouse.py. Usage: node run.mjs JOB.json, where JOB.json is
//   {"chrome": "/usr/bin/chromium", "flags": [...], "headers": {...},
//    "pages": {"name": "http://...", ...}, "out": "/dir"}
// and writes out/NAME.json (Lighthouse's result) and out/NAME.html (its report) for
// each page, one page after another in the same browser. Lighthouse's defaults stand:
// a phone (mobile form factor) with simulated throttling.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const started = Date.now();
const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
mkdirSync(job.out, { recursive: true });
const chrome = await chromeLauncher.launch({
  chromePath: job.chrome,
  chromeFlags: job.flags,
  logLevel: "silent",
});
console.error(`chromium: ${Date.now() - started} ms`);
try {
  for (const [name, url] of Object.entries(job.pages)) {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: ["json", "html"],
      logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"],
      extraHeaders: job.headers,
      // A server on loopback is quiet at once: wait a quarter of Lighthouse's default
      // second for it (simulated throttling computes the metrics from the trace all
      // the same), and leave out the full-page screenshot.
      pauseAfterFcpMs: 250,
      pauseAfterLoadMs: 250,
      networkQuietThresholdMs: 250,
      cpuQuietThresholdMs: 250,
      disableFullPageScreenshot: true,
    });
    if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
    const [json, html] = result.report;
    writeFileSync(join(job.out, `${name}.json`), json);
    writeFileSync(join(job.out, `${name}.html`), html);
    console.error(`${name}: ${Date.now() - started} ms`);
  }
} finally {
  await chrome.kill();
}
