"""Which version of an event every node shows (PROTOCOL.md §5.4, §5.5).

Pure: given the original `event` message and any `event.update` and
`event.cancel` messages that cite it, in any order, the answer is the same, so
every node holding the same messages shows the same event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from protocol.envelope import Message
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate


@dataclass(frozen=True, slots=True)
class EventState:
    details: EventDetails  # the version shown: the original or the update with the highest seq
    version_seq: int  # seq of that version in the origin's log
    updated_at: int  # ms: that version's created-at
    sequence: int  # revisions applied (updates and the cancellation): iCalendar SEQUENCE
    cancelled: bool
    cancel_reason: str | None


def applies_to(event: Message, follower: Message) -> bool:
    """An update or cancellation counts only from the event's own origin, later in its log."""
    body = follower.body
    return (
        isinstance(body, EventUpdate | EventCancel)
        and body.event == event.id
        and follower.origin == event.origin
        and follower.seq > event.seq
    )


def latest_version(
    event: Message,
    followers: Iterable[Message],
    zone_known: Callable[[str], bool] = lambda _: True,
) -> EventState | None:
    """The state to show, or None if the original itself cannot be shown.

    `zone_known` says whether a time zone name exists in the node's zone
    database; a version naming an unknown zone is not applied (the original
    such an event is not shown at all), since its times could not be shown.
    """
    if not isinstance(event.body, EventDetails) or isinstance(event.body, EventUpdate):
        return None
    if not zone_known(event.body.timezone):
        return None
    applying = sorted((m for m in followers if applies_to(event, m)), key=lambda m: m.seq)
    details: EventDetails = event.body
    version_seq, updated_at, sequence = event.seq, event.created_at, 0
    cancel: EventCancel | None = None
    for message in applying:
        body = message.body
        if isinstance(body, EventUpdate):
            if not zone_known(body.timezone):
                continue
            details, version_seq, updated_at = body, message.seq, message.created_at
            sequence += 1
        elif isinstance(body, EventCancel) and cancel is None:
            # A cancellation is final: later updates change the details, never revive it.
            cancel = body
            updated_at = max(updated_at, message.created_at)
            sequence += 1
    return EventState(
        details=details,
        version_seq=version_seq,
        updated_at=updated_at,
        sequence=sequence,
        cancelled=cancel is not None,
        cancel_reason=cancel.reason if cancel else None,
    )
