"""Login sessions and one-time password-reset links, kept server-side.

The browser holds only a random token; the table holds its SHA-256, so a copy
of the database does not let anyone log in. Sessions end after an idle time
and after an absolute lifetime, both settings.
"""

from __future__ import annotations

import secrets

from node.accounts.members import AccountError, Member, check_may_manage_txn
from node.accounts.tokens import token_digest
from node.clock import Clock
from node.store.database import Database

# Writing last_seen on every request would make every page view a write.
_TOUCH_EVERY_MS = 60_000
RESET_LINK_TTL_MS = 72 * 3600 * 1000


class Sessions:
    def __init__(self, db: Database, clock: Clock, idle_ms: int, lifetime_ms: int) -> None:
        self._db = db
        self._clock = clock
        self._idle = idle_ms
        self._lifetime = lifetime_ms

    async def start(self, member_id: int) -> str:
        """A new session with a new random id (never one the browser brought along)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO sessions (id_hash, member_id, created_at, last_seen)"
                " VALUES (?, ?, ?, ?)",
                (token_digest(token), member_id, now, now),
            )
        return token

    async def count_open(self) -> int:
        """Sessions still live (neither idle too long nor past their lifetime), for metrics."""
        now = self._clock()
        row = await self._db.fetchone(
            "SELECT count(*) FROM sessions WHERE last_seen > ? AND created_at > ?",
            (now - self._idle, now - self._lifetime),
        )
        return int(row[0]) if row else 0

    async def member_of(self, token: str) -> int | None:
        """The member a live session belongs to; expired sessions are removed."""
        if not token or len(token) > 100:
            return None
        key = token_digest(token)
        row = await self._db.fetchone(
            "SELECT member_id, created_at, last_seen FROM sessions WHERE id_hash = ?", (key,)
        )
        if row is None:
            return None
        member_id, created_at, last_seen = row
        now = self._clock()
        if now - last_seen > self._idle or now - created_at > self._lifetime:
            await self.end(token)
            return None
        # Often enough that a short idle limit still sees the member as active.
        if now - last_seen > min(_TOUCH_EVERY_MS, self._idle // 4):
            async with self._db.write() as conn:
                await conn.execute(
                    "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, key)
                )
        return int(member_id)

    async def end(self, token: str) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM sessions WHERE id_hash = ?", (token_digest(token),))

    # -- reset links ---------------------------------------------------------------

    async def create_reset_link(self, member_id: int, by: Member) -> str:
        """A one-time link for an active member to set a password, made by `by`: an
        organiser whose role outranks all of the member's (AccountError otherwise)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._db.write() as conn:
            await check_may_manage_txn(conn, by, member_id, now, "make a reset link for")
            async with conn.execute(
                "SELECT 1 FROM members WHERE id = ? AND status = 'active'", (member_id,)
            ) as cursor:
                if await cursor.fetchone() is None:
                    raise AccountError("Reset links are for active members.")
            await conn.execute(
                "INSERT INTO reset_links (token_hash, member_id, created_by, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_digest(token), member_id, by.id, now, now + RESET_LINK_TTL_MS),
            )
        return token

    async def reset_link_member(self, token: str) -> int | None:
        """The member an unused, unexpired reset link is for."""
        async with self._db.reader.execute(
            "SELECT member_id FROM reset_links WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (token_digest(token), self._clock()),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None
