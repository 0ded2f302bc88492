"""The hub's news: organisers write, edit and withdraw announcements from the browser.

An announcement is an `announcement` message; an edit an `announcement.update` and a
withdrawal an `announcement.withdraw` naming it (PROTOCOL.md §5.9, §5.35-§5.36), so
other hubs show the edited text and drop a withdrawn item. What members see is
`protocol.news.current_news` over the messages held.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.errors import Conflict, NodeError
from node.store.database import Database
from node.store.messages import MessageStore
from node.store.news import news_messages, own_announcement_live_txn
from protocol.errors import SchemaViolation
from protocol.kinds.hub import Announcement, AnnouncementUpdate, AnnouncementWithdraw
from protocol.news import NewsItem, current_news
from protocol.schema import check_body

T = TypeVar("T")


class NewsError(NodeError):
    """An announcement that cannot be written as given; the message says why."""


class News:
    def __init__(self, db: Database, messages: MessageStore, node_id: NodeId) -> None:
        self._db = db
        self._messages = messages
        self._node_id = node_id
        # Told after each change, so pages that keep the news a moment rebuild it.
        self.on_change: list[Callable[[], None]] = []

    async def items(
        self, *, own: bool = False, limit: int = 20, shows: Callable[[NodeId], bool] | None = None
    ) -> list[NewsItem]:
        """The news as it stands, newest first: this hub's only with `own`; `shows`
        says which other origins members may see (PROTOCOL.md §14.5)."""
        held = await news_messages(self._db, self._node_id if own else None, limit)
        items = current_news(held)
        if shows is not None:
            items = [i for i in items if i.origin == self._node_id or shows(i.origin)]
        return items[:limit]

    async def item(self, announcement: bytes) -> NewsItem | None:
        """One of this hub's own items, as it stands (None if unknown or withdrawn)."""
        for found in await self.items(own=True, limit=200):
            if found.id == announcement:
                return found
        return None

    async def publish(self, by: Acting, title: str | None, text: str) -> bytes:
        require(by, Permission.PUBLISH_NEWS)
        body = _checked(Announcement(text=_text(text), title=title or None))
        message = await self._messages.append("announcement", body)
        self._changed()
        return message.id

    async def edit(self, by: Acting, announcement: bytes, title: str | None, text: str) -> None:
        require(by, Permission.PUBLISH_NEWS)
        body = _checked(
            AnnouncementUpdate(announcement=announcement, text=_text(text), title=title or None)
        )
        await self._messages.append("announcement.update", body, check=self._live(announcement))
        self._changed()

    async def withdraw(self, by: Acting, announcement: bytes) -> None:
        require(by, Permission.PUBLISH_NEWS)
        body = AnnouncementWithdraw(announcement=announcement)
        await self._messages.append("announcement.withdraw", body, check=self._live(announcement))
        self._changed()

    def _live(self, announcement: bytes) -> Callable[[aiosqlite.Connection], Awaitable[None]]:
        async def check(conn: aiosqlite.Connection) -> None:
            # In the publishing transaction: two withdrawals at once publish one.
            if not await own_announcement_live_txn(conn, self._node_id, announcement):
                raise Conflict("That announcement has been withdrawn, or is not this hub's.")

        return check

    def _changed(self) -> None:
        for listener in self.on_change:
            listener()


def _text(text: str) -> str:
    if not text.strip():
        raise NewsError("Write the news: the text cannot be empty.")
    return text


def _checked(body: T) -> T:
    try:
        check_body(body)
    except SchemaViolation as exc:
        raise NewsError(
            "The announcement is too long or malformed: %(why)s.", why=exc.message
        ) from exc
    return body
