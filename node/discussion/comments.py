"""Discussion across hubs: comments on network messages (PROTOCOL.md §5.17-5.20).

A member's comment is published by this hub as a signed `comment` message under
the member's network display name; which member wrote it is kept only here
(`comment_authors`). Comments from every hub are materialised into the
`comments` table from the message log by the "comments" projection, run by the
projection runner with the others (one cursor table, one wake-up), so a crash
loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import HOUR_MS, check_may_post_txn, clean_text
from node.discussion.hooks import Hooks, SearchDoc
from node.projections.runner import Projection, ProjectionRunner
from node.store import comments as store
from node.store.comments import CommentsStore, ThreadRow
from node.store.messages import MessageStore
from node.store.outcomes import Check
from node.store.topics import mark_read_txn
from node.wording import Term
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


class ReadMarks(Protocol):
    """When each member last read each thread (node/store/topics.py keeps them)."""

    async def read_at(self, member_id: int, thread: str) -> int: ...

    async def mark_read(self, member_id: int, thread: str, now: int) -> None: ...


class Comments:
    def __init__(
        self,
        comments: CommentsStore,
        reads: ReadMarks,
        clock: Clock,
        messages: MessageStore,
        hooks: Hooks,
        runner: ProjectionRunner,
        posts_per_hour: int,
        origin_per_hour: int,
    ) -> None:
        self._store = comments
        self._reads = reads
        self._clock = clock
        self._messages = messages
        self._hooks = hooks
        self._per_hour = posts_per_hour
        self._origin_per_hour = origin_per_hour
        self._runner = runner
        runner.add(self.projection())

    @property
    def node_id(self) -> NodeId:
        return self._messages.node_id

    # -- the member's network display name ----------------------------------------

    async def display_name(self, member_id: int) -> str | None:
        return await self._store.display_name(member_id)

    async def set_display_name(self, by: Member, name: object) -> str:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        text = name.strip() if isinstance(name, str) else ""
        if not DISPLAY_NAME.fullmatch(text):
            raise DiscussionError(
                "A network name is 2 to 40 letters, digits, dots, dashes or underscores, "
                "with no spaces (it is how people @mention you)."
            )
        if not await self._store.set_display_name(member_id, text):
            raise DiscussionError("Another member of this hub uses that name.")
        return text

    # -- writing: this hub's members ---------------------------------------------------

    async def subject(self, subject: bytes) -> Message | None:
        """The message a thread hangs off, if this hub holds it and it can have one."""
        message = await self._messages.get(subject)
        if message is None or message.kind in DISCUSSION_KINDS:
            return None
        return message

    async def publish(
        self, by: Member, subject: bytes, text: object, reply_to: bytes | None = None
    ) -> bytes:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        clean = clean_text(text, MAX_COMMENT, Term("the comment"))
        name = await self.display_name(member_id)
        if name is None:
            raise DiscussionError(
                "Choose the name you want to be known by on the network first (My account)."
            )
        if await self.subject(subject) is None:
            raise NotFound("This hub does not hold that message, so it cannot be discussed here.")
        if reply_to is not None and await self._store.subject_of(reply_to) != subject:
            raise DiscussionError("That reply names a comment that is not in this thread.")
        body = Comment(subject=subject, author=name, text=clean, reply_to=reply_to)
        now = self._clock()

        async def check_txn(conn: aiosqlite.Connection) -> None:
            # In the comment's own transaction, so two posts sent at once cannot both
            # slip under the limit: a published comment cannot be taken back.
            await check_may_post_txn(conn, member_id, now, self._per_hour)

        async def record_txn(conn: aiosqlite.Connection, message: Message) -> None:
            # Which member wrote it commits with the comment, or neither does.
            await store.add_author_txn(conn, message.id, member_id, now)
            await mark_read_txn(conn, member_id, message_thread(subject), now)

        message = await self._messages.append("comment", body, check=check_txn, then=record_txn)
        await self.catch_up()
        return message.id

    def _own_comment(self, by: Member, comment_id: bytes, moderator: bool) -> Check:
        """The check, run in the change's own transaction, that the member may change it:
        their own comment, or any of this hub's when `moderator` (a delete by one who
        holds MODERATE)."""

        async def check_txn(conn: aiosqlite.Connection) -> None:
            row = await store.owner_txn(conn, comment_id)
            if row is None:
                raise NotFound("There is no such comment.")
            if row.origin != self.node_id:
                # PROTOCOL.md §5.18-5.19: only the comment's origin hub may change it.
                raise NotAllowed("Only the hub a comment came from can change it.")
            if row.deleted:
                raise DiscussionError("That comment was deleted.")
            if row.member_id != by.id and not moderator:
                raise NotAllowed("Only the person who wrote a comment can change it.")

        return check_txn

    async def edit(self, by: Member, comment_id: bytes, text: object) -> None:
        """Only the author edits their comment (a moderator hides it instead)."""
        require(by, Permission.MEMBER, NotAllowed)
        clean = clean_text(text, MAX_COMMENT, Term("the comment"))
        await self._messages.append(
            "comment.update",
            CommentUpdate(comment=comment_id, text=clean),
            check=self._own_comment(by, comment_id, moderator=False),
        )
        await self.catch_up()

    async def delete(self, by: Member, comment_id: bytes) -> None:
        """The author, or one of the hub's moderators, deletes a comment."""
        require(by, Permission.MEMBER, NotAllowed)
        await self._messages.append(
            "comment.delete",
            CommentDelete(comment=comment_id),
            check=self._own_comment(by, comment_id, by.can(Permission.MODERATE)),
        )
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
            if await store.message_kind_txn(conn, body.subject) in DISCUSSION_KINDS:
                return  # §5.17: comments hang off messages, not off other comments
            reply_to = body.reply_to
            if reply_to is not None:
                parent = await store.subject_of_txn(conn, reply_to)
                if parent is not None and parent != body.subject:
                    reply_to = None  # §5.17: a reply into another thread is shown at the top
            await store.add_comment_txn(
                conn,
                message.id,
                message.origin,
                body.subject,
                reply_to,
                body.author,
                body.text,
                message.created_at,
                # Held back (NULL) when its origin is over its hourly share.
                await self._show_at_txn(conn, message.origin),
            )
            await self._hooks.index_txn(
                conn, _search_doc(message.id, body.subject, body.author, body.text)
            )
        elif isinstance(body, CommentUpdate):
            # §5.18: only the comment's own origin; never after a delete.
            changed = await store.edit_comment_txn(
                conn, body.comment, message.origin, body.text, message.created_at
            )
            if changed is not None:
                subject, author = changed
                await self._hooks.index_txn(
                    conn, _search_doc(body.comment, subject, author, body.text)
                )
        elif isinstance(body, CommentDelete):
            if await store.delete_comment_txn(
                conn, body.comment, message.origin, message.created_at
            ):
                await self._hooks.unindex_txn(conn, f"comment:{body.comment.hex()}")
        elif isinstance(body, Report):
            # §5.20: only the hub addressed acts, and only on its own comments.
            if body.to != self.node_id:
                return
            if not await store.has_comment_txn(conn, body.comment, self.node_id):
                return
            await store.add_report_txn(
                conn, body.comment, body.reason, message.origin, self._clock()
            )

    async def _show_at_txn(self, conn: aiosqlite.Connection, origin: str) -> int | None:
        now = self._clock()
        if origin == self.node_id:
            return now  # our own members are limited one by one (gate.py)
        shown = await store.shown_since_txn(conn, origin, now - HOUR_MS)
        return now if shown < self._origin_per_hour else None

    async def _release_deferred_txn(self, conn: aiosqlite.Connection) -> None:
        """Show held-back comments, oldest first, as each origin's hourly share allows."""
        now = self._clock()
        await store.release_deferred_txn(conn, now, now - HOUR_MS, self._origin_per_hour)

    async def release_deferred(self) -> None:
        now = self._clock()
        await self._store.release_deferred(now, now - HOUR_MS, self._origin_per_hour)

    # -- reading -------------------------------------------------------------------------

    async def thread(self, subject: bytes, member_id: int | None) -> list[CommentView]:
        """The comments on a message, replies under what they answer, oldest first.

        Comments held back by the per-origin limit and those from blocked origins
        are left out; deleted and hidden ones stay as tombstones without text.
        """
        read_at = -1
        if member_id is not None:
            read_at = await self._reads.read_at(member_id, message_thread(subject))
        rows = await self._store.thread(subject)
        children: dict[bytes | None, list[ThreadRow]] = {}
        ids = {r.id for r in rows}
        for r in rows:
            parent = r.reply_to if r.reply_to is not None and r.reply_to in ids else None
            children.setdefault(parent, []).append(r)
        out: list[CommentView] = []

        def walk(parent: bytes | None, depth: int) -> None:
            for r in children.get(parent, []):
                state = "deleted" if r.deleted else "hidden" if r.hidden else "shown"
                out.append(
                    CommentView(
                        id=r.id,
                        origin=r.origin,
                        author=r.author,
                        text=str(r.text) if state == "shown" else None,
                        created_at=r.created_at,
                        edited_at=r.edited_at,
                        state=state,
                        depth=min(depth, 4),
                        reply_to=parent,
                        mine=member_id is not None and r.member_id == member_id,
                        local=r.origin == self.node_id,
                        unread=r.shown_at > read_at and r.member_id != member_id,
                    )
                )
                walk(r.id, depth + 1)

        walk(None, 0)
        return out

    async def get(self, comment_id: bytes) -> tuple[str, bytes, str | None] | None:
        """(origin, subject, text) of a comment this hub holds."""
        return await self._store.get(comment_id)

    async def mark_read(self, member_id: int, subject: bytes) -> None:
        await self._reads.mark_read(member_id, message_thread(subject), self._clock())


def _search_doc(comment_id: bytes, subject: bytes, author: str, text: str) -> SearchDoc:
    return SearchDoc(
        f"comment:{comment_id.hex()}",
        f"Comment by {author}",
        text,
        f"/discuss/{subject.hex()}#comment-{comment_id.hex()}",
    )
