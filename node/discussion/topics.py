"""Hub discussions: topics in categories, posts, unread markers and @mentions.

Everything here stays on the hub's node. Posts are attributed to members by id;
pages show the member's name, which only other members of the hub see.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.discussion import mentions
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import check_may_post_txn, clean_text
from node.discussion.hooks import Hooks, SearchDoc, reply_notice
from node.store.topics import PostOwner, TopicRow, TopicsStore
from node.wording import Term

CATEGORIES: dict[str, str] = {
    "general": "General",
    "campaigns": "Campaigns and actions",
    "events": "Events and meetings",
    "mutual-aid": "Mutual aid",
    "working-groups": "Working groups",
}
MAX_TITLE = 200
MAX_POST = 10_000


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


def _summary(row: TopicRow, *, unread: bool = False) -> TopicSummary:
    return TopicSummary(
        row.id, row.category, row.title, _author(row.author), row.posts, row.last_post_at, unread
    )


class Topics:
    def __init__(self, store: TopicsStore, clock: Clock, hooks: Hooks, posts_per_hour: int) -> None:
        self._store = store
        self._clock = clock
        self._hooks = hooks
        self._per_hour = posts_per_hour

    async def start(
        self, by: Member, category: str, title: object, text: object, *, link_base: str = ""
    ) -> int:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        if category not in CATEGORIES:
            raise DiscussionError("Choose one of the hub's categories.")
        clean_title = clean_text(title, MAX_TITLE, Term("the title"))
        clean_body = clean_text(text, MAX_POST, Term("the first post"))
        now = self._clock()
        topic_id, post_id = await self._store.add_topic(
            category,
            clean_title,
            member_id,
            clean_body,
            topic_thread,
            now,
            check=lambda conn: check_may_post_txn(conn, member_id, now, self._per_hour),
        )
        await self._after_post(topic_id, post_id, member_id, clean_title, clean_body)
        return topic_id

    async def reply(self, by: Member, topic_id: int, text: object) -> int:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        clean_body = clean_text(text, MAX_POST, Term("the reply"))
        topic = await self.get(topic_id)
        now = self._clock()
        post_id = await self._store.add_post(
            topic_id,
            member_id,
            clean_body,
            topic_thread(topic_id),
            now,
            check=lambda conn: check_may_post_txn(conn, member_id, now, self._per_hour),
        )
        await self._after_post(topic_id, post_id, member_id, topic.title, clean_body)
        return post_id

    async def _after_post(
        self, topic_id: int, post_id: int, member_id: int, title: str, text: str
    ) -> None:
        link = f"/discussions/{topic_id}#post-{post_id}"
        posters = await self._store.posters(topic_id)
        mentioned = await self.mentioned(text)
        for notice in reply_notice(posters, mentioned, member_id, title, link):
            await self._hooks.notify(notice)
        await self._hooks.index(SearchDoc(f"post:{post_id}", title, text, link))

    async def mentioned(self, text: str) -> set[int]:
        """Active members of this hub named by @handle in `text` (node/discussion/mentions.py)."""
        names = mentions.named(text)
        if not names:
            return set()
        table = await self.mention_handles()
        return {table[n][0] for n in names if n in table}

    async def mention_handles(self) -> dict[str, tuple[int, str]]:
        """lower-case handle -> (member id, handle) for this hub's active members."""
        return mentions.handles(await self._store.active_member_names())

    async def edit(self, by: Member, post_id: int, text: object) -> int:
        """Only the author edits their post; returns its topic."""
        require(by, Permission.MEMBER, NotAllowed)
        clean_body = clean_text(text, MAX_POST, Term("the post"))

        def allow(post: PostOwner) -> None:
            if post.member_id != by.id:
                raise NotAllowed("Only the person who wrote a post can edit it.")
            if post.removed:
                raise DiscussionError("That post was removed and cannot be edited.")

        post = await self._store.edit_post(post_id, clean_body, self._clock(), allow)
        if post is None:
            raise NotFound("There is no such post.")
        topic = await self.get(post.topic_id)
        await self._hooks.index(
            SearchDoc(f"post:{post_id}", topic.title, clean_body, f"/discussions/{post.topic_id}")
        )
        return post.topic_id

    async def delete(self, by: Member, post_id: int) -> int:
        """The author (or a moderator) deletes a post: its text is erased; returns its topic."""
        require(by, Permission.MEMBER, NotAllowed)

        def allow(author_id: int) -> None:
            if author_id != by.id and not by.can(Permission.MODERATE):
                raise NotAllowed("Only the person who wrote a post, or a moderator, can delete it.")

        topic_id = await self._store.delete_post(post_id, self._clock(), allow)
        if topic_id is None:
            raise NotFound("There is no such post.")
        await self._hooks.unindex(f"post:{post_id}")
        return topic_id

    async def get(self, topic_id: int) -> TopicSummary:
        row = await self._store.topic(topic_id)
        if row is None:
            raise NotFound("There is no such discussion.")
        return _summary(row)

    async def listing(self, member_id: int, category: str | None = None) -> list[TopicSummary]:
        """Topics, most recently active first, with whether this member has unread posts.

        Working groups' threads are listed on their groups' pages, not here."""
        rows = await self._store.topics(member_id, category)
        return [_summary(r, unread=r.last_post_at > r.read_at) for r in rows]

    async def posts(self, topic_id: int, member_id: int) -> list[Post]:
        """The topic's posts in order; text is None for deleted and hidden ones."""
        read_at = await self.read_at(member_id, topic_thread(topic_id))
        out = []
        for r in await self._store.posts(topic_id):
            state = "deleted" if r.deleted else "hidden" if r.hidden else "shown"
            out.append(
                Post(
                    r.id,
                    r.member_id,
                    _author(r.author),
                    r.text if state == "shown" else None,
                    r.created_at,
                    r.edited_at,
                    state,
                    r.created_at > read_at and r.member_id != member_id,
                )
            )
        return out

    async def post_topic(self, post_id: int) -> int:
        topic_id = await self._store.post_topic(post_id)
        if topic_id is None:
            raise NotFound("There is no such post.")
        return topic_id

    async def read_at(self, member_id: int, thread: str) -> int:
        return await self._store.read_at(member_id, thread)

    async def mark_read(self, member_id: int, thread: str) -> None:
        await self._store.mark_read(member_id, thread, self._clock())
