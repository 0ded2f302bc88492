"""SQL for the search index: the FTS5 table `search` and `search_refs`, which finds a
thing's row by (kind, ref) without scanning FTS5's unindexed columns.

node/search.py says what a visitor's words mean; the projections and local
services index through the `_txn` functions here, in their own transactions.
"""

from __future__ import annotations

from typing import Literal

import aiosqlite

from node.store.database import Database

Visibility = Literal["public", "members"]


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
    await drop_txn(conn, kind, ref)
    cursor = await conn.execute(
        "INSERT INTO search (title, body, kind, ref, visibility) VALUES (?, ?, ?, ?, ?)",
        (title, text, kind, ref, visibility),
    )
    await conn.execute(
        "INSERT INTO search_refs (kind, ref, fts_rowid, link) VALUES (?, ?, ?, ?)",
        (kind, ref, cursor.lastrowid, link),
    )


async def drop_txn(conn: aiosqlite.Connection, kind: str, ref: str) -> None:
    # Through search_refs: a DELETE on FTS5's unindexed columns would scan every row.
    async with conn.execute(
        "SELECT fts_rowid FROM search_refs WHERE kind = ? AND ref = ?", (kind, ref)
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None:
        await conn.execute("DELETE FROM search WHERE rowid = ?", (row[0],))
        await conn.execute("DELETE FROM search_refs WHERE kind = ? AND ref = ?", (kind, ref))


async def drop_kind_txn(conn: aiosqlite.Connection, kind: str) -> None:
    """Drop every row of `kind` that came from a message (local records, whose refs
    start `local:`, stay): a projection being rebuilt writes them again."""
    await conn.execute(
        "DELETE FROM search WHERE rowid IN (SELECT fts_rowid FROM search_refs"
        " WHERE kind = ? AND ref NOT LIKE 'local:%')",
        (kind,),
    )
    await conn.execute("DELETE FROM search_refs WHERE kind = ? AND ref NOT LIKE 'local:%'", (kind,))


class SearchStore:
    def __init__(self, db: Database) -> None:
        self._db = db

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
            await put_txn(conn, kind, ref, title, text, visibility, link)

    async def drop(self, kind: str, ref: str) -> None:
        async with self._db.write() as conn:
            await drop_txn(conn, kind, ref)

    async def matches(
        self, expression: str, kinds: list[str], limit: int, members: bool
    ) -> list[tuple[str, str, str, str, str | None]]:
        """(kind, ref, title, snippet, link) of the best matches of the FTS5 `expression`."""
        marks = ",".join("?" * len(kinds))
        visibility = "" if members else "AND search.visibility = 'public'"
        rows = await self._db.fetchall(
            "SELECT search.kind, search.ref, search.title,"
            " snippet(search, 1, '[', ']', ' … ', 24), search_refs.link"
            " FROM search JOIN search_refs ON search_refs.fts_rowid = search.rowid"
            f" WHERE search MATCH ? AND search.kind IN ({marks}) {visibility}"
            " ORDER BY rank LIMIT ?",
            (expression, *kinds, limit),
        )
        return [(k, r, t, s, link) for k, r, t, s, link in rows]
