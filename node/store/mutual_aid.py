"""SQL for the mutual aid board (`mutual_aid`): members' requests and offers of help,
kept on this hub only."""

from __future__ import annotations

from dataclasses import dataclass

from node.store.database import Database


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    member_id: int
    author: str
    type: str
    title: str
    text: str
    created_at: int
    closed_at: int | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class PostRecord:
    """All the board keeps of a member's post (for their data download)."""

    type: str
    title: str
    text: str
    created_at: int
    closed_at: int | None
    outcome: str | None


class MutualAidStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, member_id: int, type: str, title: str, text: str, now: int) -> int:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO mutual_aid (member_id, type, title, text, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (member_id, type, title, text, now),
            )
            return int(cursor.lastrowid or 0)

    async def close(self, member_id: int, post_id: int, outcome: str, now: int) -> bool:
        """Close the member's open post; False if they have no such post open."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE mutual_aid SET closed_at = ?, outcome = ?"
                " WHERE id = ? AND member_id = ? AND closed_at IS NULL",
                (now, outcome, post_id, member_id),
            )
            return cursor.rowcount == 1

    async def board(self, include_closed: bool, limit: int) -> list[Post]:
        """Posts by active members, newest first; open ones only unless `include_closed`."""
        closed = "" if include_closed else "AND p.closed_at IS NULL"
        rows = await self._db.fetchall(
            "SELECT p.id, p.member_id, coalesce(unseal('members.name', m.name), 'A member'),"
            " p.type, p.title, p.text,"
            " p.created_at, p.closed_at, p.outcome FROM mutual_aid p"
            f" JOIN members m ON m.id = p.member_id WHERE m.status = 'active' {closed}"
            " ORDER BY p.created_at DESC, p.id DESC LIMIT ?",
            (limit,),
        )
        return [Post(*row) for row in rows]

    async def records(self, member_id: int) -> list[PostRecord]:
        rows = await self._db.fetchall(
            "SELECT type, title, text, created_at, closed_at, outcome FROM mutual_aid"
            " WHERE member_id = ? ORDER BY id",
            (member_id,),
        )
        return [PostRecord(*row) for row in rows]

    async def forget_member(self, member_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM mutual_aid WHERE member_id = ?", (member_id,))
