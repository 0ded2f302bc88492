"""Fifty hubs deciding a motion over a lossy network, simulated in one process.

Each hub's node receives every signed message after a random delay; deliveries
are dropped (and sent again later, as the sender's retries and the periodic pull
do), duplicated and reordered. Each node places messages by the log rules
(protocol.log.place: append, hold until the gap fills, ignore duplicates) and
counts with protocol.tally. Once delivery is done, every node must show the same
result and the same input digest.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from crypto.nodeid import NodeId
from protocol.envelope import Message
from protocol.log import Head, Placement, place
from protocol.tally import Outcome, Result
from tests.assembly import CLOSES, DAY, START, LogHub, count

HUBS = 50


@dataclass
class SimNode:
    heads: dict[NodeId, Head] = field(default_factory=dict)
    held: dict[NodeId, dict[int, Message]] = field(default_factory=dict)
    log: dict[bytes, Message] = field(default_factory=dict)

    def receive(self, message: Message) -> None:
        at_seq = self.log.get(message.id)
        verdict = place(
            self.heads.get(message.origin),
            message.seq,
            message.prev,
            message.id,
            at_seq.id if at_seq else None,
        )
        if verdict is Placement.HOLD:
            self.held.setdefault(message.origin, {})[message.seq] = message
        elif verdict is Placement.APPEND:
            self._append(message)
            waiting = self.held.get(message.origin, {})
            while (nxt := waiting.pop(self.heads[message.origin].seq + 1, None)) is not None:
                self._append(nxt)

    def _append(self, message: Message) -> None:
        self.log[message.id] = message
        self.heads[message.origin] = Head(message.seq, message.id)


def build(rng: random.Random) -> tuple[Message, list[Message]]:
    """Every hub gets a mandate; hub 0 tables; five second; most vote, some twice; some recall."""
    hubs = [LogHub(n) for n in range(1, HUBS + 1)]
    mandates = [h.mandate() for h in hubs]
    motion = hubs[0].motion(seconds_needed=5, quorum_percent=60)
    sent = [*mandates, motion]
    sent += [h.second(motion) for h in hubs[1:6]]
    for h, m in zip(hubs, mandates, strict=True):
        if rng.random() < 0.85:
            sent.append(
                h.vote(motion, m, rng.choice(["For", "Against", "Abstain"]), START + 3 * DAY)
            )
        if rng.random() < 0.2:
            sent.append(h.vote(motion, m, rng.choice(["For", "Against"]), START + 5 * DAY))
        if rng.random() < 0.1:
            sent.append(h.recall(m, START + 6 * DAY))
            sent.append(h.vote(motion, m, "For", START + 7 * DAY))  # not counted: recalled
        if rng.random() < 0.05:
            sent.append(h.vote(motion, m, "Against", CLOSES + DAY))  # after the close
    return motion, sent


def deliver(rng: random.Random, sent: list[Message], nodes: list[SimNode]) -> None:
    queue: list[tuple[float, int, int, Message]] = []
    n = 0
    for node_index in range(len(nodes)):
        for message in sent:
            for _ in range(1 + (rng.random() < 0.1)):  # some deliveries twice
                n += 1
                heapq.heappush(queue, (rng.expovariate(1.0), n, node_index, message))
    while queue:
        t, _, node_index, message = heapq.heappop(queue)
        if rng.random() < 0.2:  # dropped: the sender retries later
            n += 1
            heapq.heappush(queue, (t + rng.expovariate(0.5), n, node_index, message))
            continue
        nodes[node_index].receive(message)


def test_fifty_hubs_reach_the_same_result_and_digest_despite_loss() -> None:
    rng = random.Random(2026)
    motion, sent = build(rng)
    nodes = [SimNode() for _ in range(HUBS)]
    deliver(rng, sent, nodes)
    results: list[Result] = []
    for node in nodes:
        assert not any(node.held.values())
        held = list(node.log.values())
        assert motion.id in node.log
        results.append(count(motion, [m for m in held if m.id != motion.id]))
    assert len({r.digest for r in results}) == 1
    assert all(r == results[0] for r in results)
    result = results[0]
    assert result.outcome in (Outcome.DECIDED, Outcome.NO_DECISION)
    assert result.seconds == 5 and result.participating > 30
    late = [v for v in result.verdicts if v.reason == "cast after the close"]
    recalled = [v for v in result.verdicts if "recalled its delegate" in v.reason]
    assert late and recalled  # the bad votes were there, and were refused with the reason


def test_a_partial_view_has_another_digest() -> None:
    # Two nodes that counted different sets see it at a glance.
    rng = random.Random(7)
    motion, sent = build(rng)
    full = count(motion, [m for m in sent if m.id != motion.id])
    votes = [m for m in sent if m.kind == "delegate.vote"]
    partial = count(motion, [m for m in sent if m.id not in (motion.id, votes[-1].id)])
    assert full.digest != partial.digest
