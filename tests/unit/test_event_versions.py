"""The rule for which version of an event every node shows (protocol/event_versions.py)."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from protocol.envelope import Message, create_message
from protocol.event_versions import latest_version
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate
from tests.helpers import T0, key_from

BASE = EventDetails(
    title="Public meeting", starts=2_000_000_000, ends=2_000_003_600, timezone="Europe/London",
    type="public-meeting", visibility="public", place="The hall",
)  # fmt: skip


def _log() -> tuple[Message, list[Message]]:
    """seq 1 the event, 2-3 updates, 4 a cancel, 5 an update after the cancel."""
    key = key_from(7)
    fields = {f.name: getattr(BASE, f.name) for f in dataclasses.fields(BASE)}
    event = create_message(key, "event", BASE, 1, None, T0)
    out, prev = [], event.id
    bodies = [
        ("event.update", EventUpdate(**{**fields, "title": "v2"}, event=event.id)),
        ("event.update", EventUpdate(**{**fields, "title": "v3"}, event=event.id)),
        ("event.cancel", EventCancel(event=event.id, reason="rain")),
        ("event.update", EventUpdate(**{**fields, "title": "v5"}, event=event.id)),
    ]
    for seq, (kind, body) in enumerate(bodies, start=2):
        message = create_message(key, kind, body, seq, prev, T0 + seq)
        out.append(message)
        prev = message.id
    return event, out


EVENT, FOLLOWERS = _log()


@given(st.permutations(FOLLOWERS))
def test_the_answer_does_not_depend_on_arrival_order(order: list[Message]) -> None:
    state = latest_version(EVENT, order)
    assert state is not None
    assert state.details.title == "v5" and state.version_seq == 5
    assert state.cancelled and state.cancel_reason == "rain" and state.sequence == 4


def test_update_from_another_origin_is_not_applied() -> None:
    fields = {f.name: getattr(BASE, f.name) for f in dataclasses.fields(BASE)}
    foreign = create_message(
        key_from(9), "event.update", EventUpdate(**{**fields, "title": "x"}, event=EVENT.id),
        1, None, T0,
    )  # fmt: skip
    cancel = create_message(
        key_from(9), "event.cancel", EventCancel(event=EVENT.id), 2, foreign.id, T0
    )
    state = latest_version(EVENT, [foreign, cancel])
    assert state is not None and state.details.title == "Public meeting"
    assert not state.cancelled and state.sequence == 0


def test_unknown_time_zone_hides_the_event_or_skips_the_update() -> None:
    assert latest_version(EVENT, FOLLOWERS, zone_known=lambda z: False) is None
    known = {"Europe/London"}
    fields = {f.name: getattr(BASE, f.name) for f in dataclasses.fields(BASE)}
    bad = create_message(
        key_from(7), "event.update",
        EventUpdate(**{**fields, "title": "bad", "timezone": "Mars/Base"}, event=EVENT.id),
        2, EVENT.id, T0,
    )  # fmt: skip
    state = latest_version(EVENT, [bad], zone_known=lambda z: z in known)
    assert state is not None and state.details.title == "Public meeting"
