"""SQL for who is coming to events: members' RSVPs, public registrations, feed tokens.

Whether an event takes sign-ups is decided by node/events/attendance.py, in the
`check` it hands these methods: it runs inside the write transaction that
counts the places taken and adds the sign-up, so two people cannot both take
the last place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from node.store.database import Database

# "added", or why not: already signed up, or no place left. Nothing is written unless added.
SignUp = Literal["added", "already", "full"]


@dataclass(frozen=True, slots=True)
class SignUpEvent:
    """What decides whether an event takes sign-ups now."""

    origin: str
    visibility: str
    cancelled: bool
    ends: int  # seconds
    capacity: int | None


# Raises to refuse a sign-up for the event (None: there is no such event).
SignUpCheck = Callable[[SignUpEvent | None], None]


async def _open_event_txn(
    conn: aiosqlite.Connection, event_id: bytes, check: SignUpCheck
) -> int | None:
    """Run `check` on the event; its capacity."""
    async with conn.execute(
        "SELECT origin, visibility, cancelled, ends, capacity FROM events WHERE id = ?",
        (event_id,),
    ) as cursor:
        row = await cursor.fetchone()
    event = None
    if row is not None:
        origin, visibility, cancelled, ends, capacity = row
        event = SignUpEvent(
            origin,
            visibility,
            bool(cancelled),
            ends,
            int(capacity) if capacity is not None else None,
        )
    check(event)
    assert event is not None  # `check` refuses a missing event
    return event.capacity


async def local_count_txn(conn: aiosqlite.Connection, event_id: bytes) -> int:
    """Members of this hub coming, and (for its own events) the public registered."""
    async with conn.execute(
        "SELECT (SELECT count(*) FROM rsvps WHERE event = ?)"
        " + (SELECT count(*) FROM registrations WHERE event = ?)",
        (event_id, event_id),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def others_count_txn(
    conn: aiosqlite.Connection, event_id: bytes, me: str, capacity: int | None
) -> int:
    """Coming through other hubs, by their latest `event.attendance` (each hub's count
    taken at most to the event's capacity: PROTOCOL.md §5.37)."""
    cap = capacity if capacity is not None else 2**31
    async with conn.execute(
        "SELECT coalesce(sum(min(count, ?)), 0) FROM hub_attendance"
        " WHERE event = ? AND origin != ?",
        (cap, event_id, me),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


class AttendanceStore:
    def __init__(self, db: Database, me: str = "") -> None:
        self._db = db
        self._me = me  # this hub's node id: other hubs' counts take places too

    async def _full_txn(
        self, conn: aiosqlite.Connection, event_id: bytes, capacity: int | None
    ) -> bool:
        if capacity is None:
            return False
        taken = await local_count_txn(conn, event_id)
        taken += await others_count_txn(conn, event_id, self._me, capacity)
        return taken >= capacity

    async def add_rsvp(
        self, event_id: bytes, member_id: int, now: int, check: SignUpCheck
    ) -> SignUp:
        async with self._db.write() as conn:
            capacity = await _open_event_txn(conn, event_id, check)
            async with conn.execute(
                "SELECT 1 FROM rsvps WHERE event = ? AND member_id = ?", (event_id, member_id)
            ) as cursor:
                if await cursor.fetchone():
                    return "already"
            if await self._full_txn(conn, event_id, capacity):
                return "full"
            await conn.execute(
                "INSERT INTO rsvps (event, member_id, created_at) VALUES (?, ?, ?)",
                (event_id, member_id, now),
            )
        return "added"

    async def withdraw_rsvp(self, event_id: bytes, member_id: int) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM rsvps WHERE event = ? AND member_id = ?", (event_id, member_id)
            )
            return bool(cursor.rowcount)

    async def has_rsvp(self, event_id: bytes, member_id: int) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM rsvps WHERE event = ? AND member_id = ?", (event_id, member_id)
        )
        return row is not None

    async def add_registration(
        self, event_id: bytes, name: str, email: str, now: int, check: SignUpCheck
    ) -> SignUp:
        async with self._db.write() as conn:
            capacity = await _open_event_txn(conn, event_id, check)
            async with conn.execute(
                "SELECT 1 FROM registrations WHERE event = ? AND email_index = blind_index(?)",
                (event_id, email),
            ) as cursor:
                if await cursor.fetchone():
                    return "already"
            if await self._full_txn(conn, event_id, capacity):
                return "full"
            await conn.execute(
                "INSERT INTO registrations (event, name, email, email_index, created_at)"
                " VALUES (?1, seal('registrations.name', ?2), seal('registrations.email', ?3),"
                " blind_index(?3), ?4)",
                (event_id, name, email, now),
            )
        return "added"

    async def has_place(self, event_id: bytes, check: SignUpCheck) -> bool:
        """Whether the event (passing `check`) has a place left, read as a sign-up would."""
        async with self._db.write() as conn:
            capacity = await _open_event_txn(conn, event_id, check)
            return not await self._full_txn(conn, event_id, capacity)

    async def has_registration(self, event_id: bytes, email: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM registrations WHERE event = ? AND email_index = blind_index(?)",
            (event_id, email),
        )
        return row is not None

    async def member_attendees(self, event_id: bytes) -> list[tuple[str | None, str | None]]:
        """(name, email) of members coming, in the order they said so."""
        rows = await self._db.fetchall(
            "SELECT unseal('members.name', m.name), unseal('members.email', m.email)"
            " FROM rsvps r JOIN members m ON m.id = r.member_id"
            " WHERE r.event = ? ORDER BY r.created_at",
            (event_id,),
        )
        return [(n, e) for n, e in rows]

    async def registrations(self, event_id: bytes) -> list[tuple[str, str]]:
        """(name, email) of the public registered, in the order they registered."""
        rows = await self._db.fetchall(
            "SELECT unseal('registrations.name', name), unseal('registrations.email', email)"
            " FROM registrations WHERE event = ? ORDER BY created_at",
            (event_id,),
        )
        return [(n, e) for n, e in rows]

    # -- the secret "my events" feed -------------------------------------------------

    async def replace_feed_token(self, member_id: int, token_hash: bytes, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM calendar_tokens WHERE member_id = ?", (member_id,))
            await conn.execute(
                "INSERT INTO calendar_tokens (token_hash, member_id, created_at) VALUES (?, ?, ?)",
                (token_hash, member_id, now),
            )

    async def revoke_feed_token(self, member_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM calendar_tokens WHERE member_id = ?", (member_id,))

    async def feed_created_at(self, member_id: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT created_at FROM calendar_tokens WHERE member_id = ?", (member_id,)
        )
        return int(row[0]) if row else None

    async def feed_member(self, token_hash: bytes) -> int | None:
        row = await self._db.fetchone(
            "SELECT t.member_id FROM calendar_tokens t JOIN members m ON m.id = t.member_id"
            " WHERE t.token_hash = ? AND m.status = 'active'",
            (token_hash,),
        )
        return int(row[0]) if row else None

    # -- personal data ---------------------------------------------------------------

    async def member_rsvps(
        self, member_id: int
    ) -> list[tuple[bytes, str | None, int | None, str | None, int]]:
        """(event id, title, starts, timezone, when) of the member's RSVPs; the event's
        fields are None if it is no longer held."""
        rows = await self._db.fetchall(
            "SELECT r.event, e.title, e.starts, e.timezone, r.created_at FROM rsvps r"
            " LEFT JOIN events e ON e.id = r.event WHERE r.member_id = ? ORDER BY r.created_at",
            (member_id,),
        )
        return [(bytes(i), t, s, z, c) for i, t, s, z, c in rows]

    async def erase_member(self, member_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM rsvps WHERE member_id = ?", (member_id,))
            await conn.execute("DELETE FROM calendar_tokens WHERE member_id = ?", (member_id,))
