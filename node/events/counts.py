"""How many are coming to an event, across hubs (PROTOCOL.md §5.37 `event.attendance`).

Each hub takes "I'm coming" from its own members (and the organising hub takes the
public's registrations too) and keeps who they are to itself. What crosses the
network is one number per hub: when its count for an event that federates changes,
the hub publishes it, and every hub shows the sum with the part that came through
hubs other than the organiser's. A hub's count is only ever its own, shown as such,
and no one hub's count is taken above the event's capacity.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiosqlite

from crypto.nodeid import NodeId
from node.projections.runner import Projection
from node.store.attendance_counts import (
    AttendanceCountsStore,
    apply_counts_txn,
    forget_counts_txn,
    record_count_txn,
    unpublished_count_txn,
)
from node.store.messages import MessageStore
from protocol.envelope import Message
from protocol.kinds.event import MAX_ATTENDANCE, EventAttendance

_TRIES = 5  # each try fails only if someone signed up or withdrew in between


class _Moved(Exception):
    """The count changed between reading it and publishing it: read it again."""


@dataclass(frozen=True, slots=True)
class Coming:
    total: int
    from_other_hubs: int  # through hubs other than the organiser's
    by_hub: tuple[tuple[str, int], ...]  # (origin, count), the organiser's first


class AttendanceCounts:
    def __init__(self, store: AttendanceCountsStore, messages: MessageStore) -> None:
        self._store = store
        self._messages = messages
        self.node_id: NodeId = messages.node_id
        self._lock = asyncio.Lock()

    def projection(self) -> Projection:
        return Projection(
            "attendance_counts",
            frozenset({"event.attendance"}),
            apply_counts_txn,
            forget_counts_txn,
        )

    async def publish(self, event: bytes) -> None:
        """Publish this hub's count for the event if it is not the count last published
        (only for events that federate: a members-only event's count stays here)."""
        found = await self._store.event(event)
        if found is None or not found.federated:
            return
        me = self.node_id
        async with self._lock:  # one publisher at a time in this process
            for _ in range(_TRIES):
                count = await self._store.local_count(event)
                if (await self._store.hub_counts(event)).get(me, 0) == count:
                    return

                async def check_txn(conn: aiosqlite.Connection, count: int = count) -> None:
                    # In the message's transaction: the count sent is the count then.
                    if not await unpublished_count_txn(conn, event, me, count):
                        raise _Moved

                async def record_txn(conn: aiosqlite.Connection, message: Message) -> None:
                    body = message.body
                    await record_count_txn(conn, event, me, body.count, message.seq)

                try:
                    await self._messages.append(
                        "event.attendance",
                        EventAttendance(event=event, count=min(count, MAX_ATTENDANCE)),
                        check=check_txn,
                        then=record_txn,
                    )
                    return
                except _Moved:
                    continue

    async def coming(self, event: bytes, organiser: str, capacity: int | None) -> Coming:
        """Everyone coming: this hub's own count as it is now, other hubs' as published."""
        counts = await self._store.hub_counts(event)
        counts[self.node_id] = await self._store.local_count(event)
        if capacity is not None:
            counts = {origin: min(n, capacity) for origin, n in counts.items()}
        counts = {origin: n for origin, n in counts.items() if n > 0}
        others = sorted(
            ((o, n) for o, n in counts.items() if o != organiser), key=lambda x: (-x[1], x[0])
        )
        first = [(organiser, counts[organiser])] if organiser in counts else []
        total = sum(counts.values())
        if capacity is not None:
            total = min(total, capacity)  # never more coming than there are places
        return Coming(
            total=total,
            from_other_hubs=min(total, sum(n for _, n in others)),
            by_hub=tuple(first + others),
        )

    async def member_leaves(self, member_id: int) -> list[bytes]:
        """The events whose count a leaving member's RSVPs are in (publish after)."""
        return await self._store.rsvp_events(member_id)
