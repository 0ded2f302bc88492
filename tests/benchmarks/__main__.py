"""`make bench`: performance figures, each beside this machine's own ceiling.

Every rate is printed with its ratio to the raw Ed25519 verification rate
measured in the same run, so a figure still means something on a slow or busy
machine. Run: `make bench` (or `.venv/bin/python -m tests.benchmarks --quick`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.ed25519 import SigningKey, verify
from node.store.database import Database
from node.store.messages import MessageStore, Status
from node.verifier import Verifier, open_chunk
from protocol.envelope import create_message, decode_envelope, parse_payload
from protocol.kinds.hub import Announcement

T0 = 1_763_000_000_000


def rate(count: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def make_messages(origins: int, per_origin: int) -> list[bytes]:
    """Signed announcements, round-robin across origins, as a busy network sends them."""
    keys = [SigningKey(i.to_bytes(4, "big") * 8) for i in range(1, origins + 1)]
    prevs: list[object] = [None] * origins
    out = []
    for seq in range(1, per_origin + 1):
        for i, key in enumerate(keys):
            text = f"Public meeting about the library closure, week {seq}, hub {i}."
            message = create_message(
                key,
                "announcement",
                Announcement(text=text),
                seq,
                prevs[i],
                T0,  # type: ignore[arg-type]
            )
            prevs[i] = message.id
            out.append(message.wire)
    return out


class Table:
    def __init__(self, ceiling: float) -> None:
        self.ceiling = ceiling
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, what: str, value: float, unit: str = "/s", target: str = "") -> None:
        ratio = f"{value / self.ceiling:.2f}" if unit == "/s" else ""
        self.rows.append((what, f"{value:,.0f} {unit}", ratio, target))

    def print(self) -> None:
        header = ("measure", "value", "× verify (1 core)", "target")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(4)]
        line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
        print(f"| {line} |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in self.rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def crypto_rates(samples: list[bytes]) -> dict[str, float]:
    key = SigningKey(bytes(range(32)))
    sigs = [key.sign(m) for m in samples]
    pub = key.public_key
    n = len(samples)

    def verify_all(part: range) -> None:
        for i in part:
            verify(pub, samples[i], sigs[i])

    single = rate(n, lambda: verify_all(range(n)))
    cores = os.cpu_count() or 1
    with ThreadPoolExecutor(cores) as pool:
        parts = [range(i, n, cores) for i in range(cores)]
        all_cores = rate(n, lambda: list(pool.map(verify_all, parts)))
    ossl = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
    openssl = rate(n, lambda: [ossl.verify(s, m) for m, s in zip(samples, sigs, strict=True)])
    sign = rate(n, lambda: [key.sign(m) for m in samples])
    return {"single": single, "all": all_cores, "openssl": openssl, "sign": sign}


async def ingest_run(
    wires: list[bytes], batch: int, window: int
) -> tuple[float, float, float, float, float]:
    """Ingest `wires` in batches into a fresh on-disk store.

    Returns the overall rate, the rates of the first and last `window` messages,
    and the database's own share (µs per message, signature checks excluded) in
    the first and last windows: the part that could grow with the store.
    """
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        verifier = Verifier()
        store = MessageStore(db, SigningKey(bytes(32)), lambda: T0, verifier)
        times: list[float] = []
        store_times: list[float] = []
        start = time.perf_counter()
        for i in range(0, len(wires), batch):
            t = time.perf_counter()
            report = await store.ingest(wires[i : i + batch])
            times.append(time.perf_counter() - t)
            store_times.append(report.store_seconds)
            if report.count(Status.STORED) != len(wires[i : i + batch]):
                raise SystemExit(f"benchmark batch {i // batch} was not fully stored")
        overall = len(wires) / (time.perf_counter() - start)
        per_window = window // batch
        first = window / sum(times[:per_window])
        last = window / sum(times[-per_window:])
        store_first = sum(store_times[:per_window]) / window * 1e6
        store_last = sum(store_times[-per_window:]) / window * 1e6
        await db.close()
        verifier.close()
    return overall, first, last, store_first, store_last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 messages, not 200,000")
    args = parser.parse_args()
    total = 20_000 if args.quick else 200_000
    window = 2_000 if args.quick else 10_000

    print(f"hubnet benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"generating {total:,} signed messages…", flush=True)
    t = time.perf_counter()
    wires = make_messages(origins=100, per_origin=total // 100)
    print(f"  done in {time.perf_counter() - t:.1f} s\n", flush=True)

    payloads = [decode_envelope(w) for w in wires[:5000]]
    rates = crypto_rates([p for p, _ in payloads])
    table = Table(rates["single"])
    table.add("Ed25519 verify, libsodium, 1 core (the ceiling)", rates["single"])
    table.add(f"Ed25519 verify, libsodium, {os.cpu_count()} threads", rates["all"])
    table.add("Ed25519 verify, OpenSSL (cryptography), 1 core", rates["openssl"])
    table.add("Ed25519 sign, libsodium, 1 core", rates["sign"])
    table.add(
        "decode + schema check (no signature), 1 core",
        rate(len(payloads), lambda: [parse_payload(p, s) for p, s in payloads]),
    )
    table.add(
        "open: decode + check + verify, 1 core",
        rate(len(payloads), lambda: open_chunk(wires[:5000], T0)),
    )
    overall, first, last, store_first, store_last = asyncio.run(
        ingest_run(wires, batch=500, window=window)
    )
    table.add(f"ingest into store, batches of 500, all {total:,}", overall, target="≥ 0.50")
    table.add(f"ingest, first {window:,}", first)
    table.add(f"ingest, last {window:,}", last, target="within 20 % of first")
    table.add(f"  of which database work, first {window:,}", store_first, unit="µs/msg")
    table.add(f"  of which database work, last {window:,}", store_last, unit="µs/msg")
    table.print()
    print(
        f"\ningest rate, last {window:,} vs first: {last / first - 1:+.0%} (target: within ±20 %);"
        f" database work per message: {store_last / store_first - 1:+.0%}"
    )


if __name__ == "__main__":
    main()
