"""SQL for each hub's count of who is coming to an event (`hub_attendance`).

Built from `event.attendance` messages by the attendance counts projection
(node/events/counts.py), the latest of each origin for each event; emptied and read
again from the log like any projection. This hub's own count is also written with
the message that publishes it, so the next change compares with what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from node.store.attendance import local_count_txn
from node.store.database import Database
from protocol.envelope import Message
from protocol.kinds.event import EventAttendance


@dataclass(frozen=True, slots=True)
class CountEvent:
    """What decides whether this hub publishes a count for an event."""

    origin: str
    federated: bool


async def record_count_txn(
    conn: aiosqlite.Connection, event: bytes, origin: str, count: int, seq: int
) -> None:
    # PROTOCOL.md §5.37: an origin's count with the highest seq replaces the others.
    await conn.execute(
        "INSERT INTO hub_attendance (event, origin, count, seq) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (event, origin) DO UPDATE SET count = excluded.count, seq = excluded.seq"
        " WHERE excluded.seq > hub_attendance.seq",
        (event, origin, count, seq),
    )


async def apply_counts_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
    for m in messages:
        if isinstance(m.body, EventAttendance):
            await record_count_txn(conn, m.body.event, m.origin, m.body.count, m.seq)


async def forget_counts_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM hub_attendance")


async def unpublished_count_txn(
    conn: aiosqlite.Connection, event: bytes, me: str, count: int
) -> bool:
    """Whether `count` is still this hub's count for the event and differs from the
    count it last published (read in the publishing transaction)."""
    if await local_count_txn(conn, event) != count:
        return False
    async with conn.execute(
        "SELECT count FROM hub_attendance WHERE event = ? AND origin = ?", (event, me)
    ) as cursor:
        row = await cursor.fetchone()
    return (row[0] if row else 0) != count


class AttendanceCountsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def event(self, event: bytes) -> CountEvent | None:
        row = await self._db.fetchone("SELECT origin, federated FROM events WHERE id = ?", (event,))
        return CountEvent(str(row[0]), bool(row[1])) if row else None

    async def local_count(self, event: bytes) -> int:
        return await local_count_txn(self._db.reader, event)

    async def hub_counts(self, event: bytes) -> dict[str, int]:
        """Each hub's latest published count for the event, by origin."""
        rows = await self._db.fetchall(
            "SELECT origin, count FROM hub_attendance WHERE event = ? AND count > 0", (event,)
        )
        return {str(o): int(c) for o, c in rows}

    async def rsvp_events(self, member_id: int) -> list[bytes]:
        """The events a member has said they are coming to."""
        rows = await self._db.fetchall("SELECT event FROM rsvps WHERE member_id = ?", (member_id,))
        return [bytes(r[0]) for r in rows]
