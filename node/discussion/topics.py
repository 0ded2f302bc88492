"""Hub discussions: topics in categories, posts, unread markers and @mentions.

Everything here stays on the hub's node. Posts are attributed to members by id;
pages show the member's name, which only other members of the hub see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiosqlite

from node.clock import Clock
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import check_may_post_txn, clean_text
from node.discussion.hooks import Hooks, SearchDoc, reply_notice
from node.store.database import Database

CATEGORIES: dict[str, str] = {
    "general": "General",
    "campaigns": "Campaigns and actions",
    "events": "Events and meetings",
    "mutual-aid": "Mutual aid",
    "working-groups": "Working groups",
}
MAX_TITLE = 200
MAX_POST = 10_000
# @name, where name is a network display name (one word: letters, digits, _ . -).
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.\-]{2,40})")


@dataclass(frozen=True, slots=True)
class TopicSummary:
    id: int
    category: str
    title: str
    author: str
    posts: int
    last_post_at: int
    unread: bool


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    member_id: int
    author: str
    text: str | None  # None when deleted or hidden: never shown
    created_at: int
    edited_at: int | None
    state: str  # "shown", "deleted" or "hidden"
    unread: bool


def topic_thread(topic_id: int) -> str:
    return f"topic:{topic_id}"


def _author(name: str | None) -> str:
    return name or "A former member"


class Topics:
    def __init__(self, db: Database, clock: Clock, hooks: Hooks, posts_per_hour: int) -> None:
        self._db = db
        self._clock = clock
        self._hooks = hooks
        self._per_hour = posts_per_hour

    async def start(
        self, member_id: int, category: str, title: object, text: object, *, link_base: str = ""
    ) -> int:
        if category not in CATEGORIES:
            raise DiscussionError("Choose one of the hub's categories.")
        clean_title = clean_text(title, MAX_TITLE, "title")
        clean_body = clean_text(text, MAX_POST, "first post")
        now = self._clock()
        async with self._db.write() as conn:
            await check_may_post_txn(conn, member_id, now, self._per_hour)
            cursor = await conn.execute(
                "INSERT INTO topics (category, title, member_id, created_at, last_post_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (category, clean_title, member_id, now, now),
            )
            topic_id = cursor.lastrowid
            assert topic_id is not None
            cursor = await conn.execute(
                "INSERT INTO posts (topic_id, member_id, text, created_at) VALUES (?, ?, ?, ?)",
                (topic_id, member_id, clean_body, now),
            )
            post_id = cursor.lastrowid
            await self._mark_read_txn(conn, member_id, topic_thread(topic_id), now)
        assert post_id is not None
        await self._after_post(topic_id, post_id, member_id, clean_title, clean_body)
        return topic_id

    async def reply(self, member_id: int, topic_id: int, text: object) -> int:
        clean_body = clean_text(text, MAX_POST, "reply")
        topic = await self.get(topic_id)
        now = self._clock()
        async with self._db.write() as conn:
            await check_may_post_txn(conn, member_id, now, self._per_hour)
            cursor = await conn.execute(
                "INSERT INTO posts (topic_id, member_id, text, created_at) VALUES (?, ?, ?, ?)",
                (topic_id, member_id, clean_body, now),
            )
            post_id = cursor.lastrowid
            await conn.execute("UPDATE topics SET last_post_at = ? WHERE id = ?", (now, topic_id))
            await self._mark_read_txn(conn, member_id, topic_thread(topic_id), now)
        assert post_id is not None
        await self._after_post(topic_id, post_id, member_id, topic.title, clean_body)
        return post_id

    async def _after_post(
        self, topic_id: int, post_id: int, member_id: int, title: str, text: str
    ) -> None:
        link = f"/discussions/{topic_id}#post-{post_id}"
        rows = await self._db.fetchall(
            "SELECT DISTINCT member_id FROM posts WHERE topic_id = ?", (topic_id,)
        )
        mentioned = await self.mentioned(text)
        for notice in reply_notice({r[0] for r in rows}, mentioned, member_id, title, link):
            await self._hooks.notify(notice)
        await self._hooks.index(SearchDoc(f"post:{post_id}", title, text, link))

    async def mentioned(self, text: str) -> set[int]:
        """Active members of this hub named by @display-name in `text`."""
        names = {m.lower() for m in _MENTION.findall(text)}
        if not names:
            return set()
        marks = ",".join("?" * len(names))
        rows = await self._db.fetchall(
            "SELECT n.member_id FROM network_names n JOIN members m ON m.id = n.member_id"
            f" WHERE lower(n.name) IN ({marks}) AND m.status = 'active'",
            tuple(names),
        )
        return {r[0] for r in rows}

    async def edit(self, member_id: int, post_id: int, text: object) -> int:
        """Only the author edits their post; returns its topic."""
        clean_body = clean_text(text, MAX_POST, "post")
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT topic_id, member_id, deleted_at, hidden_at FROM posts WHERE id = ?",
                (post_id,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise NotFound("There is no such post.")
            if row[1] != member_id:
                raise NotAllowed("Only the person who wrote a post can edit it.")
            if row[2] is not None or row[3] is not None:
                raise DiscussionError("That post was removed and cannot be edited.")
            await conn.execute(
                "UPDATE posts SET text = ?, edited_at = ? WHERE id = ?",
                (clean_body, self._clock(), post_id),
            )
        topic = await self.get(row[0])
        await self._hooks.index(
            SearchDoc(f"post:{post_id}", topic.title, clean_body, f"/discussions/{row[0]}")
        )
        return int(row[0])

    async def delete(self, member_id: int, post_id: int, *, moderator: bool) -> int:
        """The author (or a moderator) deletes a post: its text is erased; returns its topic."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT topic_id, member_id FROM posts WHERE id = ?", (post_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise NotFound("There is no such post.")
            if row[1] != member_id and not moderator:
                raise NotAllowed("Only the person who wrote a post, or a moderator, can delete it.")
            await conn.execute(
                "UPDATE posts SET text = NULL, deleted_at = coalesce(deleted_at, ?) WHERE id = ?",
                (self._clock(), post_id),
            )
        await self._hooks.unindex(f"post:{post_id}")
        return int(row[0])

    async def get(self, topic_id: int) -> TopicSummary:
        row = await self._db.fetchone(
            "SELECT t.id, t.category, t.title, m.name,"
            " (SELECT count(*) FROM posts WHERE topic_id = t.id), t.last_post_at"
            " FROM topics t JOIN members m ON m.id = t.member_id WHERE t.id = ?",
            (topic_id,),
        )
        if row is None:
            raise NotFound("There is no such discussion.")
        return TopicSummary(row[0], row[1], row[2], _author(row[3]), row[4], row[5], False)

    async def listing(self, member_id: int, category: str | None = None) -> list[TopicSummary]:
        """Topics, most recently active first, with whether this member has unread posts.

        Working groups' threads are listed on their groups' pages, not here."""
        args: list[object]
        where, args = "t.category != 'working-groups'", [member_id]
        if category is not None:
            where, args = "t.category = ?", [member_id, category]
        rows = await self._db.fetchall(
            "SELECT t.id, t.category, t.title, m.name,"
            " (SELECT count(*) FROM posts WHERE topic_id = t.id), t.last_post_at,"
            " coalesce((SELECT read_at FROM discussion_reads WHERE member_id = ?"
            "  AND thread = 'topic:' || t.id), -1)"
            f" FROM topics t JOIN members m ON m.id = t.member_id WHERE {where}"
            " ORDER BY t.last_post_at DESC, t.id DESC LIMIT 200",
            tuple(args),
        )
        return [
            TopicSummary(r[0], r[1], r[2], _author(r[3]), r[4], r[5], r[5] > r[6]) for r in rows
        ]

    async def posts(self, topic_id: int, member_id: int) -> list[Post]:
        """The topic's posts in order; text is None for deleted and hidden ones."""
        read_at = await self.read_at(member_id, topic_thread(topic_id))
        rows = await self._db.fetchall(
            "SELECT p.id, p.member_id, m.name, p.text, p.created_at, p.edited_at, p.deleted_at,"
            " p.hidden_at FROM posts p JOIN members m ON m.id = p.member_id"
            " WHERE p.topic_id = ? ORDER BY p.id",
            (topic_id,),
        )
        out = []
        for r in rows:
            state = "deleted" if r[6] is not None else "hidden" if r[7] is not None else "shown"
            out.append(
                Post(
                    r[0],
                    r[1],
                    _author(r[2]),
                    r[3] if state == "shown" else None,
                    r[4],
                    r[5],
                    state,
                    r[4] > read_at and r[1] != member_id,
                )
            )
        return out

    async def post_topic(self, post_id: int) -> int:
        row = await self._db.fetchone("SELECT topic_id FROM posts WHERE id = ?", (post_id,))
        if row is None:
            raise NotFound("There is no such post.")
        return int(row[0])

    async def read_at(self, member_id: int, thread: str) -> int:
        row = await self._db.fetchone(
            "SELECT read_at FROM discussion_reads WHERE member_id = ? AND thread = ?",
            (member_id, thread),
        )
        return int(row[0]) if row else -1

    async def mark_read(self, member_id: int, thread: str) -> None:
        async with self._db.write() as conn:
            await self._mark_read_txn(conn, member_id, thread, self._clock())

    @staticmethod
    async def _mark_read_txn(
        conn: aiosqlite.Connection, member_id: int, thread: str, now: int
    ) -> None:
        await conn.execute(
            "INSERT INTO discussion_reads (member_id, thread, read_at) VALUES (?, ?, ?)"
            " ON CONFLICT (member_id, thread) DO UPDATE SET read_at = excluded.read_at",
            (member_id, thread, now),
        )
