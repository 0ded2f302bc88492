"""Per-origin log rules (PROTOCOL.md §6), as pure functions.

Each origin writes an append-only log: seq 1, 2, 3, ... each message naming the
previous one's id in `prev`. A receiver appends a message only when it links to
the head it holds; it holds one that skips ahead until the gap is filled; the
same bytes again are a harmless duplicate; other bytes at a seq it already holds
are a fork (the origin signed two histories), kept as evidence.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from protocol.envelope import MessageId


@dataclass(frozen=True, slots=True)
class Head:
    """The latest message this node holds from an origin."""

    seq: int
    id: MessageId


class Placement(enum.Enum):
    APPEND = "append"  # links to the head: store it
    DUPLICATE = "duplicate"  # already held, same bytes
    HOLD = "hold"  # skips ahead: keep aside until the gap is filled
    FORK = "fork"  # another message already holds this seq
    BROKEN = "broken"  # next seq but prev names another message


def next_position(head: Head | None) -> tuple[int, MessageId | None]:
    """The seq and prev for the next message an origin writes after `head`."""
    if head is None:
        return 1, None
    return head.seq + 1, head.id


def place(
    head: Head | None,
    seq: int,
    prev: MessageId | None,
    message_id: MessageId,
    held_id_at_seq: MessageId | None,
) -> Placement:
    """Where an incoming message goes, given the origin's head and what we hold at its seq.

    `held_id_at_seq` is the id of the message we already hold at `seq` (None if
    none); it only matters when seq <= head.seq.
    """
    head_seq = head.seq if head else 0
    if seq <= head_seq:
        return Placement.DUPLICATE if held_id_at_seq == message_id else Placement.FORK
    if seq > head_seq + 1:
        return Placement.HOLD
    expected_prev = head.id if head else None
    return Placement.APPEND if prev == expected_prev else Placement.BROKEN
