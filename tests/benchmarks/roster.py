"""What the network's roster and witnesses cost a node (PROTOCOL.md §14).

Three figures: the store's membership check on each incoming message; computing
the roster from scratch (as a node does after a roster message or witness
arrives) for networks of 10, 50 and 100 founding hubs that have each witnessed once a day
for a month; and a tally of a motion every hub votes on, with those witnesses.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crypto.nodeid import NodeId
from node.network.membership import Membership
from node.store.database import Database
from node.store.network import NetworkStore
from protocol.roster import roster
from protocol.witness import Witnesses
from tests.assembly import CLOSES, DAY, START, LogHub, honest_witness
from tests.assembly import count as tally_of
from tests.benchmarks.common import Table
from tests.unit.test_roster import Net


def _seconds(fn: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _network(hubs: int, days: int) -> tuple[Net, list[LogHub]]:
    net = Net(founders=hubs)
    for day in range(1, days + 1):
        net.witness(net.founders, START + day * 3600)
    return net, net.founders


async def _gate_seconds(calls: int) -> float:
    """The membership check the store makes of every incoming message, 200 members."""
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        try:
            gate = Membership(NetworkStore(db), NodeId("a" * 56), lambda: 0)
            gate.members = frozenset(NodeId(f"{n:056d}") for n in range(200))
            origin = NodeId(f"{7:056d}")
            return _seconds(lambda: [gate.admits(origin, "event", 5) for _ in range(calls)])
        finally:
            await db.close()


def run(table: Table, quick: bool, log: Callable[[str], None]) -> None:
    log("roster and witnesses…")
    calls = 200_000
    seconds = asyncio.run(_gate_seconds(calls))
    table.add("membership check per incoming message", seconds / calls * 1e6, unit="µs/call")
    for hubs in (10, 50) if quick else (10, 50, 100):
        _measure(table, hubs)


def _measure(table: Table, hubs: int) -> None:
    net, founders = _network(hubs, days=30)
    witnesses = len([m for m in net.messages if m.kind == "network.witness"])
    seconds = _seconds(lambda: roster(net.id, net.messages))
    table.add(
        f"roster of {hubs} hubs from {witnesses:,} witnesses, from scratch",
        seconds * 1000,
        unit="ms",
    )
    indexed = Witnesses(net.id, net.messages)
    others = [m for m in net.messages if m.kind != "network.witness"]
    seconds = _seconds(lambda: roster(net.id, others, None, indexed))
    table.add("  the same, witnesses already indexed (a node's refresh)", seconds * 1000, unit="ms")
    mandates = [h.mandate() for h in founders]
    motion = founders[0].motion(seconds_needed=1)
    votes = [founders[1].second(motion)]
    votes += [
        h.vote(motion, m, "For", START + 3 * DAY) for h, m in zip(founders, mandates, strict=True)
    ]
    every = [*mandates, *votes]
    close_ms = CLOSES * 1000
    witnessed = [honest_witness(h, [motion, *every], close_ms - 1, net.id) for h in founders]
    members = frozenset(h.node_id for h in founders)
    seconds = _seconds(lambda: tally_of(motion, every, members=members, witnesses=witnessed))
    table.add(f"tally of a motion {hubs} hubs vote on, with witnesses", seconds * 1000, "ms")
    index = Witnesses(net.id, witnessed)
    checks = len(votes) * len(members)
    seconds = _seconds(lambda: [index.in_time(members, v, close_ms) for v in votes])
    table.add(
        f"  of which witness checks ({hubs} hubs × {len(votes)} messages)",
        seconds / checks * 1e6,
        unit="µs/call",
    )
