"""Login sessions and one-time password-reset links, kept server-side.

The browser holds only a random token; the table holds its SHA-256, so a copy
of the database does not let anyone log in. Sessions end after an idle time
and after an absolute lifetime, both settings.
"""

from __future__ import annotations

import secrets

import aiosqlite

from node.accounts.members import AccountError, Member, check_may_manage_txn
from node.accounts.tokens import token_digest
from node.clock import Clock
from node.store.sessions import SessionsStore
from node.wording import Term

# Writing last_seen on every request would make every page view a write.
_TOUCH_EVERY_MS = 60_000
RESET_LINK_TTL_MS = 72 * 3600 * 1000


class Sessions:
    def __init__(self, store: SessionsStore, clock: Clock, idle_ms: int, lifetime_ms: int) -> None:
        self._store = store
        self._clock = clock
        self._idle = idle_ms
        self._lifetime = lifetime_ms

    async def start(self, member_id: int) -> str:
        """A new session with a new random id (never one the browser brought along)."""
        token = secrets.token_urlsafe(32)
        await self._store.add_session(token_digest(token), member_id, self._clock())
        return token

    async def count_open(self) -> int:
        """Sessions still live (neither idle too long nor past their lifetime), for metrics."""
        now = self._clock()
        return await self._store.count_live(now - self._idle, now - self._lifetime)

    async def member_of(self, token: str) -> int | None:
        """The member a live session belongs to; expired sessions are removed."""
        if not token or len(token) > 100:
            return None
        key = token_digest(token)
        found = await self._store.session(key)
        if found is None:
            return None
        member_id, created_at, last_seen = found
        now = self._clock()
        if now - last_seen > self._idle or now - created_at > self._lifetime:
            await self.end(token)
            return None
        # Often enough that a short idle limit still sees the member as active.
        if now - last_seen > min(_TOUCH_EVERY_MS, self._idle // 4):
            await self._store.touch(key, now)
        return member_id

    async def end(self, token: str) -> None:
        await self._store.end(token_digest(token))

    # -- reset links ---------------------------------------------------------------

    async def create_reset_link(self, member_id: int, by: Member) -> str:
        """A one-time link for an active member to set a password, made by `by`: an
        organiser whose role outranks all of the member's (AccountError otherwise)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()

        async def may_manage(conn: aiosqlite.Connection) -> None:
            await check_may_manage_txn(conn, by, member_id, now, Term("make a reset link for"))

        made = await self._store.add_reset_link(
            token_digest(token), member_id, by.id, now, now + RESET_LINK_TTL_MS, check=may_manage
        )
        if not made:
            raise AccountError("Reset links are for active members.")
        return token

    async def reset_link_member(self, token: str) -> int | None:
        """The member an unused, unexpired reset link is for."""
        return await self._store.reset_link_member(token_digest(token), self._clock())
