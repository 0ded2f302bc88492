"""The discrete-event part: pushes, relays, drops, duplicates and pulls, on a simulated clock.

Every simulated hub keeps, per origin, the head of the log it holds and the messages it
holds ahead of a gap, and places each arriving message with the real rule
(protocol.log.place). As node/federation does (PROTOCOL.md §11): a hub that stores a
message pushes it to every peer but the one it came from and the origin; a message
held ahead of a gap is stored (and pushed on) once the gap fills; every `pull_s` each
hub compares heads with each peer (protocol.sync.plan_pull) and fetches what it lacks.
A push takes `hop_ms` plus up to a fifth more; it is lost with chance `drop` (and not
tried again: only a pull repairs it, the worst case) or arrives twice with chance
`duplicate`. Under selective replication a hub stores and relays another region's
messages only of the network-wide kinds, and each origin's log is modelled as two logs
(its network-wide messages and its region's), which is what the node would need.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from crypto.nodeid import NodeId
from protocol.envelope import Message, MessageId
from protocol.log import Head, Placement, place
from protocol.sync import plan_pull
from tests.benchmarks.sim_topology import Topology
from tests.benchmarks.sim_traffic import NETWORK_WIDE

Key = tuple[NodeId, int]  # (origin, class): class -1 for network-wide (or everything), else region
NET = -1


@dataclass(frozen=True, slots=True)
class Params:
    hop_ms: float = 100.0
    drop: float = 0.01
    duplicate: float = 0.01
    pull_s: float = 300.0
    selective: bool = False
    seed: int = 3


@dataclass
class HubState:
    heads: dict[Key, Head] = field(default_factory=dict)
    held: dict[Key, dict[int, tuple[Message, int]]] = field(default_factory=dict)
    totals: dict[int, int] = field(default_factory=dict)  # class -> messages stored
    sent: int = 0  # bytes
    received: int = 0
    heads_sent: int = 0  # of which heads pages
    heads_received: int = 0
    duplicates: int = 0
    repaired: int = 0  # messages that came by pull


class Flood:
    def __init__(self, topology: Topology, origin_index: dict[NodeId, int], params: Params) -> None:
        self.top = topology
        self.params = params
        self.rng = random.Random(params.seed)
        self.origin_index = origin_index
        self.hubs = [HubState() for _ in range(topology.size)]
        self.logs: dict[Key, list[Message]] = {}
        self.position: dict[MessageId, tuple[Key, int, MessageId | None]] = {}
        self.need: dict[MessageId, int] = {}  # hubs still to store it before 99 % is reached
        self.created: dict[MessageId, int] = {}
        self.reach_ms: dict[MessageId, float] = {}  # time to reach 99 % of its audience
        self.stored_by: dict[MessageId, int] = {}
        self.audience: dict[MessageId, int] = {}
        self.heads_page_bytes = 0  # set by the caller: one heads walk's bytes
        self._queue: list[tuple[float, int, int, object]] = []
        self._count = 0

    def key_of(self, m: Message) -> Key:
        if not self.params.selective or m.kind in NETWORK_WIDE:
            return (m.origin, NET)
        return (m.origin, self.top.region[self.origin_index[m.origin]])

    def wants(self, hub: int, key: Key) -> bool:
        return key[1] == NET or self.top.region[hub] == key[1]

    def register(self, m: Message, held_everywhere: bool) -> None:
        """Add `m` to its origin's log; setup messages are held by every hub already."""
        key = self.key_of(m)
        log = self.logs.setdefault(key, [])
        prev = log[-1].id if log else None
        log.append(m)
        self.position[m.id] = (key, len(log), prev)
        if held_everywhere:
            for hub, state in enumerate(self.hubs):
                if self.wants(hub, key):
                    state.heads[key] = Head(len(log), m.id)
                    state.totals[key[1]] = state.totals.get(key[1], 0) + 1

    def at(self, time_ms: float, what: int, payload: object) -> None:
        self._count += 1
        heapq.heappush(self._queue, (time_ms, self._count, what, payload))

    WRITE, ARRIVE, PULL = 0, 1, 2

    def write(self, m: Message) -> None:
        self.register(m, held_everywhere=False)
        key = self.key_of(m)
        audience = sum(1 for h in range(self.top.size) if self.wants(h, key))
        self.audience[m.id] = audience
        self.need[m.id] = math.ceil(0.99 * audience)
        self.created[m.id] = m.created_at
        self.at(m.created_at, self.WRITE, m)

    def schedule_pulls(self, start_ms: float, end_ms: float) -> None:
        for hub in range(self.top.size):
            t = start_ms + self.rng.uniform(0, self.params.pull_s * 1000)
            while t < end_ms:
                self.at(t, self.PULL, hub)
                t += self.params.pull_s * 1000

    def run(self, until_ms: float) -> None:
        while self._queue and self._queue[0][0] <= until_ms:
            now, _, what, payload = heapq.heappop(self._queue)
            if what == self.ARRIVE:
                hub, message, src = cast(tuple[int, Message, int], payload)
                self._arrive(now, hub, message, src)
            elif what == self.WRITE:
                written = cast(Message, payload)
                self._arrive(now, self.origin_index[written.origin], written, -1)
            else:
                self._pull(now, cast(int, payload))

    def _push(self, now: float, src: int, dst: int, m: Message) -> None:
        size = len(m.payload) + 67  # the envelope's bytes (PROTOCOL.md §4.5)
        copies = 2 if self.rng.random() < self.params.duplicate else 1
        for _ in range(copies):
            self.hubs[src].sent += size
            if self.rng.random() < self.params.drop:
                continue
            self.hubs[dst].received += size
            delay = self.params.hop_ms * (1 + 0.2 * self.rng.random())
            self.at(now + delay, self.ARRIVE, (dst, m, src))

    def _arrive(self, now: float, hub: int, m: Message, src: int) -> None:
        key, pos, prev = self.position[m.id]
        state = self.hubs[hub]
        head = state.heads.get(key)
        held_here = self.logs[key][pos - 1].id if head is not None and pos <= head.seq else None
        placement = place(head, pos, prev, m.id, held_here)
        if placement is Placement.DUPLICATE:
            state.duplicates += 1
        elif placement is Placement.HOLD:
            state.held.setdefault(key, {}).setdefault(pos, (m, src))
        elif placement is Placement.APPEND:
            self._store(now, hub, key, pos, m, src)
        else:  # one history per origin here: a fork would be a bug in the simulation
            raise AssertionError(f"{placement} for {m.kind} at hub {hub}")

    def _store(self, now: float, hub: int, key: Key, pos: int, m: Message, src: int) -> None:
        state = self.hubs[hub]
        while True:
            state.heads[key] = Head(pos, m.id)
            state.totals[key[1]] = state.totals.get(key[1], 0) + 1
            self._count_store(now, m)
            origin = self.origin_index[m.origin]
            for peer in self.top.peers[hub]:
                if peer != src and peer != origin and self.wants(peer, key):
                    self._push(now, hub, peer, m)
            waiting = state.held.get(key, {}).pop(pos + 1, None)
            if waiting is None:
                return
            (m, src), pos = waiting, pos + 1

    def _count_store(self, now: float, m: Message) -> None:
        if m.id not in self.need:
            return
        self.stored_by[m.id] = self.stored_by.get(m.id, 0) + 1
        if self.stored_by[m.id] == self.need[m.id]:
            self.reach_ms[m.id] = now - self.created[m.id]

    def _pull(self, now: float, hub: int) -> None:
        """Compare heads with each peer and fetch what is missing (PROTOCOL.md §11)."""
        state = self.hubs[hub]
        region = self.top.region[hub]
        for peer in self.top.peers[hub]:
            theirs_state = self.hubs[peer]
            state.received += self.heads_page_bytes
            state.heads_received += self.heads_page_bytes
            theirs_state.sent += self.heads_page_bytes
            theirs_state.heads_sent += self.heads_page_bytes
            classes = [NET] if region != self.top.region[peer] else [NET, region]
            if all(theirs_state.totals.get(c, 0) <= state.totals.get(c, 0) for c in classes):
                continue
            wanted = [k for k in theirs_state.heads if k[1] in classes]
            ours = {_name(k): state.heads[k].seq for k in wanted if k in state.heads}
            theirs = {_name(k): theirs_state.heads[k].seq for k in wanted}
            for request in plan_pull(ours, theirs):
                key = _key(request.origin)
                for m in self.logs[key][request.after_seq : request.until_seq]:
                    size = len(m.payload) + 67
                    theirs_state.sent += size
                    state.received += size
                    before = state.heads.get(key)
                    self._arrive(now + 2 * self.params.hop_ms, hub, m, peer)
                    if state.heads.get(key) != before:
                        state.repaired += 1

    def missing(self, messages: Iterable[Message]) -> list[tuple[int, Message]]:
        """(hub, message) for each message a hub of its audience does not hold."""
        out = []
        for m in messages:
            key, pos, _ = self.position[m.id]
            for hub, state in enumerate(self.hubs):
                head = state.heads.get(key)
                if self.wants(hub, key) and (head is None or head.seq < pos):
                    out.append((hub, m))
        return out


def _name(key: Key) -> str:
    return f"{key[0]}/{key[1]}"  # plan_pull sorts by origin name; the class rides along


def _key(name: str) -> Key:
    origin, cls = name.split("/")
    return (NodeId(origin), int(cls))
