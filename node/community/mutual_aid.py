"""The mutual aid board: members' requests and offers of help.

Members only, and it never leaves the hub: there is no message kind for it, so
nothing here can reach another node. A post is closed by its author, as
fulfilled or simply closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from node.clock import Clock
from node.errors import NodeError
from node.store.database import Database

PostType = Literal["request", "offer"]
MAX_TITLE = 200
MAX_TEXT = 4000


class MutualAidError(NodeError):
    """A post this hub refuses, with the reason to show."""


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


class MutualAid:
    personal_data_name = "mutual_aid_posts"

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def post(self, member_id: int, type: str, title: str, text: str) -> int:
        title, text = title.strip(), text.strip()
        if type not in ("request", "offer"):
            raise MutualAidError("Say whether you are asking for help or offering it.")
        if not title or not text:
            raise MutualAidError("Give your post a title and say what is needed or offered.")
        if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
            raise MutualAidError(
                f"Keep the title under {MAX_TITLE} characters and the text under {MAX_TEXT}."
            )
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO mutual_aid (member_id, type, title, text, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (member_id, type, title, text, self._clock()),
            )
            return int(cursor.lastrowid or 0)

    async def close(self, member_id: int, post_id: int, outcome: str) -> None:
        if outcome not in ("fulfilled", "closed"):
            raise MutualAidError("A post is closed as fulfilled or just closed.")
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE mutual_aid SET closed_at = ?, outcome = ?"
                " WHERE id = ? AND member_id = ? AND closed_at IS NULL",
                (self._clock(), outcome, post_id, member_id),
            )
            if cursor.rowcount != 1:
                raise MutualAidError("You can close only your own open posts.")

    async def board(self, include_closed: bool = False, limit: int = 200) -> list[Post]:
        """Open posts, newest first; only by members still active (a member who left
        or was suspended is not shown asking or offering)."""
        closed = "" if include_closed else "AND p.closed_at IS NULL"
        rows = await self._db.fetchall(
            "SELECT p.id, p.member_id, coalesce(m.name, 'A member'), p.type, p.title, p.text,"
            " p.created_at, p.closed_at, p.outcome FROM mutual_aid p"
            f" JOIN members m ON m.id = p.member_id WHERE m.status = 'active' {closed}"
            " ORDER BY p.created_at DESC, p.id DESC LIMIT ?",
            (limit,),
        )
        return [Post(*row) for row in rows]

    # -- personal data (node/accounts/personal.py) ------------------------------------

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetchall(
            "SELECT type, title, text, created_at, closed_at, outcome FROM mutual_aid"
            " WHERE member_id = ? ORDER BY id",
            (member_id,),
        )
        keys = ("type", "title", "text", "created_at_ms", "closed_at_ms", "outcome")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    async def erase_member(self, member_id: int) -> None:
        """Their posts go, open or closed: what they asked for or offered is about them."""
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM mutual_aid WHERE member_id = ?", (member_id,))
