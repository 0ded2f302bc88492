"""Watching a real node under attack: its memory, its open files and its /healthz."""

from __future__ import annotations

import os
import threading
import time
import urllib.request
from pathlib import Path

from tests.integration.network import Hub

RSS_LIMIT = 150 * 1000 * 1000  # bytes
HEALTH_LIMIT = 1.0  # seconds


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class Watch:
    """Samples the node's RSS every 50 ms and times /healthz every 250 ms, until stopped."""

    def __init__(self, hub: Hub) -> None:
        assert hub.process is not None
        self.pid = hub.process.proc.pid
        self.url = hub.url + "/healthz"
        self.before = rss(self.pid)
        self.peak = self.before
        self.slowest = 0.0
        self.failures: list[str] = []
        self.checks = 0
        self.peak_files = open_files(self.pid)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._memory, daemon=True),
            threading.Thread(target=self._health, daemon=True),
        ]

    def __enter__(self) -> Watch:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)

    def _memory(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self.peak_files = max(self.peak_files, open_files(self.pid))
            self._stop.wait(0.05)

    def _health(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    response.read()
            except OSError as exc:
                self.failures.append(f"/healthz: {exc}")
            took = time.monotonic() - started
            self.slowest = max(self.slowest, took)
            self.checks += 1
            self._stop.wait(0.25)

    def figures(self) -> dict[str, object]:
        return {
            "rss_before_mb": round(self.before / 1e6, 1),
            "rss_peak_mb": round(self.peak / 1e6, 1),
            "healthz_slowest_s": round(self.slowest, 3),
            "healthz_checks": self.checks,
        }

    def check(self) -> None:
        assert not self.failures, self.failures[:5]
        assert self.checks >= 2, "the watcher never asked /healthz"
        assert self.peak < RSS_LIMIT, f"node RSS reached {self.peak / 1e6:.0f} MB"
        assert self.slowest < HEALTH_LIMIT, f"/healthz took {self.slowest:.2f} s"
