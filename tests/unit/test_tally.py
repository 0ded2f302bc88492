"""The tally of network motions (protocol/tally.py, PROTOCOL.md §13): rules and properties."""

from __future__ import annotations

import dataclasses
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.envelope import Message
from protocol.kinds.assembly import Motion
from protocol.tally import REVEAL_SECONDS, Outcome, Phase, Result
from tests.assembly import CLOSES, DAY, START, LogHub, count

SECRET = bytes(range(32))


def reason(result: Result, message: Message) -> str:
    [verdict] = [v for v in result.verdicts if v.id == message.id]
    return ("counted: " if verdict.counted else "refused: ") + verdict.reason


def three_hubs() -> tuple[list[LogHub], list[Message], Message, list[Message]]:
    """Three hubs with national mandates; the first tables a motion the others second."""
    hubs = [LogHub(n) for n in (1, 2, 3)]
    mandates = [h.mandate() for h in hubs]
    motion = hubs[0].motion()
    seconds = [hubs[1].second(motion), hubs[2].second(motion)]
    return hubs, mandates, motion, [*mandates, *seconds]


def test_three_hubs_decide_by_majority() -> None:
    hubs, mandates, motion, base = three_hubs()
    votes = [
        h.vote(motion, m, c, START + 3 * DAY)
        for h, m, c in zip(hubs, mandates, ("For", "For", "Against"), strict=True)
    ]
    result = count(motion, [*base, *votes])
    assert result.outcome is Outcome.DECIDED and result.decided == "For"
    assert dict(result.counts) == {"For": 2, "Against": 1, "Abstain": 0}
    assert (result.participating, result.hubs_in_body, result.quorum_needed) == (3, 3, 2)
    assert result.phase is Phase.CLOSED and result.seconds == 2


def test_two_thirds_needs_two_thirds_of_votes_cast_and_abstentions_are_not_cast() -> None:
    hubs = [LogHub(n) for n in range(1, 6)]
    mandates = [h.mandate() for h in hubs]
    motion = hubs[0].motion(rule="two-thirds")
    seconds = [hubs[1].second(motion), hubs[2].second(motion)]
    choices = ("For", "For", "Against", "Abstain", "Abstain")
    votes = [
        h.vote(motion, m, c, START + 3 * DAY)
        for h, m, c in zip(hubs, mandates, choices, strict=True)
    ]
    result = count(motion, [*mandates, *seconds, *votes])
    assert result.cast == 3 and result.decided == "For"  # 2 of 3 cast is two thirds
    more = hubs[3].vote(motion, mandates[3], "Against", START + 4 * DAY)
    result = count(motion, [*mandates, *seconds, *votes, more])
    assert result.outcome is Outcome.NO_DECISION and result.decided is None


def test_later_vote_replaces_the_earlier_one() -> None:
    hubs, mandates, motion, base = three_hubs()
    first = hubs[1].vote(motion, mandates[1], "For", START + 3 * DAY)
    second = hubs[1].vote(motion, mandates[1], "Against", START + 4 * DAY)
    result = count(motion, [*base, first, second])
    assert dict(result.counts)["Against"] == 1 and dict(result.counts)["For"] == 0
    assert "replaced by this hub's later vote" in reason(result, first)


def test_vote_after_the_close_is_not_counted() -> None:
    hubs, mandates, motion, base = three_hubs()
    late = hubs[1].vote(motion, mandates[1], "For", CLOSES)
    result = count(motion, [*base, late])
    assert reason(result, late) == "refused: cast after the close"
    assert result.participating == 0


def test_votes_on_a_motion_never_seconded_do_not_count() -> None:
    hubs, mandates, motion, _ = three_hubs()
    only_one = hubs[1].second(motion)
    vote = hubs[1].vote(motion, mandates[1], "For", START + 3 * DAY)
    result = count(motion, [*mandates, only_one, vote])
    assert result.outcome is Outcome.NOT_SECONDED
    assert "not seconded by 2 hubs" in reason(result, vote)


def test_vote_from_a_hub_without_mandate_is_not_counted() -> None:
    _hubs, mandates, motion, base = three_hubs()
    stranger = LogHub(9)
    vote = stranger.vote(motion, mandates[0], "Against", START + 3 * DAY)
    result = count(motion, [*base, vote])
    assert "another hub's mandate" in reason(result, vote)
    assert result.participating == 0


def test_mandate_counts_only_from_the_hubs_own_node() -> None:
    hubs, _mandates, motion, base = three_hubs()
    # Hub 9 signs a mandate naming itself... but then votes citing hub 1's mandate;
    # and hub 1 cannot vote with a mandate hub 9 issued.
    stranger = LogHub(9)
    foreign = stranger.mandate(name="Hub one's delegate")
    vote = hubs[0].vote(motion, foreign, "For", START + 3 * DAY)
    result = count(motion, [*base, foreign, vote])
    assert "another hub's mandate" in reason(result, vote)


def test_recalled_delegates_later_votes_do_not_count_and_the_new_one_replaces() -> None:
    hubs, mandates, motion, base = three_hubs()
    before = hubs[2].vote(motion, mandates[2], "For", START + 3 * DAY)
    recall = hubs[2].recall(mandates[2], START + 4 * DAY)
    after = hubs[2].vote(motion, mandates[2], "Against", START + 5 * DAY)
    result = count(motion, [*base, before, recall, after])
    assert "recalled its delegate" in reason(result, after)
    assert dict(result.counts)["For"] == 1  # the vote made while in office stands
    new = hubs[2].mandate(at=START + 6 * DAY, name="Robin")
    again = hubs[2].vote(motion, new, "Against", START + 7 * DAY)
    result = count(motion, [*base, before, recall, after, new, again])
    assert dict(result.counts) == {"For": 0, "Against": 1, "Abstain": 0}
    [hub] = [h for h in result.hubs if h.origin == hubs[2].node_id]
    assert hub.delegate == "Robin" and hub.mandate == new.id


def test_hub_cannot_second_its_own_motion_and_seconds_once() -> None:
    hubs, _mandates, motion, base = three_hubs()
    own = hubs[0].second(motion)
    again = hubs[1].second(motion)
    result = count(motion, [*base, own, again])
    assert reason(result, own) == "refused: a hub cannot second its own motion"
    assert reason(result, again) == "refused: this hub had already seconded it"
    assert result.seconds == 2


def test_quorum_counts_hubs_in_the_body_at_the_close() -> None:
    hubs = [LogHub(n) for n in range(1, 5)]
    mandates = [h.mandate() for h in hubs]
    motion = hubs[0].motion(quorum_percent=75, seconds_needed=1)
    second = hubs[1].second(motion)
    votes = [
        hubs[0].vote(motion, mandates[0], "For", START + 3 * DAY),
        hubs[1].vote(motion, mandates[1], "For", START + 3 * DAY),
    ]
    result = count(motion, [*mandates, second, *votes])
    assert (result.hubs_in_body, result.quorum_needed, result.outcome) == (4, 3, Outcome.NO_QUORUM)
    # A hub whose delegate was recalled before the close is not in the body.
    gone = [
        hubs[2].recall(mandates[2], START + 4 * DAY),
        hubs[3].recall(mandates[3], START + 4 * DAY),
    ]
    result = count(motion, [*mandates, second, *votes, *gone])
    assert (result.hubs_in_body, result.outcome) == (2, Outcome.DECIDED)


def test_sealed_votes_count_once_revealed_and_unrevealed_abstain() -> None:
    hubs, mandates, _, _ = three_hubs()
    motion = hubs[0].motion(sealed=True, seconds_needed=1)
    second = hubs[1].second(motion)
    sealed = [
        h.seal(motion, m, "Against", START + 3 * DAY, SECRET)
        for h, m in zip(hubs, mandates, strict=True)
    ]
    before_close = count(motion, [*mandates, second, *sealed], now=START + 4 * DAY)
    assert before_close.phase is Phase.VOTING and all(n == 0 for _, n in before_close.counts)
    early = hubs[0].reveal(motion, sealed[0], "Against", SECRET, START + 5 * DAY)
    on_time = hubs[1].reveal(motion, sealed[1], "Against", SECRET, CLOSES + 1)
    wrong = hubs[2].reveal(motion, sealed[2], "For", SECRET, CLOSES + 2)  # not what it sealed
    late = hubs[0].reveal(motion, sealed[0], "Against", SECRET, CLOSES + REVEAL_SECONDS)
    everything = [*mandates, second, *sealed, early, on_time, wrong, late]
    result = count(motion, everything)
    assert "before the close" in reason(result, early)
    assert "does not match the commitment" in reason(result, wrong)
    assert "after the reveal window" in reason(result, late)
    assert dict(result.counts)["Against"] == 1 and result.participating == 3
    notes = {h.origin: h.note for h in result.hubs}
    assert notes[hubs[0].node_id] == "not revealed: counts as abstention"
    assert count(motion, everything, now=CLOSES + DAY).phase is Phase.REVEALING


def test_a_later_motion_with_other_rules_does_not_change_the_first() -> None:
    hubs, mandates, motion, base = three_hubs()
    votes = [h.vote(motion, m, "For", START + 3 * DAY) for h, m in zip(hubs, mandates, strict=True)]
    altered = hubs[0].send(
        "motion",
        Motion(**{**_rules(motion), "rule": "two-thirds", "closes": CLOSES + DAY}),
        START + 4 * DAY,
    )
    result = count(motion, [*base, *votes, altered])
    assert result.decided == "For" and altered.id not in result.inputs
    assert count(altered, [*base, *votes]).participating == 0  # votes cite the first one


def _rules(motion: Message) -> dict[str, object]:
    body: Motion = motion.body
    return {f.name: getattr(body, f.name) for f in dataclasses.fields(body)}


def test_duplicate_messages_count_once() -> None:
    hubs, mandates, motion, base = three_hubs()
    vote = hubs[1].vote(motion, mandates[1], "For", START + 3 * DAY)
    once = count(motion, [*base, vote])
    twice = count(motion, [*base, vote, vote, *base])
    assert once == twice


# -- properties --------------------------------------------------------------------------


def scenario(seed: int) -> tuple[Message, list[Message], LogHub]:
    """Six hubs with mandates, seconds, some recalls and several votes each."""
    rng = random.Random(seed)
    hubs = [LogHub(n) for n in range(1, 7)]
    mandates = [h.mandate() for h in hubs]
    motion = hubs[0].motion(sealed=False, rule=rng.choice(["majority", "two-thirds"]))
    messages = [*mandates, hubs[1].second(motion), hubs[2].second(motion)]
    for h, m in zip(hubs, mandates, strict=True):
        for _ in range(rng.randrange(3)):
            at = START + rng.randrange(2 * DAY, 16 * DAY)
            messages.append(h.vote(motion, m, rng.choice(["For", "Against", "Abstain"]), at))
        if rng.random() < 0.3:
            messages.append(h.recall(m, START + rng.randrange(2 * DAY, 16 * DAY)))
    return motion, messages, LogHub(99)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_tally_is_the_same_for_every_order(seed: int, rng: random.Random) -> None:
    motion, messages, _ = scenario(seed)
    expected = count(motion, messages)
    shuffled = list(messages)
    rng.shuffle(shuffled)
    assert count(motion, shuffled) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["For", "Against", "Abstain"]), st.integers(0, 20))
def test_a_hub_without_mandate_never_changes_the_result(seed: int, choice: str, day: int) -> None:
    motion, messages, stranger = scenario(seed)
    before = count(motion, messages)
    mandates = [m for m in messages if m.kind == "delegate.mandate"]
    extra = [
        stranger.vote(motion, mandates[day % len(mandates)], choice, START + day * DAY),
        stranger.second(motion, START + day * DAY),
    ]
    after = count(motion, [*messages, *extra])
    for field in (
        "outcome",
        "decided",
        "counts",
        "seconds",
        "participating",
        "hubs_in_body",
        "hubs",
    ):
        assert getattr(after, field) == getattr(before, field), field


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["For", "Against", "Abstain"]), min_size=3, max_size=3), st.data())
def test_sealed_votes_reveal_no_choice_before_the_close(
    choices: list[str], data: st.DataObject
) -> None:
    hubs = [LogHub(n) for n in (1, 2, 3)]
    mandates = [h.mandate() for h in hubs]
    motion = hubs[0].motion(sealed=True, seconds_needed=1)
    messages = [*mandates, hubs[1].second(motion)]
    for h, m, c in zip(hubs, mandates, choices, strict=True):
        messages.append(h.seal(motion, m, c, START + 3 * DAY, SECRET))
        # Even a hub that publishes its reveal early shows nobody its choice.
        messages.append(h.reveal(motion, messages[-1], c, SECRET, START + 4 * DAY))
    view = data.draw(st.lists(st.sampled_from(messages), unique_by=lambda m: m.id))
    now = data.draw(st.integers(START + 4 * DAY, CLOSES - 1))
    result = count(motion, view, now=now)
    assert all(n == 0 for _, n in result.counts)
    assert all(h.choice is None for h in result.hubs)
    assert result.decided is None


# -- PROTOCOL.md §14: only members count, and only what was witnessed in time ---------


def test_six_fresh_keys_cannot_change_a_decided_motion() -> None:
    """The attack seen from outside: strangers' mandates and votes flipped a result."""
    hubs = [LogHub(n) for n in (1, 2, 3)]
    mandates = [h.mandate() for h in hubs]
    motion = hubs[0].motion()
    seconds = [hubs[1].second(motion), hubs[2].second(motion)]
    votes = [hubs[1].vote(motion, mandates[1], "For", START + 3 * DAY)]
    votes.append(hubs[2].vote(motion, mandates[2], "For", START + 3 * DAY))
    members = frozenset(h.node_id for h in hubs)
    honest = count(motion, [*mandates, *seconds, *votes], members=members)
    strangers = [LogHub(100 + n) for n in range(6)]
    extra = []
    for s in strangers:
        mandate = s.mandate()
        extra += [mandate, s.vote(motion, mandate, "Against", START + 3 * DAY)]
    # Even witnessing each other honestly, strangers are not on the roster.
    attacked = count(
        motion,
        [*mandates, *seconds, *votes, *extra],
        members=members,
        hubs=[*hubs, *strangers],
    )
    assert honest.decided == attacked.decided == "For"
    assert attacked.hubs_in_body == 3 and dict(attacked.counts)["Against"] == 0
    assert "not a member of the network" in reason(attacked, extra[1])


def test_vote_written_after_the_close_with_an_earlier_ts_is_not_counted() -> None:
    hubs, mandates, motion, base = three_hubs()
    honest = [
        hubs[0].vote(motion, mandates[0], "For", START + 3 * DAY),
        hubs[1].vote(motion, mandates[1], "For", START + 3 * DAY),
    ]
    # What the three hubs witnessed just before the close, as it really happened.
    from tests.assembly import honest_witness

    witnesses = [honest_witness(h, [motion, *base, *honest], CLOSES * 1000 - 1) for h in hubs]
    # After the close hub 3 signs an Against dated two days before it.
    backdated = hubs[2].vote(motion, mandates[2], "Against", CLOSES - 2 * DAY)
    result = count(motion, [*base, *honest, backdated], witnesses=witnesses)
    assert dict(result.counts) == {"For": 2, "Against": 0, "Abstain": 0}
    assert "not witnessed before the close" in reason(result, backdated)
    # Its own witness, dated as it likes, is one hub of three: not a majority.
    own = honest_witness(hubs[2], [motion, *base, *honest, backdated], CLOSES * 1000 - 1)
    result = count(motion, [*base, *honest, backdated], witnesses=[*witnesses[:2], own])
    assert dict(result.counts)["Against"] == 0
    assert "(1 of 3; 2 needed)" in reason(result, backdated)


def test_sealed_commitment_added_after_the_reveals_is_not_counted() -> None:
    from tests.assembly import honest_witness

    hubs, mandates, _, _ = three_hubs()
    motion = hubs[0].motion(sealed=True)
    seconds = [hubs[1].second(motion), hubs[2].second(motion)]
    base = [*mandates, *seconds]
    sealed = [
        hubs[0].seal(motion, mandates[0], "For", START + 3 * DAY, SECRET),
        hubs[1].seal(motion, mandates[1], "For", START + 3 * DAY, SECRET),
    ]
    witnesses = [honest_witness(h, [motion, *base, *sealed], CLOSES * 1000 - 1) for h in hubs]
    reveals = [
        hubs[0].reveal(motion, sealed[0], "For", SECRET, CLOSES + DAY),
        hubs[1].reveal(motion, sealed[1], "For", SECRET, CLOSES + DAY),
    ]
    # Hub 3 waits for the reveals, then writes a backdated commitment and opens it.
    late = hubs[2].seal(motion, mandates[2], "Against", CLOSES - DAY, SECRET)
    opened = hubs[2].reveal(motion, late, "Against", SECRET, CLOSES + 2 * DAY)
    after = [
        honest_witness(
            h, [motion, *base, *sealed, *reveals, late, opened], (CLOSES + 3 * DAY) * 1000
        )
        for h in hubs
    ]
    result = count(motion, [*base, *sealed, *reveals, late, opened], witnesses=[*witnesses, *after])
    assert dict(result.counts) == {"For": 2, "Against": 0, "Abstain": 0}
    assert "not witnessed before the close" in reason(result, late)
    assert not next(v for v in result.verdicts if v.id == opened.id).counted


def test_a_hub_that_signs_two_messages_at_one_seq_counts_for_nothing() -> None:
    hubs, mandates, motion, base = three_hubs()
    vote = hubs[2].vote(motion, mandates[2], "For", START + 3 * DAY)
    hubs[2].seq -= 1  # sign another message at the same seq
    other = hubs[2].vote(motion, mandates[2], "Against", START + 3 * DAY)
    result = count(motion, [*base, vote, other])
    assert "signed two different messages" in reason(result, vote)
    assert "signed two different messages" in reason(result, other)


def test_witnesses_are_inputs_of_the_digest() -> None:
    hubs, mandates, motion, base = three_hubs()
    votes = [h.vote(motion, m, "For", START + 3 * DAY) for h, m in zip(hubs, mandates, strict=True)]
    result = count(motion, [*base, *votes])
    witness_ids = {v for v in result.inputs} - {m.id for m in [motion, *base, *votes]}
    assert len(witness_ids) == 3  # one per hub before the close (open motion)


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_tally_with_witnesses_is_the_same_for_every_order(rng: random.Random) -> None:
    from tests.assembly import honest_witness

    hubs, mandates, motion, base = three_hubs()
    votes = [h.vote(motion, m, "For", START + 3 * DAY) for h, m in zip(hubs, mandates, strict=True)]
    late = hubs[0].vote(motion, mandates[0], "Against", CLOSES - DAY)
    witnesses = [honest_witness(h, [motion, *base, *votes], CLOSES * 1000 - 1) for h in hubs]
    messages = [*base, *votes, late]
    first = count(motion, messages, witnesses=witnesses)
    shuffled = messages * 2
    rng.shuffle(shuffled)
    again = count(motion, shuffled, witnesses=list(reversed(witnesses)))
    assert dataclasses.astuple(first) == dataclasses.astuple(again)
    assert first.decided == "For"
