"""Atom (RFC 4287) feeds of announcements and campaign news, built with feedgen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Entry:
    id: str  # a tag: URI that never changes
    title: str
    text: str
    link: str
    author: str
    updated_ms: int


def feed_bytes(
    feed_id: str, title: str, self_url: str, site_url: str, entries: list[Entry]
) -> bytes:
    from feedgen.feed import FeedGenerator  # loaded on first use

    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.link(href=self_url, rel="self")
    fg.link(href=site_url, rel="alternate")
    fg.updated(_when(max((e.updated_ms for e in entries), default=0)))
    # feedgen prepends entries, so add the oldest first to get newest first out.
    for e in reversed(entries):
        item = fg.add_entry()
        item.id(e.id)
        item.title(e.title)
        item.link(href=e.link, rel="alternate")
        item.author(name=e.author)
        item.updated(_when(e.updated_ms))
        item.content(e.text, type="text")
    return bytes(fg.atom_str(pretty=True))


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def atom_response(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")
