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


Entry = tuple[str, str, str, str, Visibility, str | None]  # kind, ref, title, text, who, link


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
    await put_many_txn(conn, [(kind, ref, title, text, visibility, link)])


async def put_many_txn(conn: aiosqlite.Connection, entries: list[Entry]) -> None:
    """Index (or re-index) many things in a handful of statements: a projection's
    batch of a thousand messages costs a few round trips to the database thread,
    not several per message."""
    if not entries:
        return
    latest = {(e[0], e[1]): e for e in entries}  # the last entry for a thing wins
    await drop_many_txn(conn, list(latest))
    # ORDER BY rowid is answered from FTS5's own index; max() would read every row.
    async with conn.execute("SELECT rowid FROM search ORDER BY rowid DESC LIMIT 1") as cursor:
        row = await cursor.fetchone()
    # Rowids given here, not left to SQLite, so search_refs can name them without
    # a round trip per insert; the write transaction keeps them ours.
    first = int(row[0]) + 1 if row else 1
    rows = list(enumerate(latest.values(), start=first))
    await conn.executemany(
        "INSERT INTO search (rowid, title, body, kind, ref, visibility) VALUES (?, ?, ?, ?, ?, ?)",
        [(rowid, title, text, kind, ref, who) for rowid, (kind, ref, title, text, who, _) in rows],
    )
    await conn.executemany(
        "INSERT INTO search_refs (kind, ref, fts_rowid, link) VALUES (?, ?, ?, ?)",
        [(kind, ref, rowid, link) for rowid, (kind, ref, _, _, _, link) in rows],
    )


async def drop_txn(conn: aiosqlite.Connection, kind: str, ref: str) -> None:
    await drop_many_txn(conn, [(kind, ref)])


async def drop_many_txn(conn: aiosqlite.Connection, things: list[tuple[str, str]]) -> None:
    # Through search_refs: a DELETE on FTS5's unindexed columns would scan every row.
    # Asked one kind at a time: `kind = ? AND ref IN (…)` uses the primary key, where
    # SQLite scans the whole table for a row-value `(kind, ref) IN (VALUES …)`.
    refs: dict[str, list[str]] = {}
    for kind, ref in things:
        refs.setdefault(kind, []).append(ref)
    found: list[int] = []
    for kind, wanted in refs.items():
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            async with conn.execute(
                "SELECT fts_rowid FROM search_refs"
                f" WHERE kind = ? AND ref IN ({','.join('?' * len(part))})",
                (kind, *part),
            ) as cursor:
                found += [int(r[0]) for r in await cursor.fetchall()]
    if not found:
        return
    await conn.executemany("DELETE FROM search WHERE rowid = ?", [(r,) for r in found])
    await conn.executemany("DELETE FROM search_refs WHERE kind = ? AND ref = ?", things)


# Bound parameters per statement stay well under SQLite's limit (32,766 since 3.32).
_CHUNK = 400


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
