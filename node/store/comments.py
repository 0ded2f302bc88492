"""SQL for comments across hubs: the `comments` projection, who wrote ours, network names.

`comments` is built from the log by the comments projection (node/discussion/
comments.py decides what applies; these functions only read and write).
`comment_authors` and `network_names` are this hub's own: which member wrote a
comment it published, and the name each member is known by on the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from node.store.database import Database


@dataclass(frozen=True, slots=True)
class CommentOwner:
    origin: str
    deleted: bool
    member_id: int | None  # who wrote it, for comments this hub published


@dataclass(frozen=True, slots=True)
class ThreadRow:
    id: bytes
    origin: str
    author: str
    text: str | None
    created_at: int
    edited_at: int | None
    deleted: bool
    hidden: bool
    reply_to: bytes | None
    member_id: int | None
    shown_at: int


# -- who wrote ours --------------------------------------------------------------------


async def add_author_txn(
    conn: aiosqlite.Connection, comment_id: bytes, member_id: int, now: int
) -> None:
    await conn.execute(
        "INSERT INTO comment_authors (comment_id, member_id, created_at) VALUES (?, ?, ?)",
        (comment_id, member_id, now),
    )


async def owner_txn(conn: aiosqlite.Connection, comment_id: bytes) -> CommentOwner | None:
    async with conn.execute(
        "SELECT c.origin, c.deleted_at, a.member_id FROM comments c"
        " LEFT JOIN comment_authors a ON a.comment_id = c.id WHERE c.id = ?",
        (comment_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return CommentOwner(str(row[0]), row[1] is not None, row[2]) if row else None


# -- the comments projection -----------------------------------------------------------


async def message_kind_txn(conn: aiosqlite.Connection, message_id: bytes) -> str | None:
    async with conn.execute("SELECT kind FROM messages WHERE id = ?", (message_id,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def subject_of_txn(conn: aiosqlite.Connection, comment_id: bytes) -> bytes | None:
    """The message the comment hangs off, if the comment is held."""
    async with conn.execute("SELECT subject FROM comments WHERE id = ?", (comment_id,)) as cursor:
        row = await cursor.fetchone()
    return bytes(row[0]) if row else None


async def add_comment_txn(
    conn: aiosqlite.Connection,
    comment_id: bytes,
    origin: str,
    subject: bytes,
    reply_to: bytes | None,
    author: str,
    text: str,
    created_at: int,
    shown_at: int | None,
) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO comments (id, origin, subject, reply_to, author, text,"
        " created_at, shown_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (comment_id, origin, subject, reply_to, author, text, created_at, shown_at),
    )


async def edit_comment_txn(
    conn: aiosqlite.Connection, comment_id: bytes, origin: str, text: str, at: int
) -> tuple[bytes, str] | None:
    """Change the text of the origin's comment unless deleted; (subject, author) to index
    again if it changed and is not hidden."""
    cursor = await conn.execute(
        "UPDATE comments SET text = ?, edited_at = ? WHERE id = ? AND origin = ?"
        " AND deleted_at IS NULL",
        (text, at, comment_id, origin),
    )
    if not cursor.rowcount:
        return None
    async with conn.execute(
        "SELECT subject, author, hidden_at FROM comments WHERE id = ?", (comment_id,)
    ) as found:
        row = await found.fetchone()
    return (bytes(row[0]), str(row[1])) if row is not None and row[2] is None else None


async def delete_comment_txn(
    conn: aiosqlite.Connection, comment_id: bytes, origin: str, at: int
) -> bool:
    """Empty the origin's comment; whether it was there and not yet deleted."""
    cursor = await conn.execute(
        "UPDATE comments SET text = NULL, deleted_at = ? WHERE id = ? AND origin = ?"
        " AND deleted_at IS NULL",
        (at, comment_id, origin),
    )
    return bool(cursor.rowcount)


async def has_comment_txn(conn: aiosqlite.Connection, comment_id: bytes, origin: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM comments WHERE id = ? AND origin = ?", (comment_id, origin)
    ) as cursor:
        return await cursor.fetchone() is not None


async def add_report_txn(
    conn: aiosqlite.Connection, comment_id: bytes, reason: str, from_hub: str, now: int
) -> None:
    await conn.execute(
        "INSERT INTO reports (comment_id, reason, from_hub, created_at) VALUES (?, ?, ?, ?)",
        (comment_id, reason, from_hub, now),
    )


async def shown_since_txn(conn: aiosqlite.Connection, origin: str, since: int) -> int:
    """How many of the origin's comments were shown after `since`."""
    async with conn.execute(
        "SELECT count(*) FROM comments WHERE origin = ? AND shown_at > ?", (origin, since)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def release_deferred_txn(
    conn: aiosqlite.Connection, now: int, since: int, per_origin: int
) -> None:
    """Show held-back comments, oldest first, up to `per_origin` shown after `since`."""
    async with conn.execute(
        "SELECT origin, (SELECT count(*) FROM comments s WHERE s.origin = c.origin"
        " AND s.shown_at > ?) FROM comments c WHERE shown_at IS NULL GROUP BY origin",
        (since,),
    ) as cursor:
        waiting = list(await cursor.fetchall())
    for origin, shown in waiting:
        room = per_origin - shown
        if room > 0:
            await conn.execute(
                "UPDATE comments SET shown_at = ? WHERE id IN (SELECT id FROM comments"
                " WHERE origin = ? AND shown_at IS NULL ORDER BY created_at, id LIMIT ?)",
                (now, origin, room),
            )


class CommentsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def display_name(self, member_id: int) -> str | None:
        row = await self._db.fetchone(
            "SELECT name FROM network_names WHERE member_id = ?", (member_id,)
        )
        return str(row[0]) if row else None

    async def set_display_name(self, member_id: int, name: str) -> bool:
        """Give the member that network name; False if another member of this hub has it."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT member_id FROM network_names WHERE name = ? AND member_id != ?",
                (name, member_id),
            ) as cursor:
                if await cursor.fetchone() is not None:
                    return False
            await conn.execute(
                "INSERT INTO network_names (member_id, name) VALUES (?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET name = excluded.name",
                (member_id, name),
            )
        return True

    async def subject_of(self, comment_id: bytes) -> bytes | None:
        return await subject_of_txn(self._db.reader, comment_id)

    async def owner(self, comment_id: bytes) -> CommentOwner | None:
        return await owner_txn(self._db.reader, comment_id)

    async def release_deferred(self, now: int, since: int, per_origin: int) -> None:
        async with self._db.write() as conn:
            await release_deferred_txn(conn, now, since, per_origin)

    async def thread(self, subject: bytes) -> list[ThreadRow]:
        """The comments on `subject` that are shown and not from blocked origins, oldest
        first (deleted and hidden ones included)."""
        rows = await self._db.fetchall(
            "SELECT c.id, c.origin, c.author, c.text, c.created_at, c.edited_at, c.deleted_at,"
            " c.hidden_at, c.reply_to, a.member_id, c.shown_at FROM comments c"
            " LEFT JOIN comment_authors a ON a.comment_id = c.id"
            " WHERE c.subject = ? AND c.shown_at IS NOT NULL"
            " AND c.origin NOT IN (SELECT origin FROM blocked_origins)"
            " ORDER BY c.created_at, c.id",
            (subject,),
        )
        return [
            ThreadRow(
                bytes(i),
                str(o),
                str(au),
                t,
                int(c),
                e,
                d is not None,
                h is not None,
                bytes(r) if r is not None else None,
                m,
                int(s),
            )
            for i, o, au, t, c, e, d, h, r, m, s in rows
        ]

    async def get(self, comment_id: bytes) -> tuple[str, bytes, str | None] | None:
        """(origin, subject, text) of a comment this hub holds."""
        row = await self._db.fetchone(
            "SELECT origin, subject, text FROM comments WHERE id = ?", (comment_id,)
        )
        return (str(row[0]), bytes(row[1]), row[2]) if row else None
