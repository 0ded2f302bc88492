"""`make bench`: performance figures, each beside this machine's own ceiling.

Every rate is printed with its ratio to the raw Ed25519 verification rate
measured in the same run, on one core and on all cores, so a figure still means
something on a slow or busy machine. The federation rows run real `hubnet run`
processes on 127.0.0.1 (tests/benchmarks/federation.py).
Run: `make bench` (or `.venv/bin/python -m tests.benchmarks --quick`, with
`--only search` and the like for one section).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from node.verifier import open_chunk
from protocol.envelope import decode_envelope, parse_payload
from tests.benchmarks import calendar, day, federation, members, roster, search, web
from tests.benchmarks.common import T0, Table, crypto_rates, make_messages, rate
from tests.benchmarks.store import ingest_run

ORIGINS = 100
SECTIONS = ("store", "roster", "federation", "web", "search", "calendar", "members", "day")


def log(text: str) -> None:
    print(text, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="20,000 messages, not 200,000; 10,000 caught up, not 100,000; 8 nodes, not 20",
    )
    parser.add_argument(
        "--no-federation", action="store_true", help="skip the rows that run node processes"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (again for more); the ceilings are always measured",
    )
    args = parser.parse_args()
    wanted = set(args.only or SECTIONS)
    if args.no_federation:
        wanted -= {"federation", "web", "search", "calendar", "members", "day"}
    total = 20_000 if args.quick else 200_000
    window = 2_000 if args.quick else 10_000
    started = time.perf_counter()

    print(f"hubnet benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    log(f"generating {total:,} signed messages…")
    t = time.perf_counter()
    wires = make_messages(origins=ORIGINS, per_origin=total // ORIGINS)
    log(f"  done in {time.perf_counter() - t:.1f} s")

    payloads = [decode_envelope(w) for w in wires[:5000]]
    rates = crypto_rates([p for p, _ in payloads])
    cores = os.cpu_count()
    table = Table(rates["single"], rates["all"])
    table.add("Ed25519 verify, libsodium, 1 core (the ceiling)", rates["single"])
    table.add(f"Ed25519 verify, libsodium, {cores} threads", rates["threads"])
    table.add(
        f"Ed25519 verify, libsodium, {cores} processes (all-core ceiling)", rates["processes"]
    )
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
    last = first = store_first = store_last = 0.0
    if "store" in wanted:
        log(f"ingesting {total:,} into a store in this process…")
        overall, first, last, store_first, store_last = asyncio.run(
            ingest_run(wires, batch=500, window=window)
        )
        table.add(
            f"ingest into store, batches of 500, all {total:,}",
            overall,
            target="≥ 0.50 × 1 core",
            met=overall >= 0.50 * rates["single"],
        )
        table.add(f"ingest, first {window:,}", first)
        table.add(
            f"ingest, last {window:,}",
            last,
            target="within 20 % of first",
            met=abs(last / first - 1) <= 0.20,
        )
        table.add(f"  of which database work, first {window:,}", store_first, unit="µs/msg")
        table.add(f"  of which database work, last {window:,}", store_last, unit="µs/msg")
    if "roster" in wanted:
        roster.run(table, args.quick, log)
    if "federation" in wanted:
        asyncio.run(federation.run(table, args.quick, log))
    for name, section in (
        ("web", web),
        ("search", search),
        ("calendar", calendar),
        ("members", members),
        ("day", day),
    ):
        if name not in wanted:
            continue
        with tempfile.TemporaryDirectory(prefix=f"hubnet-bench-{name}-") as tmp:
            try:
                asyncio.run(section.run(table, Path(tmp), args.quick, log))
            except Exception as exc:
                table.failed(name, f"{type(exc).__name__}: {exc}")

    print()
    table.print()
    if first and store_first:
        print(
            f"\ningest rate, last {window:,} vs first: {last / first - 1:+.0%}"
            f" (target: within ±20 %); database work per message:"
            f" {store_last / store_first - 1:+.0%}"
        )
    if table.misses:
        print("below target: " + "; ".join(table.misses))
    else:
        print("every figure meets its target")
    print(f"(run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
