"""The call points where discussions meet notices and search, in one place.

Notices (node/notices.py) and search (node/search.py) are other parts of the
node. Discussions say here *who should hear of what* and *what to index*; the
`Hooks` methods are where those parts are called.

Discussions are indexed as kind "discussion", visible to members only (hub
threads and network comments are both members' pages).
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from node.notices import Notices
from node.search import Search
from node.store import search as search_index
from node.wording import Wording


@dataclass(frozen=True, slots=True)
class Notice:
    """Tell these members something, with a link to it."""

    member_ids: tuple[int, ...]
    text: Wording  # in each member's language (node/wording.py)
    link: str


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One thing to find by search. `key` is stable: a later doc with it replaces this one."""

    key: str  # "post:12", "comment:<hex id>"
    title: str
    text: str
    link: str


class Hooks:
    """Where discussions call search (and notices, through `notify`)."""

    def __init__(self, search: Search, notices: Notices) -> None:
        self._search = search
        self._notices = notices

    async def notify(self, notice: Notice) -> None:
        await self._notices.notify(notice.member_ids, notice.text, notice.link)

    async def index(self, doc: SearchDoc) -> None:
        await self._search.put("discussion", doc.key, doc.title, doc.text, "members", doc.link)

    async def unindex(self, key: str) -> None:
        await self._search.drop("discussion", key)

    # Inside a caller's write transaction (the comments projection runs in one):
    # the standalone methods would wait for the writer the caller already holds.
    async def index_txn(self, conn: aiosqlite.Connection, doc: SearchDoc) -> None:
        await search_index.put_txn(
            conn, "discussion", doc.key, doc.title, doc.text, "members", doc.link
        )

    async def unindex_txn(self, conn: aiosqlite.Connection, key: str) -> None:
        await search_index.drop_txn(conn, "discussion", key)


def reply_notice(
    thread_member_ids: set[int], mentioned: set[int], author_id: int, title: str, link: str
) -> list[Notice]:
    """Who hears of a new post: people mentioned, and others who wrote in the thread."""
    notices = []
    named = mentioned - {author_id}
    if named:
        notices.append(
            Notice(
                tuple(sorted(named)),
                Wording("You were mentioned in “%(title)s”", {"title": title}),
                link,
            )
        )
    others = thread_member_ids - named - {author_id}
    if others:
        notices.append(
            Notice(
                tuple(sorted(others)), Wording("New reply in “%(title)s”", {"title": title}), link
            )
        )
    return notices


def report_notice(moderator_ids: set[int], link: str) -> list[Notice]:
    """Moderators hear of every new report (never who made it)."""
    if not moderator_ids:
        return []
    return [Notice(tuple(sorted(moderator_ids)), Wording("A post was reported"), link)]
