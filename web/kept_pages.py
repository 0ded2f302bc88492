"""Whole pages kept as rendered, for the pages members open most (their home, the hub's
public page, their notices), served again while nothing they show can have changed.

Rendering one of them takes a few hundred microseconds of templates and queries; a
kept copy costs a dictionary lookup. A page is kept for the one visitor it was made
for (their member id is in the key, so nobody is ever shown another's page), for the
same address, the same minute (pages say "in 2 days", "5 minutes ago"), the same
hubs in the network and the same state of the database: SQLite's `data_version`
moves on every commit by any connection or process, so anything written anywhere (a
post, a vote, a CLI command) makes every kept page old at once.

What differs between two requests of one visitor is their form token, which the
session middleware may renew: pages are rendered with a placeholder in its place,
and each answer gets the visitor's own. A page with a status line to show (a
flash), a page that is not a plain 200, and one that sets a cookie are never kept.

Only handlers that read and never write may be kept (`@kept_page`): a handler that
marks something read when opened must run every time.
"""

from __future__ import annotations

import functools
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web

from node.appkeys import NODE
from web import i18n
from web.keys import CSRF, MEMBER, NOTICES
from web.onion import via_onion

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Entries: one page each, under 60 KB (tests/web check page weight), so at most a few
# megabytes; a hub's members online at once are far fewer.
SIZE = 64
# The same alphabet as a real token (secrets.token_urlsafe), so HTML escaping leaves
# it as it is wherever a template puts it.
_PLACEHOLDER = "kept-" + secrets.token_urlsafe(24)
_PLACEHOLDER_BYTES = _PLACEHOLDER.encode()

_Kept = tuple[bytes, str, str | None]  # body with the placeholder, content type, charset


class KeptPages:
    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._pages: OrderedDict[tuple[object, ...], _Kept] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[object, ...]) -> _Kept | None:
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def clear(self) -> None:
        """Drop every kept page (the hub was locked: they show members' details)."""
        self._pages.clear()

    def put(self, key: tuple[object, ...], page: _Kept) -> None:
        self._pages[key] = page
        if len(self._pages) > self._size:
            self._pages.popitem(last=False)


KEPT_PAGES = web.AppKey("kept_pages", KeptPages)


def page_state(request: web.Request) -> tuple[object, ...] | None:
    """What a page the same for every visitor may depend on besides its address: the
    database's state (any write by any process moves it), which hubs are in the network
    (held in memory: it may change after the write it follows), the minute (pages say
    "in 2 days"), the page's language (a visitor's switch is a cookie, no write) and
    whether it came through the onion service (its links name the onion address).
    None when the database's state cannot be read: then nothing may be kept."""
    node = request.config_dict[NODE]
    version = node.db.data_version()
    if version is None:
        return None
    # Through the onion service a page's absolute links name the onion address.
    return (
        version,
        node.membership.members,
        node.clock() // 60_000,
        i18n.language(),
        via_onion(request),
    )


def kept_page(handler: Handler) -> Handler:
    """Serve `handler`'s page from KeptPages while the database and the minute are the
    same; `handler` must only read."""

    @functools.wraps(handler)
    async def serve(request: web.Request) -> web.StreamResponse:
        pages = request.config_dict.get(KEPT_PAGES)
        state = page_state(request)
        if pages is None or state is None or request.method != "GET" or request.get(NOTICES):
            return await handler(request)
        member = request.get(MEMBER)
        key = (request.path_qs, None if member is None else member.id, *state)
        page = pages.get(key)
        if page is None:
            pages.misses += 1
            token = request[CSRF]
            request[CSRF] = _PLACEHOLDER
            try:
                response = await handler(request)
            finally:
                request[CSRF] = token
            if not _keepable(response):
                return _with_token(response, token)
            assert isinstance(response, web.Response) and isinstance(response.body, bytes)
            page = (response.body, response.content_type, response.charset)
            pages.put(key, page)
        else:
            pages.hits += 1
        body, content_type, charset = page
        return web.Response(
            body=body.replace(_PLACEHOLDER_BYTES, request[CSRF].encode()),
            content_type=content_type,
            charset=charset,
        )

    return serve


def _keepable(response: web.StreamResponse) -> bool:
    return (
        isinstance(response, web.Response)
        and response.status == 200
        and isinstance(response.body, bytes)
        and not response.cookies
        # Nothing of the handler's own (a download's file name, a stricter policy).
        and set(response.headers) <= {"Content-Type", "Content-Length"}
    )


def _with_token(response: web.StreamResponse, token: str) -> web.StreamResponse:
    """A page not kept, with the visitor's token where the placeholder was rendered."""
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        response.body = response.body.replace(_PLACEHOLDER_BYTES, token.encode())
    return response


def setup(app: web.Application) -> None:
    app[KEPT_PAGES] = KeptPages()
