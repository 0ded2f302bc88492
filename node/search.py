"""One search box over events, campaigns, resources and directory entries (SQLite FTS5).

Each searchable thing is a row (kind, ref, title, body, visibility). `ref` is the
thing's own id: a message id in hex for federated things, `local:<n>` for local
records. Rows are written by the projections (node/projections/) from stored
messages and by the local services from their records; the index holds nothing
that is not also somewhere else, so it can be dropped and rebuilt.

What a visitor types is never FTS5 syntax: every word is quoted, so `"`, `*`,
`AND`, `NEAR(` and the like are searched for as words and cannot make a query
fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from node.store.database import Database

Visibility = Literal["public", "members"]
KINDS = ("event", "campaign", "resource", "directory", "discussion")
MAX_QUERY_WORDS = 12

# Words: runs of letters and digits (unicode61's idea of a token, near enough).
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    ref: str
    title: str
    snippet: str  # plain text with [ and ] around matches; escaped when shown
    link: str | None = None  # the page, for kinds whose ref does not name it


def match_expression(text: str) -> str | None:
    """The FTS5 query for what a visitor typed: every word quoted, all required, the
    last a prefix (so a search updates as they type). None if there are no words."""
    words = _WORD.findall(text)[:MAX_QUERY_WORDS]
    if not words:
        return None
    quoted = [f'"{w.replace(chr(34), chr(34) * 2)}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class Search:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def put_txn(
        conn: aiosqlite.Connection,
        kind: str,
        ref: str,
        title: str,
        text: str,
        visibility: Visibility,
        link: str | None = None,
    ) -> None:
        """Index (or re-index) one thing, inside the caller's write transaction."""
        await Search.drop_txn(conn, kind, ref)
        cursor = await conn.execute(
            "INSERT INTO search (title, body, kind, ref, visibility) VALUES (?, ?, ?, ?, ?)",
            (title, text, kind, ref, visibility),
        )
        await conn.execute(
            "INSERT INTO search_refs (kind, ref, fts_rowid, link) VALUES (?, ?, ?, ?)",
            (kind, ref, cursor.lastrowid, link),
        )

    @staticmethod
    async def drop_txn(conn: aiosqlite.Connection, kind: str, ref: str) -> None:
        # Through search_refs: a DELETE on FTS5's unindexed columns would scan every row.
        async with conn.execute(
            "SELECT fts_rowid FROM search_refs WHERE kind = ? AND ref = ?", (kind, ref)
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            await conn.execute("DELETE FROM search WHERE rowid = ?", (row[0],))
            await conn.execute("DELETE FROM search_refs WHERE kind = ? AND ref = ?", (kind, ref))

    @staticmethod
    async def drop_kind_txn(conn: aiosqlite.Connection, kind: str) -> None:
        """Drop every row of `kind` that came from a message (local records, whose refs
        start `local:`, stay): a projection being rebuilt writes them again."""
        await conn.execute(
            "DELETE FROM search WHERE rowid IN (SELECT fts_rowid FROM search_refs"
            " WHERE kind = ? AND ref NOT LIKE 'local:%')",
            (kind,),
        )
        await conn.execute(
            "DELETE FROM search_refs WHERE kind = ? AND ref NOT LIKE 'local:%'", (kind,)
        )

    async def put(
        self,
        kind: str,
        ref: str,
        title: str,
        text: str,
        visibility: Visibility,
        link: str | None = None,
    ) -> None:
        async with self._db.write() as conn:
            await self.put_txn(conn, kind, ref, title, text, visibility, link)

    async def drop(self, kind: str, ref: str) -> None:
        async with self._db.write() as conn:
            await self.drop_txn(conn, kind, ref)

    async def query(
        self,
        text: str,
        kinds: tuple[str, ...] = KINDS,
        limit: int = 20,
        members: bool = False,
    ) -> list[Hit]:
        """The best matches, best first; members-only things only when `members`."""
        expression = match_expression(text)
        wanted = [k for k in kinds if k in KINDS]
        if expression is None or not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        visibility = "" if members else "AND search.visibility = 'public'"
        rows = await self._db.fetchall(
            "SELECT search.kind, search.ref, search.title,"
            " snippet(search, 1, '[', ']', ' … ', 24), search_refs.link"
            " FROM search JOIN search_refs ON search_refs.fts_rowid = search.rowid"
            f" WHERE search MATCH ? AND search.kind IN ({marks}) {visibility}"
            " ORDER BY rank LIMIT ?",
            (expression, *wanted, limit),
        )
        return [Hit(k, r, t, s, link) for k, r, t, s, link in rows]
