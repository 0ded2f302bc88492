"""The network's roster (protocol/roster.py, PROTOCOL.md §14): rules and properties."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.digest import sha256
from protocol.envelope import Message
from protocol.kinds.network import (
    NetworkFound,
    NetworkJoin,
    NetworkLeave,
    NetworkSponsor,
    network_id,
)
from protocol.roster import Roster, roster
from tests.assembly import DAY, START, LogHub, honest_witness

CHARTER = sha256(b"We organise together, openly, with no top table.")


def found(hubs: list[LogHub], sponsors_needed: int = 2) -> tuple[NetworkFound, bytes]:
    statement = NetworkFound(
        name="Northern Hubs",
        charter=CHARTER,
        founders=tuple(sorted(h.node_id for h in hubs)),
        sponsors_needed=sponsors_needed,
        regions=("North East", "Yorkshire"),
    )
    return statement, network_id(statement)


class Net:
    """A network's messages as a test writes them, with honest witnesses on demand."""

    def __init__(self, founders: int = 3, sponsors_needed: int = 2) -> None:
        self.founders = [LogHub(200 + n) for n in range(founders)]
        self.statement, self.id = found(self.founders, sponsors_needed)
        self.messages: list[Message] = [
            h.send("network.found", self.statement, START) for h in self.founders
        ]

    def send(self, hub: LogHub, kind: str, body: object, at: int) -> Message:
        message = hub.send(kind, body, at)
        self.messages.append(message)
        return message

    def join(self, hub: LogHub, at: int) -> Message:
        return self.send(hub, "network.join", NetworkJoin(network=self.id), at)

    def sponsor(self, sponsor: LogHub, hub: LogHub, at: int) -> Message:
        body = NetworkSponsor(network=self.id, hub=hub.node_id)
        return self.send(sponsor, "network.sponsor", body, at)

    def leave(self, hub: LogHub, at: int) -> Message:
        return self.send(hub, "network.leave", NetworkLeave(network=self.id), at)

    def witness(self, hubs: list[LogHub], at: int) -> list[Message]:
        """Each of `hubs` witnesses, at `at` seconds, everything written before then."""
        seen = list(self.messages)
        made = [self.send(h, "network.witness", self._body(h, seen, at), at) for h in hubs]
        return made

    def _body(self, hub: LogHub, seen: list[Message], at: int) -> object:
        return honest_witness(hub, seen, at * 1000, network=self.id).body

    def roster(self, extra: list[Message] | None = None) -> Roster:
        return roster(self.id, [*self.messages, *(extra or [])])


def test_founders_who_signed_the_statement_are_members() -> None:
    net = Net(founders=3)
    net.messages.pop()  # the third founder has not signed yet
    r = net.roster()
    assert r.members == frozenset(h.node_id for h in net.founders[:2])
    assert r.statement == net.statement and r.regions == ("North East", "Yorkshire")


def test_statement_of_another_network_and_non_founders_count_for_nothing() -> None:
    net = Net(founders=2)
    stranger = LogHub(250)
    other = NetworkFound(
        name="Other", charter=CHARTER, founders=(stranger.node_id,), sponsors_needed=1
    )
    theirs = stranger.send("network.found", other, START)
    forged = LogHub(251).send("network.found", net.statement, START)
    r = net.roster([theirs, forged])
    assert r.members == frozenset(h.node_id for h in net.founders)
    assert "another network" in r.verdicts[theirs.id]
    assert "does not name as a founder" in r.verdicts[forged.id]


def test_newcomer_with_two_witnessed_sponsors_becomes_a_member() -> None:
    net = Net(founders=3)
    a, b, _c = net.founders
    newcomer = LogHub(260)
    net.join(newcomer, START + DAY)
    net.sponsor(a, newcomer, START + DAY)
    r = net.roster()
    assert newcomer.node_id not in r.members
    [candidate] = r.candidates
    assert candidate.hub == newcomer.node_id and candidate.pending == (a.node_id,)
    net.sponsor(b, newcomer, START + DAY)
    assert newcomer.node_id not in net.roster().members  # not yet witnessed
    net.witness([a, b], START + 2 * DAY)
    r = net.roster()
    assert newcomer.node_id in r.members and r.candidates == ()
    [change] = r.changes
    assert change.joined and change.at_ms == (START + 2 * DAY) * 1000
    assert newcomer.node_id not in r.members_at(change.at_ms)
    assert newcomer.node_id in r.members_at(change.at_ms + 1)


def test_one_members_word_cannot_admit_and_strangers_cannot_sponsor() -> None:
    net = Net(founders=3)
    a, b, _ = net.founders
    newcomer, stranger = LogHub(261), LogHub(262)
    net.join(newcomer, START + DAY)
    net.sponsor(a, newcomer, START + DAY)
    net.sponsor(stranger, newcomer, START + DAY)
    net.witness([a, b, stranger], START + 2 * DAY)
    r = net.roster()
    assert newcomer.node_id not in r.members
    assert r.candidates[0].sponsors == (a.node_id,)


def test_a_sponsorship_backdated_after_the_fact_does_not_move_the_past() -> None:
    net = Net(founders=3)
    a, b, c = net.founders
    newcomer = LogHub(263)
    net.join(newcomer, START + DAY)
    net.sponsor(a, newcomer, START + DAY)
    net.witness([a, b, c], START + 2 * DAY)
    # Days later b sponsors, dating it on day 1; it takes effect when witnessed.
    net.sponsor(b, newcomer, START + DAY)
    net.witness([a, b], START + 10 * DAY)
    r = net.roster()
    assert newcomer.node_id not in r.members_at((START + 5 * DAY) * 1000)
    assert newcomer.node_id in r.members_at((START + 10 * DAY) * 1000 + 1)


def test_a_member_leaves_by_its_own_word_and_must_be_sponsored_again() -> None:
    net = Net(founders=3)
    a, b, c = net.founders
    net.leave(c, START + DAY)
    net.witness([a, b], START + 2 * DAY)
    r = net.roster()
    assert c.node_id not in r.members
    net.join(c, START + 3 * DAY)
    net.sponsor(a, c, START + 3 * DAY)
    net.witness([a, b], START + 4 * DAY)
    r = net.roster()
    # Two members remain, so both are needed (the statement asks for two).
    assert c.node_id not in r.members
    net.sponsor(b, c, START + 5 * DAY)
    net.witness([a, b], START + 6 * DAY)
    assert c.node_id in net.roster().members


def test_a_network_smaller_than_its_sponsor_number_needs_every_member() -> None:
    net = Net(founders=1, sponsors_needed=2)
    [a] = net.founders
    newcomer = LogHub(264)
    net.join(newcomer, START + DAY)
    net.sponsor(a, newcomer, START + DAY)
    net.witness([a], START + 2 * DAY)
    assert newcomer.node_id in net.roster().members


def scenario(seed: int) -> Net:
    rng = random.Random(seed)
    net = Net(founders=3)
    people = [*net.founders, *(LogHub(300 + n) for n in range(4))]
    for day in range(1, 12):
        hub = rng.choice(people)
        action = rng.choice(["join", "sponsor", "leave", "witness"])
        at = START + day * DAY
        if action == "join":
            net.join(hub, at)
        elif action == "sponsor":
            net.sponsor(hub, rng.choice(people), at)
        elif action == "leave":
            net.leave(hub, at)
        else:
            net.witness(rng.sample(people, 3), at)
    return net


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_roster_is_the_same_for_every_order_and_with_repeats(seed: int, rng: random.Random) -> None:
    net = scenario(seed)
    first = net.roster()
    shuffled = net.messages * 2
    rng.shuffle(shuffled)
    again = roster(net.id, shuffled)
    assert (first.members, first.changes, first.candidates, first.digest) == (
        again.members,
        again.changes,
        again.candidates,
        again.digest,
    )
    assert set(first.verdicts) == {m.id for m in net.messages}


def test_a_network_motion_admits_a_hub_and_a_two_thirds_motion_removes_one() -> None:
    from protocol.kinds.assembly import DelegateMandate, DelegateVote, Motion, MotionSecond

    net = Net(founders=3)
    a, b, c = net.founders
    newcomer = LogHub(265)
    net.join(newcomer, START + DAY)
    mandates = {
        h.node_id: net.send(
            h,
            "delegate.mandate",
            DelegateMandate(delegate="Sam", body="national", starts=START, ends=START + 365 * DAY),
            START,
        )
        for h in (a, b, c)
    }

    def decide(action: dict[str, str], rule: str, closes: int, voters: list[LogHub]) -> Message:
        motion = net.send(
            a,
            "motion",
            Motion(
                body="national",
                title="Membership",
                text="As named.",
                options=("For", "Against"),
                seconds_needed=1,
                closes=closes,
                rule=rule,
                quorum_percent=50,
                **action,
            ),
            closes - 5 * DAY,
        )
        net.send(b, "motion.second", MotionSecond(motion=motion.id), closes - 4 * DAY)
        for h in voters:
            vote = DelegateVote(motion=motion.id, mandate=mandates[h.node_id].id, choice="For")
            net.send(h, "delegate.vote", vote, closes - 3 * DAY)
        net.witness([a, b, c], closes - DAY)
        return motion

    admit = decide({"admit": newcomer.node_id}, "majority", START + 10 * DAY, [a, b])
    r = net.roster()
    assert newcomer.node_id in r.members and "admitted" in r.changes[-1].why
    assert "admitted the hub" in r.verdicts[admit.id]
    # Two of three For is two thirds: c is removed at the close.
    remove = decide({"remove": c.node_id}, "two-thirds", START + 20 * DAY, [a, b])
    r = net.roster()
    assert c.node_id not in r.members and "removed the hub" in r.verdicts[remove.id]
    assert c.node_id in r.members_at((START + 20 * DAY) * 1000)
