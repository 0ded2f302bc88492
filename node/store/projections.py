"""The one cursor table of the projection runner (node/projections/runner.py).

`projection_cursors` holds, for each projection by name, the rowid of the last
message it has applied; the runner reads the log after it and moves it in the
same transaction as the rows it writes, so a crash never applies a message twice
or skips one. A row reset to 0 (or missing) makes the projection start over.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import NamedTuple

import aiosqlite

from node.store.database import Database


@contextlib.asynccontextmanager
async def savepoint_txn(conn: aiosqlite.Connection) -> AsyncIterator[None]:
    """One projection's writes inside the runner's write transaction: undone if the
    block raises, while the transaction (and the other projections' writes) goes on."""
    await conn.execute("SAVEPOINT projection")
    try:
        yield
    except Exception:
        await conn.execute("ROLLBACK TO projection")
        await conn.execute("RELEASE projection")
        raise
    await conn.execute("RELEASE projection")


async def cursors_txn(conn: aiosqlite.Connection) -> dict[str, int]:
    async with conn.execute("SELECT name, last_rowid FROM projection_cursors") as cursor:
        return {str(name): int(last) for name, last in await cursor.fetchall()}


async def set_cursor_txn(conn: aiosqlite.Connection, name: str, last_rowid: int) -> None:
    await conn.execute(
        "INSERT INTO projection_cursors (name, last_rowid) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET last_rowid = excluded.last_rowid",
        (name, last_rowid),
    )


async def set_cursors_txn(conn: aiosqlite.Connection, names: list[str], last_rowid: int) -> None:
    """Move several projections' cursors to the same place, in one statement."""
    if not names:
        return
    rows = ",".join("(?, ?)" for _ in names)
    await conn.execute(
        f"INSERT INTO projection_cursors (name, last_rowid) VALUES {rows}"
        " ON CONFLICT (name) DO UPDATE SET last_rowid = excluded.last_rowid",
        [v for name in names for v in (name, last_rowid)],
    )


async def log_end_txn(conn: aiosqlite.Connection) -> int:
    """The rowid of the newest stored message (0 for an empty log)."""
    async with conn.execute("SELECT coalesce(max(rowid), 0) FROM messages") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def behind(db: Database, names: Iterable[str]) -> bool:
    """Whether any of the projections named has not yet applied the newest message
    (read without the writer, so a page that finds all caught up never waits for it)."""
    wanted = sorted(set(names))
    if not wanted:
        return False
    marks = ",".join("?" * len(wanted))
    row = await db.fetchone(
        "SELECT (SELECT coalesce(max(rowid), 0) FROM messages),"
        f" (SELECT count(*) FROM projection_cursors WHERE name IN ({marks})),"
        f" (SELECT coalesce(min(last_rowid), 0) FROM projection_cursors WHERE name IN ({marks}))",
        (*wanted, *wanted),
    )
    assert row is not None
    end, known, least = (int(x) for x in row)
    return known < len(wanted) or least < end


class LoggedRow(NamedTuple):
    """A stored message as the runner reads it: enough to choose before decoding."""

    rowid: int
    id: bytes
    kind: str
    origin: str
    payload: bytes
    signature: bytes


async def messages_after_txn(
    conn: aiosqlite.Connection,
    after: int,
    kinds: Iterable[str],
    limit: int,
    own_kinds: Iterable[str] = (),
    own: str | None = None,
) -> list[LoggedRow]:
    """Up to `limit` messages after `after`, in log order: those of `kinds`, and those
    of `own_kinds` that `own` wrote."""
    wanted = sorted(set(kinds))
    mine = sorted(set(own_kinds)) if own is not None else []
    marks = ",".join("?" * len(wanted))
    own_marks = ",".join("?" * len(mine))
    where = f"kind IN ({marks})"
    if mine:
        where = f"({where} OR (origin = ? AND kind IN ({own_marks})))"
    async with conn.execute(
        "SELECT rowid, id, kind, origin, payload, signature FROM messages"
        f" WHERE rowid > ? AND {where} ORDER BY rowid LIMIT ?",
        (after, *wanted, *([own, *mine] if mine else []), limit),
    ) as cursor:
        return [
            LoggedRow(int(r), bytes(i), str(k), str(o), bytes(p), bytes(s))
            for r, i, k, o, p, s in await cursor.fetchall()
        ]
