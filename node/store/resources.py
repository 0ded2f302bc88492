"""SQL for which content-addressed files this node holds and how missing ones are
retried (node/resources.py; the `resources` table, migration 11)."""

from __future__ import annotations

import aiosqlite

from node.store.database import Database


async def stored_txn(conn: aiosqlite.Connection, digest: bytes, now: int) -> None:
    await conn.execute(
        "UPDATE resources SET stored_at = ? WHERE hash = ? AND stored_at IS NULL",
        (now, digest),
    )


class ResourceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def stored(self, digest: bytes, now: int) -> None:
        """Record that the file named `digest` is now held."""
        async with self._db.write() as conn:
            await stored_txn(conn, digest, now)

    async def fetch_failed(self, digest: bytes, next_fetch_at: int) -> int:
        """Count a failed attempt at this file, to try again at `next_fetch_at`; the count."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE resources SET fetch_failures = fetch_failures + 1, next_fetch_at = ?"
                " WHERE hash = ? AND stored_at IS NULL",
                (next_fetch_at, digest),
            )
            async with conn.execute(
                "SELECT fetch_failures FROM resources WHERE hash = ?", (digest,)
            ) as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def due(self, now: int, limit: int) -> list[tuple[bytes, int, int]]:
        """Missing files due at `now`, soonest first: (hash, size, failures so far)."""
        async with self._db.reader.execute(
            "SELECT hash, size, fetch_failures FROM resources"
            " WHERE stored_at IS NULL AND next_fetch_at <= ?"
            " ORDER BY next_fetch_at, rowid LIMIT ?",
            (now, limit),
        ) as cursor:
            return [(bytes(h), int(s), int(f)) for h, s, f in await cursor.fetchall()]

    async def next_due_at(self) -> int | None:
        """When the next missing file is due to be tried (ms), or None if none is missing."""
        async with self._db.reader.execute(
            "SELECT min(next_fetch_at) FROM resources WHERE stored_at IS NULL"
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])
