"""Search figures: latency of /search over 20,000 events from 200 hubs plus campaigns
and resources, at 20 concurrent clients, beside a bare aiohttp handler measured in
the same run (tests/benchmarks/bare.py), against one real `hubnet run` process.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crypto.ed25519 import SigningKey
from node import config as settings
from node.node import Node
from node.store.outcomes import Status
from protocol.kinds.campaign import Campaign
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import Resource
from protocol.kinds.network import NetworkJoin
from tests.benchmarks.cluster import Log, admit_by_sponsoring, found_alone
from tests.benchmarks.common import T0, Table
from tests.benchmarks.wrk import BareBeside, wrk
from tests.integration.network import Hub, free_port

CLIENTS = 20
HUBS = 200
EVENTS_PER_HUB = 100
WORDS = ("housing", "library", "allotment", "rent", "transport", "climate", "food", "youth")
QUERIES = ("housing", "library closure", "allot", "rent strike meeting", "climate youth")


def _key(h: int) -> SigningKey:
    return SigningKey((h + 1000).to_bytes(4, "big") * 8)


def _messages(logs: list[Log]) -> list[bytes]:
    """Per hub: 100 events, one campaign and one resource, signed, in log order."""
    wires = []
    for h, log in enumerate(logs):
        bodies: list[tuple[str, object]] = [
            (
                "event",
                EventDetails(
                    title=f"{WORDS[(h + i) % 8].title()} meeting {i} at hub {h}",
                    starts=1_800_000_000 + i * 86_400,
                    ends=1_800_003_600 + i * 86_400,
                    timezone="Europe/London",
                    type="public-meeting",
                    visibility="public" if i % 4 else "network",
                    place=f"Community centre {h}",
                    description=f"About {WORDS[i % 8]} and {WORDS[(i * 3) % 8]} in our area.",
                ),
            )
            for i in range(EVENTS_PER_HUB)
        ]
        bodies.append(
            (
                "campaign",
                Campaign(title=f"Save the {WORDS[h % 8]}", summary="Join us.", status="active"),
            )
        )
        bodies.append(
            (
                "resource",
                Resource(
                    hash=bytes(32),
                    name="leaflet.pdf",
                    media_type="application/pdf",
                    size=1000,
                    title=f"{WORDS[h % 8].title()} leaflet",
                    description=f"Everything about {WORDS[(h + 1) % 8]}.",
                ),
            )
        )
        wires += [log.write(kind, body, T0).wire for kind, body in bodies]
    return wires


async def _fill(data_dir: Path, log: Callable[[str], None]) -> tuple[int, float, float, float]:
    """Store the messages and build every projection from them (the search index, the
    events and hubs tables, campaigns, the library…): how many, the seconds and CPU
    seconds that took, and `caught_up()` calls a second once nothing is new (what
    every page pays first).

    The hubs ask to join the node's network, and the node sponsors them: search
    finds members' items only.
    """
    node = await Node.open(settings.load(data_dir))
    try:
        assert node.membership.network is not None
        log(f"search: signing {HUBS * (EVENTS_PER_HUB + 3):,} messages from {HUBS} hubs…")
        logs = [Log(_key(h)) for h in range(HUBS)]
        join = NetworkJoin(network=node.membership.network)
        report = await node.messages.ingest(
            [log.write("network.join", join, T0).wire for log in logs]
        )
        if report.count(Status.STORED) != len(logs):
            raise RuntimeError(f"requests to join not all stored: {report}")
        await admit_by_sponsoring(node, logs)
        wires = _messages(logs)
        for start in range(0, len(wires), 1000):
            await node.messages.ingest(wires[start : start + 1000])
        await node.projections.stop()  # caught up here, not by its task meanwhile
        started, cpu = time.perf_counter(), time.process_time()
        await node.projections.caught_up()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        calls, started = 5000, time.perf_counter()
        for _ in range(calls):
            await node.projections.caught_up()
        return len(wires), seconds, cpu, calls / (time.perf_counter() - started)
    finally:
        await node.close()


async def run(table: Table, root: Path, quick: bool, log: Callable[[str], None]) -> None:
    seconds = 3.0 if quick else 8.0
    hub = Hub(root, "Searchhub")
    await found_alone(hub, "Search network")
    count, index_seconds, index_cpu, idle_calls = await _fill(hub.data_dir, log)
    table.add(f"projections: every table from {count:,} messages", count / index_seconds)
    table.add("  the same, per CPU-second of this process", count / index_cpu)
    table.add("projections: caught_up() with nothing new (each page)", idle_calls, unit="calls/s")
    port = free_port()
    bare = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.bare", str(port)])
    hub.start()
    try:
        log(f"search: wrk, {CLIENTS} connections, {seconds:.0f} s each…")
        bare_alone = BareBeside(port, seconds, CLIENTS)
        await bare_alone.start()
        bare_alone.add_rows(table)
        paths = [f"/search?q={q.replace(' ', '+')}" for q in QUERIES]
        load = await wrk(hub.url, seconds, connections=CLIENTS, paths=paths)
        table.add(f"search: /search over {count:,} items", load.rate, unit="req/s")
        table.add("  search p50", load.p50_ms, unit="ms")
        table.add("  search p99", load.p99_ms, unit="ms", target="< 200 ms", met=load.p99_ms < 200)
    finally:
        hub.stop()
        bare.terminate()
        bare.wait(10)
