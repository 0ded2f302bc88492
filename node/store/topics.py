"""SQL for hub discussions: topics, their posts, unread markers, and who posted when.

Nothing here decides who may post or edit: node/discussion/topics.py and gate.py
do, through the `check` and `allow` callbacks these methods run inside their
write transaction, so a check and the write it guards commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite

from node.store.database import Database

# Run first inside a write transaction; raises to refuse (and roll back) the write.
TxnCheck = Callable[[aiosqlite.Connection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TopicRow:
    id: int
    category: str
    title: str
    author: str | None  # None once the author's account is erased
    posts: int
    last_post_at: int
    read_at: int  # when the reading member last read it, -1 if never (listing only)


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    member_id: int
    author: str | None
    text: str | None
    created_at: int
    edited_at: int | None
    deleted: bool
    hidden: bool


@dataclass(frozen=True, slots=True)
class PostOwner:
    topic_id: int
    member_id: int
    removed: bool  # deleted or hidden


async def post_times_since_txn(conn: aiosqlite.Connection, member_id: int, since: int) -> list[int]:
    """When the member posted or commented after `since`, oldest first."""
    async with conn.execute(
        "SELECT created_at FROM posts WHERE member_id = ? AND created_at > ?"
        " UNION ALL SELECT created_at FROM comment_authors WHERE member_id = ? AND created_at > ?"
        " ORDER BY created_at",
        (member_id, since, member_id, since),
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def mark_read_txn(conn: aiosqlite.Connection, member_id: int, thread: str, now: int) -> None:
    await conn.execute(
        "INSERT INTO discussion_reads (member_id, thread, read_at) VALUES (?, ?, ?)"
        " ON CONFLICT (member_id, thread) DO UPDATE SET read_at = excluded.read_at",
        (member_id, thread, now),
    )


class TopicsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_topic(
        self,
        category: str,
        title: str,
        member_id: int,
        text: str,
        thread: Callable[[int], str],
        now: int,
        check: TxnCheck,
    ) -> tuple[int, int]:
        """A new topic with its first post, read by its author; (topic id, post id).

        `thread(topic_id)` names the unread marker to set."""
        async with self._db.write() as conn:
            await check(conn)
            cursor = await conn.execute(
                "INSERT INTO topics (category, title, member_id, created_at, last_post_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (category, title, member_id, now, now),
            )
            topic_id = cursor.lastrowid
            assert topic_id is not None
            cursor = await conn.execute(
                "INSERT INTO posts (topic_id, member_id, text, created_at) VALUES (?, ?, ?, ?)",
                (topic_id, member_id, text, now),
            )
            post_id = cursor.lastrowid
            await mark_read_txn(conn, member_id, thread(topic_id), now)
        assert post_id is not None
        return topic_id, post_id

    async def add_post(
        self, topic_id: int, member_id: int, text: str, thread: str, now: int, check: TxnCheck
    ) -> int:
        """A reply in a topic, read by its author; its id."""
        async with self._db.write() as conn:
            await check(conn)
            cursor = await conn.execute(
                "INSERT INTO posts (topic_id, member_id, text, created_at) VALUES (?, ?, ?, ?)",
                (topic_id, member_id, text, now),
            )
            post_id = cursor.lastrowid
            await conn.execute("UPDATE topics SET last_post_at = ? WHERE id = ?", (now, topic_id))
            await mark_read_txn(conn, member_id, thread, now)
        assert post_id is not None
        return post_id

    async def posters(self, topic_id: int) -> set[int]:
        rows = await self._db.fetchall(
            "SELECT DISTINCT member_id FROM posts WHERE topic_id = ?", (topic_id,)
        )
        return {r[0] for r in rows}

    async def active_member_names(self) -> list[tuple[int, str | None, str | None]]:
        """(id, name, network name) of every active member, by name: for @mentions."""
        rows = await self._db.fetchall(
            "SELECT m.id, unseal('members.name', m.name), n.name FROM members m"
            " LEFT JOIN network_names n ON n.member_id = m.id"
            " WHERE m.status = 'active' ORDER BY unseal('members.name', m.name) COLLATE NOCASE,"
            " m.id"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def edit_post(
        self, post_id: int, text: str, now: int, allow: Callable[[PostOwner], None]
    ) -> PostOwner | None:
        """Replace a post's text if `allow` does not raise; None if there is no such post."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT topic_id, member_id, deleted_at, hidden_at FROM posts WHERE id = ?",
                (post_id,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            owner = PostOwner(row[0], row[1], row[2] is not None or row[3] is not None)
            allow(owner)
            await conn.execute(
                "UPDATE posts SET text = ?, edited_at = ? WHERE id = ?",
                (text, now, post_id),
            )
        return owner

    async def delete_post(self, post_id: int, now: int, allow: Callable[[int], None]) -> int | None:
        """Erase a post's text if `allow(author id)` does not raise; its topic, or None
        if there is no such post."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT topic_id, member_id FROM posts WHERE id = ?", (post_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            allow(row[1])
            await conn.execute(
                "UPDATE posts SET text = NULL, deleted_at = coalesce(deleted_at, ?) WHERE id = ?",
                (now, post_id),
            )
        return int(row[0])

    async def topic(self, topic_id: int) -> TopicRow | None:
        row = await self._db.fetchone(
            "SELECT t.id, t.category, t.title, unseal('members.name', m.name),"
            " (SELECT count(*) FROM posts WHERE topic_id = t.id), t.last_post_at"
            " FROM topics t JOIN members m ON m.id = t.member_id WHERE t.id = ?",
            (topic_id,),
        )
        return TopicRow(row[0], row[1], row[2], row[3], row[4], row[5], -1) if row else None

    async def topics(self, member_id: int, category: str | None) -> list[TopicRow]:
        """Topics in `category` (or every one but working groups' threads), most recently
        active first, with when `member_id` last read each."""
        args: list[object]
        where, args = "t.category != 'working-groups'", [member_id]
        if category is not None:
            where, args = "t.category = ?", [member_id, category]
        rows = await self._db.fetchall(
            "SELECT t.id, t.category, t.title, unseal('members.name', m.name),"
            " (SELECT count(*) FROM posts WHERE topic_id = t.id), t.last_post_at,"
            " coalesce((SELECT read_at FROM discussion_reads WHERE member_id = ?"
            "  AND thread = 'topic:' || t.id), -1)"
            f" FROM topics t JOIN members m ON m.id = t.member_id WHERE {where}"
            " ORDER BY t.last_post_at DESC, t.id DESC LIMIT 200",
            tuple(args),
        )
        return [TopicRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    async def posts(self, topic_id: int) -> list[PostRow]:
        rows = await self._db.fetchall(
            "SELECT p.id, p.member_id, unseal('members.name', m.name), p.text, p.created_at,"
            " p.edited_at, p.deleted_at,"
            " p.hidden_at FROM posts p JOIN members m ON m.id = p.member_id"
            " WHERE p.topic_id = ? ORDER BY p.id",
            (topic_id,),
        )
        return [
            PostRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] is not None, r[7] is not None)
            for r in rows
        ]

    async def post_topic(self, post_id: int) -> int | None:
        row = await self._db.fetchone("SELECT topic_id FROM posts WHERE id = ?", (post_id,))
        return int(row[0]) if row else None

    async def read_at(self, member_id: int, thread: str) -> int:
        row = await self._db.fetchone(
            "SELECT read_at FROM discussion_reads WHERE member_id = ? AND thread = ?",
            (member_id, thread),
        )
        return int(row[0]) if row else -1

    async def mark_read(self, member_id: int, thread: str, now: int) -> None:
        async with self._db.write() as conn:
            await mark_read_txn(conn, member_id, thread, now)
