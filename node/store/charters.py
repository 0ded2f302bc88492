"""SQL for the charter versions this hub adopted (the newest is in force)."""

from __future__ import annotations

from node.governance.records import Charter
from node.store.database import Database


class CharterStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def newest(self) -> Charter | None:
        """The newest adopted version; None if the hub has adopted none."""
        row = await self._db.fetchone(
            "SELECT version, title, text, adopted_at FROM charters"
            " ORDER BY adopted_at DESC, rowid DESC LIMIT 1"
        )
        return Charter(row[0], row[1], row[2], row[3]) if row else None

    async def history(self) -> list[Charter]:
        rows = await self._db.fetchall(
            "SELECT version, title, text, adopted_at FROM charters"
            " ORDER BY adopted_at DESC, rowid DESC"
        )
        return [Charter(*r) for r in rows]

    async def has_version(self, version: str) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM charters WHERE version = ?", (version,))
        return row is not None

    async def add(
        self, version: str, title: str, text: str, now: int, by: int, message_id: bytes
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO charters (version, title, text, adopted_at, adopted_by, message_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (version, title, text, now, by, message_id),
            )
