"""How many witnesses the node's rule writes in a day, and their bytes (PROTOCOL.md §14.4).

node/network/witness.py: when a member's decision (a motion, second or vote) is stored,
a hub's node waits `witness_delay_ms` (gathering what arrives meanwhile) and signs a witness
citing the head of every member whose decisions arrived since its last witness, at most
500 heads a message. (Until 2026-12 it cited every head that moved, and as a witness
moves its writer's head, each witness cited nearly every member: `every_moved` models
that rule, for the comparison in docs/ARCHITECTURE.md.)

Flooding a million witnesses through a thousand simulated hubs is beyond one core, so
this is a model beside the event simulation: each hub's witness times follow the rule
exactly from when each decision reaches it (fewest hops × hop time); a witness at `w`
cites as many heads as there were decisions that reached it since its previous witness
(under the old rule: writes, messages and witnesses by any hub), at most one per
member; each witness's bytes are those of a real `network.witness` of that many heads.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.network import MAX_WITNESS_HEADS
from protocol.log import Head
from tests.benchmarks.sim_topology import Topology
from tests.benchmarks.sim_traffic import DAY_START_MS, DECISIONS, World, witness_bodies

DELAY_MS = 1500  # the setting witness_delay_ms's default (docs/OPERATIONS.md)


@dataclass(frozen=True, slots=True)
class WitnessLoad:
    per_hub: tuple[int, ...]  # witness messages each hub signs in the day
    messages: int
    bytes: int


def witness_sizes(world: World) -> tuple[float, float]:
    """(bytes of a witness message, bytes per head it cites), from two real witnesses."""
    most = min(len(world.hubs), MAX_WITNESS_HEADS)
    hubs = world.hubs[:most]
    heads = {h.node_id: Head(max(h.seq, 1), h.prev or MessageId(bytes(32))) for h in hubs}
    one, full = (
        len(create_message(hubs[0].key, "network.witness", body, 99, MessageId(bytes(32)), 0).wire)
        for body in (
            witness_bodies(world.network, dict(list(heads.items())[:1]))[0],
            witness_bodies(world.network, heads)[0],
        )
    )
    per = (full - one) / (most - 1) if most > 1 else 0.0
    return one - per, per


def model(
    world: World,
    day: list[Message],
    hop_ms: float,
    lean_s: float | None = None,
    every_moved: bool = False,
) -> WitnessLoad:
    """The day's witnesses under the node's rule, or with `lean_s` gathering decisions
    for that many seconds instead of `DELAY_MS` (a proposal, not what the node does),
    or with `every_moved` under the node's rule before 2026-12 (cite every moved head).
    """
    top: Topology = world.topology
    decisions = [m for m in day if m.kind in DECISIONS]
    first = {m.origin: m for m in decisions}
    hops = {o: top.hops_from(world.origin_of(m)) for o, m in first.items()}
    delay = DELAY_MS if lean_s is None else lean_s * 1000
    times: list[list[float]] = []
    arrivals_at: list[list[float]] = []
    for hub in range(top.size):
        arrivals = sorted(m.created_at + hops[m.origin][hub] * hop_ms * 1.1 for m in decisions)
        written: list[float] = []
        for t in arrivals:
            if not written or t > written[-1]:
                written.append(t + delay)
        times.append(written)
        arrivals_at.append(arrivals)
    # A write reaches a hub after the mean number of hops between hubs.
    distances = [d for row in hops.values() for d in row if d > 0]
    latency = hop_ms * 1.1 * (sum(distances) / len(distances) if distances else 1)
    writes = sorted([m.created_at + latency for m in day] + [t + latency for w in times for t in w])
    members = top.size
    base, per = witness_sizes(world)

    def size(k: int) -> int:
        chunks = math.ceil(k / MAX_WITNESS_HEADS)
        return round(chunks * base + k * per)

    per_hub, total_bytes = [], 0
    for hub, written in enumerate(times):
        cited = writes if every_moved else arrivals_at[hub]
        previous, count = float(DAY_START_MS), 0
        for w in written:
            moved = bisect.bisect_right(cited, w) - bisect.bisect_right(cited, previous)
            cites = min(members, max(moved + (not every_moved), 1))
            count += math.ceil(cites / MAX_WITNESS_HEADS)
            total_bytes += size(cites)
            previous = w
        per_hub.append(count)
    return WitnessLoad(tuple(per_hub), sum(per_hub), total_bytes)
