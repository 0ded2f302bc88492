"""A hub's news as members see it: announcements after their edits and withdrawals.

PROTOCOL.md §5.37-§5.38: an `announcement.update` or `announcement.withdraw` counts
only when its origin wrote the announcement it names; updates apply in the origin's
log order (the highest seq wins), and a withdrawal removes the item for good. Pure:
the caller passes the messages it holds, in any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crypto.nodeid import NodeId
from protocol.envelope import Message
from protocol.kinds.hub import Announcement, AnnouncementUpdate, AnnouncementWithdraw

NEWS_KINDS = ("announcement", "announcement.update", "announcement.withdraw")


@dataclass(frozen=True, slots=True)
class NewsItem:
    id: bytes  # the first announcement's message id: it names the item from then on
    origin: NodeId
    title: str | None
    text: str
    published_at: int  # ms, when the announcement was first made
    edited_at: int | None  # ms, of the update shown, if any


def current_news(messages: Iterable[Message]) -> list[NewsItem]:
    """The announcements among `messages` as they stand, newest first."""
    held = list(messages)
    firsts: dict[bytes, Message] = {m.id: m for m in held if isinstance(m.body, Announcement)}
    latest: dict[bytes, Message] = {}
    withdrawn: set[bytes] = set()
    for m in sorted(held, key=lambda m: m.seq):
        body = m.body
        if isinstance(body, AnnouncementUpdate | AnnouncementWithdraw):
            first = firsts.get(body.announcement)
            if first is None or first.origin != m.origin:
                continue  # not held, or another origin's: changes nothing
            if isinstance(body, AnnouncementWithdraw):
                withdrawn.add(first.id)
            else:
                latest[first.id] = m
    items = []
    for first in firsts.values():
        if first.id in withdrawn:
            continue
        shown = latest.get(first.id)
        body = shown.body if shown is not None else first.body
        items.append(
            NewsItem(
                id=first.id,
                origin=first.origin,
                title=body.title,
                text=body.text,
                published_at=first.created_at,
                edited_at=shown.created_at if shown is not None else None,
            )
        )
    items.sort(key=lambda i: (i.published_at, i.id), reverse=True)
    return items
