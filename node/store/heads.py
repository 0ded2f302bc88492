"""Heads read a page at a time: what a node offers its peers, and its own for a page of theirs.

PROTOCOL.md §9.3: /heads is paged so that its answer stays far below the body
limit however many origins a node holds; the puller plans one page at a time,
so neither side ever loads every origin's head at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from crypto.nodeid import NodeId
from node.store.database import Database
from protocol.envelope import MessageId
from protocol.log import Head

# SQLite's default limit on ? parameters in one statement is far above this.
_CHUNK = 500


class HeadsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def offered_page(self, after: str, limit: int) -> tuple[list[tuple[NodeId, Head]], bool]:
        """Heads this node offers peers, by origin after `after` ("" for the first page).

        Blocked and forked origins are left out (PROTOCOL.md §11). Returns at most
        `limit` heads in ascending order of origin, and whether more follow.
        """
        async with self._db.reader.execute(
            "SELECT origin, head_seq, head_id FROM origins"
            " WHERE origin > ? AND head_seq > 0 AND forked_at IS NULL"
            " AND origin NOT IN (SELECT origin FROM blocked_origins)"
            " ORDER BY origin LIMIT ?",
            (after, limit + 1),
        ) as cursor:
            rows = list(await cursor.fetchall())
        page = [(NodeId(o), Head(seq, MessageId(i))) for o, seq, i in rows[:limit]]
        return page, len(rows) > limit

    async def heads_of(self, origins: Iterable[str]) -> dict[NodeId, Head]:
        """This node's heads for the given origins (those it holds anything of)."""
        wanted = list(origins)
        found: dict[NodeId, Head] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self._db.reader.execute(
                "SELECT origin, head_seq, head_id FROM origins"
                f" WHERE head_seq > 0 AND origin IN ({marks})",
                chunk,
            ) as cursor:
                for o, seq, i in await cursor.fetchall():
                    found[NodeId(o)] = Head(seq, MessageId(i))
        return found
