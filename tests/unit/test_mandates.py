"""Which delegate mandate is in force (protocol/mandates.py, PROTOCOL.md §13.2): properties."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.nodeid import NodeId
from protocol.envelope import Message
from protocol.mandates import mandate_book, mandates_in_force
from tests.assembly import DAY, START, LogHub

BODIES = ("national", "region:North")
# (hub, action, body, start day): a mandate for a body from that day for a year, or
# ("recall", index) of an earlier mandate of the same hub.
ACTION = st.tuples(
    st.integers(0, 2),
    st.sampled_from(["mandate", "mandate", "recall"]),
    st.sampled_from(BODIES),
    st.integers(0, 400),
    st.integers(0, 10),
)
TIMES = st.integers(-10, 800).map(lambda day: (START + day * DAY) * 1000)


def logs(
    actions: list[tuple[int, str, str, int, int]], hubs: list[LogHub] | None = None
) -> list[Message]:
    """Real signed logs of three hubs acting in turn."""
    hubs = hubs if hubs is not None else [LogHub(n) for n in (41, 42, 43)]
    issued: dict[int, list[Message]] = {0: [], 1: [], 2: []}
    messages: list[Message] = []
    for hub, what, body, day, pick in actions:
        at = START + day * DAY
        if what == "recall" and issued[hub]:
            mandate = issued[hub][pick % len(issued[hub])]
            messages.append(hubs[hub].recall(mandate, at))
        else:
            m = hubs[hub].mandate(at=at, body=body, name=f"Delegate {len(messages)}")
            issued[hub].append(m)
            messages.append(m)
    return messages


@settings(max_examples=60, deadline=None)
@given(st.lists(ACTION, max_size=12), TIMES, st.randoms(use_true_random=False))
def test_order_and_repeats_do_not_change_who_holds_a_mandate(
    actions: list[tuple[int, str, str, int, int]], at_ms: int, rng: random.Random
) -> None:
    messages = logs(actions)
    shuffled = [*messages, *rng.sample(messages, k=len(messages) // 2)]
    rng.shuffle(shuffled)
    assert mandates_in_force(shuffled, at_ms) == mandates_in_force(messages, at_ms)


@settings(max_examples=60, deadline=None)
@given(st.lists(ACTION, min_size=1, max_size=12), TIMES, st.integers(0, 100))
def test_a_recall_ends_exactly_the_mandate_it_names(
    actions: list[tuple[int, str, str, int, int]], at_ms: int, pick: int
) -> None:
    hubs = [LogHub(n) for n in (41, 42, 43)]
    messages = logs(actions, hubs)
    mandates = [m for m in messages if m.kind == "delegate.mandate"]
    if not mandates:
        return
    named = mandates[pick % len(mandates)]
    recall = next(h for h in hubs if h.node_id == named.origin).recall(named, START)
    before = mandates_in_force(messages, at_ms)
    after = mandates_in_force([*messages, recall], at_ms)
    for body in before:
        expected = {o: m for o, m in before[body].items() if m.id != named.id}
        assert after[body] == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(ACTION, min_size=1, max_size=12), TIMES)
def test_a_recall_from_another_hub_changes_nothing(
    actions: list[tuple[int, str, str, int, int]], at_ms: int
) -> None:
    messages = logs(actions)
    stranger = LogHub(44)
    recalls = [stranger.recall(m, START) for m in messages if m.kind == "delegate.mandate"]
    assert mandates_in_force([*messages, *recalls], at_ms) == mandates_in_force(messages, at_ms)


def test_the_latest_mandate_replaces_the_earlier_and_a_recall_does_not_bring_it_back() -> None:
    hub = LogHub(45)
    first = hub.mandate(at=START, name="Ada")
    second = hub.mandate(at=START + DAY, name="Bea")
    at_ms = (START + 2 * DAY) * 1000
    book = mandate_book("national", [first, second])
    assert book.in_force(hub.node_id, at_ms) == (second, "")
    recall = hub.recall(second, START + 2 * DAY)
    book = mandate_book("national", [first, second, recall])
    held, why = book.in_force(hub.node_id, at_ms)
    assert held is None and why.startswith("the hub had recalled its delegate")
    # Judged before the recall's point in the log, the mandate still held.
    assert book.in_force(hub.node_id, at_ms, before_seq=recall.seq) == (second, "")


def test_a_mandate_holds_only_within_its_term() -> None:
    hub = LogHub(46)
    mandate = hub.mandate(at=START)
    book = mandate_book("national", [mandate])
    assert book.in_force(NodeId(hub.node_id), START * 1000 - 1)[1] == (
        "the delegate's term had not started"
    )
    assert book.in_force(hub.node_id, (START + 365 * DAY) * 1000)[1] == (
        "the delegate's term had ended"
    )
    assert mandate_book("region:North", [mandate]).holders(START * 1000) == {}
