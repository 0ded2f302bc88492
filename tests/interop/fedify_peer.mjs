// A fediverse account served by Fedify (an independent ActivityPub framework from
// npm, pinned in tests/interop/package.json), for
// tests/integration/test_fediverse_interop.py. Fedify looks the hub up (its handle, its
// actor and an event, with signed fetches), follows it, and verifies with its own code
// the signatures of what the hub sends to its inbox.
//
// Loopback only. WebFinger for an acct: handle is always asked over https (RFC 7033);
// the hub in the test serves plain http on loopback, so https://127.0.0.1:PORT requests
// are sent to http://127.0.0.1:PORT, the same process, and nothing else is touched.
//
// JSON lines: out {"ready": actorId}; in {"lookup": x} -> out {"found": object};
// in {"follow": hubActorUrl} -> out {"sent": "Follow"};
// out {"received": activity} for each activity whose signature Fedify verified.
// Fedify's base64 (byte-encodings) calls ArrayBuffer.prototype.transfer, which Node has
// from version 21 on; Debian's Node 20 gets this plain copy, which is what it does.
if (!ArrayBuffer.prototype.transfer) {
  ArrayBuffer.prototype.transfer = function (length = this.byteLength) {
    const moved = new ArrayBuffer(length);
    new Uint8Array(moved).set(new Uint8Array(this, 0, Math.min(length, this.byteLength)));
    return moved;
  };
}
const http = await import("node:http");
const readline = await import("node:readline");
const {
  Accept, Create, Delete, Follow, MemoryKvStore, Person, Reject, Update,
  createFederation, generateCryptoKeyPair, lookupObject,
} = await import("@fedify/fedify");

const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url.startsWith("https://127.0.0.1:")) {
    const plain = "http://" + url.slice("https://".length);
    return realFetch(input instanceof Request ? new Request(plain, input) : plain, init);
  }
  return realFetch(input, init);
};

const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true,
  firstKnock: "draft-cavage-http-signatures-12",
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "fe") return null;
    const [pair] = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fe",
      inbox: ctx.getInboxUri(identifier),
      publicKey: pair.cryptographicKey,
    });
  })
  .setKeyPairsDispatcher(async () => [keys]);

const report = async (activity) => {
  say({ received: await activity.toJsonLd({ format: "compact" }) });
};
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, (ctx, a) => report(a))
  .on(Reject, (ctx, a) => report(a))
  .on(Create, (ctx, a) => report(a))
  .on(Update, (ctx, a) => report(a))
  .on(Delete, (ctx, a) => report(a));

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const { port } = server.address();
  const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
    method: req.method,
    headers: Object.entries(req.headers).flatMap(([k, v]) =>
      Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]),
    body: ["GET", "HEAD"].includes(req.method) ? undefined : Buffer.concat(chunks),
  });
  const response = await federation.fetch(request, { contextData: undefined });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const ctx = federation.createContext(new URL(base), undefined);
// Fetches signed with the account's key (servers in "authorized fetch" mode want it).
const documentLoader = await ctx.getDocumentLoader({ identifier: "fe" });
say({ ready: ctx.getActorUri("fe").href });

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = JSON.parse(line);
  try {
    if (command.lookup) {
      const found = await lookupObject(command.lookup, {
        documentLoader, contextLoader: ctx.contextLoader, allowPrivateAddress: true,
      });
      say({ found: found ? await found.toJsonLd({ format: "compact" }) : null });
    } else if (command.follow) {
      const hub = await lookupObject(command.follow, { documentLoader });
      await ctx.sendActivity({ identifier: "fe" }, hub, new Follow({
        id: new URL(`${base}/users/fe#follow`),
        actor: ctx.getActorUri("fe"),
        object: hub.id,
      }), { immediate: true });
      say({ sent: "Follow" });
    }
  } catch (error) {
    say({ error: String(error) });
  }
}
server.close();
