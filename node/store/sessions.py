"""SQL for login sessions and password-reset links (node/accounts/sessions.py).

Both tables hold only the SHA-256 of a token (node/accounts/tokens.py): the callers
pass digests, never tokens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiosqlite

from node.store.database import Database

# A check run first in a write transaction; it raises to refuse, rolling it back.
Check = Callable[[aiosqlite.Connection], Awaitable[None]]


async def end_member_sessions_txn(conn: aiosqlite.Connection, member_id: int) -> None:
    await conn.execute("DELETE FROM sessions WHERE member_id = ?", (member_id,))


async def forget_member_txn(conn: aiosqlite.Connection, member_id: int) -> None:
    """A member who leaves: their sessions end and their reset links go."""
    await end_member_sessions_txn(conn, member_id)
    await conn.execute("DELETE FROM reset_links WHERE member_id = ?", (member_id,))


class SessionsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_session(self, id_hash: bytes, member_id: int, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO sessions (id_hash, member_id, created_at, last_seen)"
                " VALUES (?, ?, ?, ?)",
                (id_hash, member_id, now, now),
            )

    async def count_live(self, seen_after: int, created_after: int) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM sessions WHERE last_seen > ? AND created_at > ?",
            (seen_after, created_after),
        )
        return int(row[0]) if row else 0

    async def session(self, id_hash: bytes) -> tuple[int, int, int] | None:
        """(member id, created at, last seen) of a session, if it exists."""
        # Every page asks; kept until the next write (a touch or a logout is one).
        row = await self._db.kept(
            ("session", id_hash),
            lambda: self._db.fetchone_inline(
                "SELECT member_id, created_at, last_seen FROM sessions WHERE id_hash = ?",
                (id_hash,),
            ),
        )
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    async def touch(self, id_hash: bytes, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, id_hash)
            )

    async def end(self, id_hash: bytes) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    async def add_reset_link(
        self,
        token_hash: bytes,
        member_id: int,
        by_id: int,
        now: int,
        expires_at: int,
        check: Check,
    ) -> bool:
        """Store a reset link for an active member, after `check` (the caller's permission
        rule) in the same transaction; False, writing nothing, if the member is not active."""
        async with self._db.write() as conn:
            await check(conn)
            async with conn.execute(
                "SELECT 1 FROM members WHERE id = ? AND status = 'active'", (member_id,)
            ) as cursor:
                if await cursor.fetchone() is None:
                    return False
            await conn.execute(
                "INSERT INTO reset_links (token_hash, member_id, created_by, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash, member_id, by_id, now, expires_at),
            )
        return True

    async def reset_link_member(self, token_hash: bytes, now: int) -> int | None:
        """The member an unused, unexpired reset link is for."""
        async with self._db.reader.execute(
            "SELECT member_id FROM reset_links WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (token_hash, now),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None
