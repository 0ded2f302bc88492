"""Fifty hubs joining, sponsoring, leaving and witnessing over a lossy network.

Ten hubs found the network; forty more ask to join over a month, are sponsored by
random members, and some members leave; every few days some hubs witness what
they have seen. Each of fifty nodes receives every message after a random
delay, with drops (sent again later), duplicates and reordering, and places them
by the log rules. Once delivery is done every node must compute the same roster
and digest, and it must be the roster of the messages as written.
"""

from __future__ import annotations

import random

from protocol.roster import roster
from tests.assembly import DAY, START, LogHub
from tests.unit.test_assembly_simulation import SimNode, deliver
from tests.unit.test_roster import Net

HUBS = 50


def build(rng: random.Random) -> Net:
    net = Net(founders=10)
    newcomers = [LogHub(400 + n) for n in range(HUBS - 10)]
    everyone = [*net.founders, *newcomers]
    for day in range(1, 31):
        at = START + day * DAY
        for hub in rng.sample(newcomers, 2):
            net.join(hub, at)
        members = sorted(net.roster().members)
        by_id = {h.node_id: h for h in everyone}
        for _ in range(3):
            net.sponsor(by_id[rng.choice(members)], rng.choice(newcomers), at)
        if rng.random() < 0.2:
            net.leave(by_id[rng.choice(members)], at)
        net.witness(rng.sample(everyone, 12), at + 3600)
    return net


def test_fifty_hubs_reach_the_same_roster_despite_loss() -> None:
    rng = random.Random(2026)
    net = build(rng)
    written = roster(net.id, net.messages)
    assert 15 < len(written.members) < HUBS and written.changes
    nodes = [SimNode() for _ in range(HUBS)]
    deliver(rng, net.messages, nodes)
    digests = set()
    for node in nodes:
        assert not any(node.held.values())
        seen = roster(net.id, list(node.log.values()))
        assert (seen.members, seen.changes, seen.candidates) == (
            written.members,
            written.changes,
            written.candidates,
        )
        digests.add(seen.digest)
    assert digests == {written.digest}


def test_a_node_without_the_witnesses_sees_no_change_and_another_digest() -> None:
    rng = random.Random(11)
    net = build(rng)
    full = roster(net.id, net.messages)
    unwitnessed = roster(net.id, [m for m in net.messages if m.kind != "network.witness"])
    assert full.changes and unwitnessed.changes == ()
    assert unwitnessed.members == frozenset(h.node_id for h in net.founders)
    assert full.digest != unwitnessed.digest
