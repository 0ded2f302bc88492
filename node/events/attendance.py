"""Who is coming: members' RSVPs, the public's registrations, and "my events" feed links.

All of it is personal data and stays on this node: only the organising hub
takes RSVPs and registrations for an event, and pages show counts.
"""

from __future__ import annotations

import secrets
from typing import Any

import aiosqlite

from crypto.digest import sha256
from crypto.nodeid import NodeId
from node.accounts.members import AccountError, check_email
from node.clock import Clock
from node.errors import NodeError
from node.events.projection import EventProjection
from node.store.database import Database


class AttendanceError(NodeError):
    """An RSVP or registration that cannot be taken, with why."""


def _token_hash(token: str) -> bytes:
    return sha256(token.encode("ascii", "replace"))


class Attendance:
    personal_data_name = "rsvps"

    def __init__(
        self, db: Database, projection: EventProjection, node_id: NodeId, clock: Clock
    ) -> None:
        self._db = db
        self._projection = projection
        self._node_id = node_id
        self._clock = clock

    async def _open_event_txn(
        self, conn: aiosqlite.Connection, event_id: bytes, public_only: bool
    ) -> int | None:
        """Check the event takes sign-ups now; its capacity."""
        async with conn.execute(
            "SELECT origin, visibility, cancelled, ends, capacity FROM events WHERE id = ?",
            (event_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise AttendanceError("There is no such event.")
        origin, visibility, cancelled, ends, capacity = row
        if origin != self._node_id:
            raise AttendanceError("Sign up for this event with the hub that organises it.")
        if public_only and visibility != "public":
            raise AttendanceError("Only public events take registrations from the public.")
        if cancelled:
            raise AttendanceError("This event has been cancelled.")
        if ends * 1000 < self._clock():
            raise AttendanceError("This event is over.")
        return int(capacity) if capacity is not None else None

    @staticmethod
    async def _going_txn(conn: aiosqlite.Connection, event_id: bytes) -> int:
        async with conn.execute(
            "SELECT (SELECT count(*) FROM rsvps WHERE event = ?)"
            " + (SELECT count(*) FROM registrations WHERE event = ?)",
            (event_id, event_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def rsvp(self, event_id: bytes, member_id: int) -> None:
        await self._projection.settle()
        async with self._db.write() as conn:
            capacity = await self._open_event_txn(conn, event_id, public_only=False)
            async with conn.execute(
                "SELECT 1 FROM rsvps WHERE event = ? AND member_id = ?", (event_id, member_id)
            ) as cursor:
                if await cursor.fetchone():
                    raise AttendanceError("You have already said you are coming.")
            if capacity is not None and await self._going_txn(conn, event_id) >= capacity:
                raise AttendanceError("Sorry, the event is full.")
            await conn.execute(
                "INSERT INTO rsvps (event, member_id, created_at) VALUES (?, ?, ?)",
                (event_id, member_id, self._clock()),
            )

    async def withdraw(self, event_id: bytes, member_id: int) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM rsvps WHERE event = ? AND member_id = ?", (event_id, member_id)
            )
            return bool(cursor.rowcount)

    async def is_going(self, event_id: bytes, member_id: int) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM rsvps WHERE event = ? AND member_id = ?", (event_id, member_id)
        )
        return row is not None

    async def register(self, event_id: bytes, name: str, email: str) -> None:
        """A member of the public registers for a public event.

        An email already registered for the event changes nothing and is not an
        error: the public form answers the same whatever the email, so nobody can
        test whether someone is coming."""
        name, email = self._checked(name, email)
        await self._projection.settle()
        async with self._db.write() as conn:
            capacity = await self._open_event_txn(conn, event_id, public_only=True)
            async with conn.execute(
                "SELECT 1 FROM registrations WHERE event = ? AND email = ?", (event_id, email)
            ) as cursor:
                if await cursor.fetchone():
                    return
            if capacity is not None and await self._going_txn(conn, event_id) >= capacity:
                raise AttendanceError("Sorry, the event is full.")
            await conn.execute(
                "INSERT INTO registrations (event, name, email, created_at) VALUES (?, ?, ?, ?)",
                (event_id, name, email, self._clock()),
            )

    @staticmethod
    def _checked(name: str, email: str) -> tuple[str, str]:
        name = name.strip()
        if not name:
            raise AttendanceError("Please give your name.")
        if len(name) > 100:
            raise AttendanceError("Your name can be at most 100 characters.")
        try:
            return name, check_email(email)
        except AccountError as exc:
            raise AttendanceError(str(exc)) from None

    async def check_registration(self, event_id: bytes, name: str, email: str) -> tuple[str, str]:
        """A public registration's name and email checked, and the event open with a
        place left (AttendanceError if not): what the form answers before any email.
        Nothing here depends on who is registered already."""
        name, email = self._checked(name, email)
        await self._projection.settle()
        async with self._db.write() as conn:
            capacity = await self._open_event_txn(conn, event_id, public_only=True)
            if capacity is not None and await self._going_txn(conn, event_id) >= capacity:
                raise AttendanceError("Sorry, the event is full.")
        return name, email

    async def is_registered(self, event_id: bytes, email: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM registrations WHERE event = ? AND email = ?", (event_id, email)
        )
        return row is not None

    async def attendees(self, event_id: bytes) -> list[tuple[str, str | None, str]]:
        """(name, email or None, how) of everyone coming, for the organisers."""
        members = await self._db.fetchall(
            "SELECT m.name, m.email FROM rsvps r JOIN members m ON m.id = r.member_id"
            " WHERE r.event = ? ORDER BY r.created_at",
            (event_id,),
        )
        public = await self._db.fetchall(
            "SELECT name, email FROM registrations WHERE event = ? ORDER BY created_at",
            (event_id,),
        )
        return [(n or "(a former member)", e, "member") for n, e in members] + [
            (n, e, "registered") for n, e in public
        ]

    # -- the secret "my events" feed -------------------------------------------------

    async def new_feed_token(self, member_id: int) -> str:
        """A new secret feed address for the member; any earlier one stops working."""
        token = secrets.token_urlsafe(32)
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM calendar_tokens WHERE member_id = ?", (member_id,))
            await conn.execute(
                "INSERT INTO calendar_tokens (token_hash, member_id, created_at) VALUES (?, ?, ?)",
                (_token_hash(token), member_id, self._clock()),
            )
        return token

    async def revoke_feed_token(self, member_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM calendar_tokens WHERE member_id = ?", (member_id,))

    async def feed_created_at(self, member_id: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT created_at FROM calendar_tokens WHERE member_id = ?", (member_id,)
        )
        return int(row[0]) if row else None

    async def feed_member(self, token: str) -> int | None:
        """The active member whose feed this token opens, if any."""
        row = await self._db.fetchone(
            "SELECT t.member_id FROM calendar_tokens t JOIN members m ON m.id = t.member_id"
            " WHERE t.token_hash = ? AND m.status = 'active'",
            (_token_hash(token),),
        )
        return int(row[0]) if row else None

    # -- personal data (node/accounts/personal.py) ------------------------------------

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetchall(
            "SELECT r.event, e.title, e.starts, e.timezone, r.created_at FROM rsvps r"
            " LEFT JOIN events e ON e.id = r.event WHERE r.member_id = ? ORDER BY r.created_at",
            (member_id,),
        )
        return [
            {"event": bytes(i).hex(), "title": t, "starts": s, "timezone": z, "created_at_ms": c}
            for i, t, s, z, c in rows
        ]

    async def erase_member(self, member_id: int) -> None:
        """Their RSVPs and their "my events" feed address go: both say who they are."""
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM rsvps WHERE member_id = ?", (member_id,))
            await conn.execute("DELETE FROM calendar_tokens WHERE member_id = ?", (member_id,))
