"""Discussion across hubs: comments on network messages (PROTOCOL.md §5.17-5.20).

A member's comment is published by this hub as a signed `comment` message under
the member's network display name; which member wrote it is kept only here
(`comment_authors`). Comments from every hub are materialised into the
`comments` table from the message log by the "comments" projection, run by the
projection runner with the others (one cursor table, one wake-up), so a crash
loses nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiosqlite

from crypto.nodeid import NodeId
from node.clock import Clock
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import HOUR_MS, check_may_post_txn, clean_text
from node.discussion.hooks import Hooks, SearchDoc
from node.projections.runner import Projection, ProjectionRunner
from node.store.database import Database
from node.store.messages import MessageStore
from protocol.envelope import Message
from protocol.kinds.discussion import (
    DISPLAY_NAME,
    Comment,
    CommentDelete,
    CommentUpdate,
    Report,
)

DISCUSSION_KINDS = frozenset({"comment", "comment.update", "comment.delete", "report"})
MAX_COMMENT = 4000


@dataclass(frozen=True, slots=True)
class CommentView:
    id: bytes
    origin: str
    author: str  # network display name
    text: str | None  # None for deleted and hidden comments: never shown
    created_at: int
    edited_at: int | None
    state: str  # "shown", "deleted" or "hidden"
    depth: int
    reply_to: bytes | None
    mine: bool  # written by the member looking, on this hub
    local: bool  # published by this hub
    unread: bool


def message_thread(subject: bytes) -> str:
    return f"message:{subject.hex()}"


class Comments:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        messages: MessageStore,
        hooks: Hooks,
        runner: ProjectionRunner,
        posts_per_hour: int,
        origin_per_hour: int,
    ) -> None:
        self._db = db
        self._clock = clock
        self._messages = messages
        self._hooks = hooks
        self._per_hour = posts_per_hour
        self._origin_per_hour = origin_per_hour
        self._runner = runner
        self._publishing = asyncio.Lock()
        runner.add(self.projection())

    @property
    def node_id(self) -> NodeId:
        return self._messages.node_id

    # -- the member's network display name ----------------------------------------

    async def display_name(self, member_id: int) -> str | None:
        row = await self._db.fetchone(
            "SELECT name FROM network_names WHERE member_id = ?", (member_id,)
        )
        return str(row[0]) if row else None

    async def set_display_name(self, member_id: int, name: object) -> str:
        text = name.strip() if isinstance(name, str) else ""
        if not DISPLAY_NAME.fullmatch(text):
            raise DiscussionError(
                "A network name is 2 to 40 letters, digits, dots, dashes or underscores, "
                "with no spaces (it is how people @mention you)."
            )
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT member_id FROM network_names WHERE name = ? AND member_id != ?",
                (text, member_id),
            ) as cursor:
                if await cursor.fetchone() is not None:
                    raise DiscussionError("Another member of this hub uses that name.")
            await conn.execute(
                "INSERT INTO network_names (member_id, name) VALUES (?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET name = excluded.name",
                (member_id, text),
            )
        return text

    # -- writing: this hub's members ---------------------------------------------------

    async def subject(self, subject: bytes) -> Message | None:
        """The message a thread hangs off, if this hub holds it and it can have one."""
        message = await self._messages.get(subject)
        if message is None or message.kind in DISCUSSION_KINDS:
            return None
        return message

    async def publish(
        self, member_id: int, subject: bytes, text: object, reply_to: bytes | None = None
    ) -> bytes:
        clean = clean_text(text, MAX_COMMENT, "comment")
        name = await self.display_name(member_id)
        if name is None:
            raise DiscussionError(
                "Choose the name you want to be known by on the network first (My account)."
            )
        if await self.subject(subject) is None:
            raise NotFound("This hub does not hold that message, so it cannot be discussed here.")
        if reply_to is not None:
            row = await self._db.fetchone("SELECT subject FROM comments WHERE id = ?", (reply_to,))
            if row is None or bytes(row[0]) != subject:
                raise DiscussionError("That reply names a comment that is not in this thread.")
        body = Comment(subject=subject, author=name, text=clean, reply_to=reply_to)
        # One publish at a time, so the limit is checked and the post recorded together:
        # a published comment cannot be taken back.
        async with self._publishing:
            now = self._clock()
            async with self._db.write() as conn:
                await check_may_post_txn(conn, member_id, now, self._per_hour)
            message = await self._messages.append("comment", body)
            async with self._db.write() as conn:
                await conn.execute(
                    "INSERT INTO comment_authors (comment_id, member_id, created_at)"
                    " VALUES (?, ?, ?)",
                    (message.id, member_id, now),
                )
                await conn.execute(
                    "INSERT INTO discussion_reads (member_id, thread, read_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (member_id, thread) DO UPDATE SET read_at = excluded.read_at",
                    (member_id, message_thread(subject), now),
                )
        await self.catch_up()
        return message.id

    async def _own_comment(self, member_id: int, comment_id: bytes, moderator: bool) -> None:
        row = await self._db.fetchone(
            "SELECT c.origin, c.deleted_at, a.member_id FROM comments c"
            " LEFT JOIN comment_authors a ON a.comment_id = c.id WHERE c.id = ?",
            (comment_id,),
        )
        if row is None:
            raise NotFound("There is no such comment.")
        if row[0] != self.node_id:
            # PROTOCOL.md §5.18-5.19: only the comment's origin hub may change it.
            raise NotAllowed("Only the hub a comment came from can change it.")
        if row[1] is not None:
            raise DiscussionError("That comment was deleted.")
        if row[2] != member_id and not moderator:
            raise NotAllowed("Only the person who wrote a comment can change it.")

    async def edit(self, member_id: int, comment_id: bytes, text: object) -> None:
        clean = clean_text(text, MAX_COMMENT, "comment")
        await self._own_comment(member_id, comment_id, moderator=False)
        await self._messages.append("comment.update", CommentUpdate(comment=comment_id, text=clean))
        await self.catch_up()

    async def delete(self, member_id: int, comment_id: bytes, *, moderator: bool) -> None:
        await self._own_comment(member_id, comment_id, moderator=moderator)
        await self._messages.append("comment.delete", CommentDelete(comment=comment_id))
        await self.catch_up()

    # -- materialising from the log (a projection run by node/projections/runner.py) ----

    def projection(self) -> Projection:
        return Projection("comments", DISCUSSION_KINDS, self._apply_all_txn, roster=False)

    async def catch_up(self) -> None:
        """Apply every discussion message stored up to now."""
        await self._runner.caught_up()

    async def _apply_all_txn(self, conn: aiosqlite.Connection, messages: list[Message]) -> None:
        for message in messages:
            await self._apply_txn(conn, message)
        await self._release_deferred_txn(conn)

    async def _apply_txn(self, conn: aiosqlite.Connection, message: Message) -> None:
        body = message.body
        if isinstance(body, Comment):
            async with conn.execute(
                "SELECT kind FROM messages WHERE id = ?", (body.subject,)
            ) as cursor:
                subject = await cursor.fetchone()
            if subject is not None and subject[0] in DISCUSSION_KINDS:
                return  # §5.17: comments hang off messages, not off other comments
            reply_to = body.reply_to
            if reply_to is not None:
                async with conn.execute(
                    "SELECT subject FROM comments WHERE id = ?", (reply_to,)
                ) as cursor:
                    parent = await cursor.fetchone()
                if parent is not None and bytes(parent[0]) != body.subject:
                    reply_to = None  # §5.17: a reply into another thread is shown at the top
            await conn.execute(
                "INSERT OR IGNORE INTO comments (id, origin, subject, reply_to, author, text,"
                " created_at, shown_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message.id,
                    message.origin,
                    body.subject,
                    reply_to,
                    body.author,
                    body.text,
                    message.created_at,
                    # Held back (NULL) when its origin is over its hourly share.
                    await self._show_at_txn(conn, message.origin),
                ),
            )
            await self._hooks.index_txn(
                conn, _search_doc(message.id, body.subject, body.author, body.text)
            )
        elif isinstance(body, CommentUpdate):
            # §5.18: only the comment's own origin; never after a delete.
            cursor = await conn.execute(
                "UPDATE comments SET text = ?, edited_at = ? WHERE id = ? AND origin = ?"
                " AND deleted_at IS NULL",
                (body.text, message.created_at, body.comment, message.origin),
            )
            if cursor.rowcount:
                async with conn.execute(
                    "SELECT subject, author, hidden_at FROM comments WHERE id = ?",
                    (body.comment,),
                ) as found:
                    row = await found.fetchone()
                if row is not None and row[2] is None:
                    doc = _search_doc(body.comment, bytes(row[0]), row[1], body.text)
                    await self._hooks.index_txn(conn, doc)
        elif isinstance(body, CommentDelete):
            cursor = await conn.execute(
                "UPDATE comments SET text = NULL, deleted_at = ? WHERE id = ? AND origin = ?"
                " AND deleted_at IS NULL",
                (message.created_at, body.comment, message.origin),
            )
            if cursor.rowcount:
                await self._hooks.unindex_txn(conn, f"comment:{body.comment.hex()}")
        elif isinstance(body, Report):
            # §5.20: only the hub addressed acts, and only on its own comments.
            if body.to != self.node_id:
                return
            async with conn.execute(
                "SELECT 1 FROM comments WHERE id = ? AND origin = ?", (body.comment, self.node_id)
            ) as cursor:
                if await cursor.fetchone() is None:
                    return
            await conn.execute(
                "INSERT INTO reports (comment_id, reason, from_hub, created_at)"
                " VALUES (?, ?, ?, ?)",
                (body.comment, body.reason, message.origin, self._clock()),
            )

    async def _show_at_txn(self, conn: aiosqlite.Connection, origin: str) -> int | None:
        now = self._clock()
        if origin == self.node_id:
            return now  # our own members are limited one by one (gate.py)
        async with conn.execute(
            "SELECT count(*) FROM comments WHERE origin = ? AND shown_at > ?",
            (origin, now - HOUR_MS),
        ) as cursor:
            row = await cursor.fetchone()
        return now if row is None or row[0] < self._origin_per_hour else None

    async def _release_deferred_txn(self, conn: aiosqlite.Connection) -> None:
        """Show held-back comments, oldest first, as each origin's hourly share allows."""
        now = self._clock()
        async with conn.execute(
            "SELECT origin, (SELECT count(*) FROM comments s WHERE s.origin = c.origin"
            " AND s.shown_at > ?) FROM comments c WHERE shown_at IS NULL GROUP BY origin",
            (now - HOUR_MS,),
        ) as cursor:
            waiting = list(await cursor.fetchall())
        for origin, shown in waiting:
            room = self._origin_per_hour - shown
            if room > 0:
                await conn.execute(
                    "UPDATE comments SET shown_at = ? WHERE id IN (SELECT id FROM comments"
                    " WHERE origin = ? AND shown_at IS NULL ORDER BY created_at, id LIMIT ?)",
                    (now, origin, room),
                )

    async def release_deferred(self) -> None:
        async with self._db.write() as conn:
            await self._release_deferred_txn(conn)

    # -- reading -------------------------------------------------------------------------

    async def thread(self, subject: bytes, member_id: int | None) -> list[CommentView]:
        """The comments on a message, replies under what they answer, oldest first.

        Comments held back by the per-origin limit and those from blocked origins
        are left out; deleted and hidden ones stay as tombstones without text.
        """
        read_at = -1
        if member_id is not None:
            row = await self._db.fetchone(
                "SELECT read_at FROM discussion_reads WHERE member_id = ? AND thread = ?",
                (member_id, message_thread(subject)),
            )
            read_at = int(row[0]) if row else -1
        rows = await self._db.fetchall(
            "SELECT c.id, c.origin, c.author, c.text, c.created_at, c.edited_at, c.deleted_at,"
            " c.hidden_at, c.reply_to, a.member_id, c.shown_at FROM comments c"
            " LEFT JOIN comment_authors a ON a.comment_id = c.id"
            " WHERE c.subject = ? AND c.shown_at IS NOT NULL"
            " AND c.origin NOT IN (SELECT origin FROM blocked_origins)"
            " ORDER BY c.created_at, c.id",
            (subject,),
        )
        children: dict[bytes | None, list[tuple[object, ...]]] = {}
        ids = {bytes(r[0]) for r in rows}
        for r in rows:
            parent = bytes(r[8]) if r[8] is not None and bytes(r[8]) in ids else None
            children.setdefault(parent, []).append(tuple(r))
        out: list[CommentView] = []

        def walk(parent: bytes | None, depth: int) -> None:
            for r in children.get(parent, []):
                cid = bytes(r[0])  # type: ignore[call-overload]
                state = "deleted" if r[6] is not None else "hidden" if r[7] is not None else "shown"
                out.append(
                    CommentView(
                        id=cid,
                        origin=str(r[1]),
                        author=str(r[2]),
                        text=str(r[3]) if state == "shown" else None,
                        created_at=int(r[4]),  # type: ignore[call-overload]
                        edited_at=r[5],  # type: ignore[arg-type]
                        state=state,
                        depth=min(depth, 4),
                        reply_to=parent,
                        mine=member_id is not None and r[9] == member_id,
                        local=r[1] == self.node_id,
                        unread=int(r[10]) > read_at and r[9] != member_id,  # type: ignore[call-overload]
                    )
                )
                walk(cid, depth + 1)

        walk(None, 0)
        return out

    async def get(self, comment_id: bytes) -> tuple[str, bytes, str | None] | None:
        """(origin, subject, text) of a comment this hub holds."""
        row = await self._db.fetchone(
            "SELECT origin, subject, text FROM comments WHERE id = ?", (comment_id,)
        )
        return (str(row[0]), bytes(row[1]), row[2]) if row else None

    async def mark_read(self, member_id: int, subject: bytes) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO discussion_reads (member_id, thread, read_at) VALUES (?, ?, ?)"
                " ON CONFLICT (member_id, thread) DO UPDATE SET read_at = excluded.read_at",
                (member_id, message_thread(subject), self._clock()),
            )


def _search_doc(comment_id: bytes, subject: bytes, author: str, text: str) -> SearchDoc:
    return SearchDoc(
        f"comment:{comment_id.hex()}",
        f"Comment by {author}",
        text,
        f"/discuss/{subject.hex()}#comment-{comment_id.hex()}",
    )
