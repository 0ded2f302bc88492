"""Ingest into a MessageStore in this process: the store's own speed, with no HTTP.

The store has no membership gate, as the one `hubnet init` uses: the gate is a set
lookup per message, and the HTTP rows (tests/benchmarks/federation.py) run real
nodes, gate included.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from crypto.ed25519 import SigningKey
from node.store.database import Database
from node.store.messages import MessageStore
from node.store.outcomes import Status
from node.verifier import Verifier
from tests.benchmarks.common import T0


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
        try:
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
        finally:
            await db.close()
            await verifier.aclose()
    per_window = window // batch
    first = window / sum(times[:per_window])
    last = window / sum(times[-per_window:])
    store_first = sum(store_times[:per_window]) / window * 1e6
    store_last = sum(store_times[-per_window:]) / window * 1e6
    return overall, first, last, store_first, store_last
