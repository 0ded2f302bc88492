"""The call points where discussions meet notices and search, in one place.

Notices (node/notices.py) and search (node/search.py) are other parts of the
node. Discussions say here *who should hear of what* and *what to index*; the
`Hooks` methods are where those parts are called. Until they are wired, the
methods do nothing and discussions work without them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Notice:
    """Tell these members something, with a link to it."""

    member_ids: tuple[int, ...]
    text: str
    link: str


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One thing to find by search. `key` is stable: a later doc with it replaces this one."""

    key: str  # "post:12", "comment:<hex id>"
    title: str
    text: str
    link: str


class Hooks:
    """Wire here: `notify` -> `await node.notices.notify(list(n.member_ids), n.text, n.link)`;
    `index` -> `node.search.put(...)`; `unindex` -> `node.search.drop(key)`."""

    async def notify(self, notice: Notice) -> None:
        return None

    async def index(self, doc: SearchDoc) -> None:
        return None

    async def unindex(self, key: str) -> None:
        return None


def reply_notice(
    thread_member_ids: set[int], mentioned: set[int], author_id: int, title: str, link: str
) -> list[Notice]:
    """Who hears of a new post: people mentioned, and others who wrote in the thread."""
    notices = []
    named = mentioned - {author_id}
    if named:
        notices.append(Notice(tuple(sorted(named)), f"You were mentioned in “{title}”", link))
    others = thread_member_ids - named - {author_id}
    if others:
        notices.append(Notice(tuple(sorted(others)), f"New reply in “{title}”", link))
    return notices


def report_notice(moderator_ids: set[int], link: str) -> list[Notice]:
    """Moderators hear of every new report (never who made it)."""
    if not moderator_ids:
        return []
    return [Notice(tuple(sorted(moderator_ids)), "A post was reported", link)]
