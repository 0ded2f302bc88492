"""Browser-facing protections: security headers, sessions, CSRF, error pages.

CSRF: every visitor has a random token in an HttpOnly cookie; every form carries
the same token in a hidden field; a state-changing request must carry both, equal,
and any Origin header it has must be this site's. Otherwise it gets 403 and
nothing changes. Cookies are `__Host-` prefixed and Secure when the node's URL
is https (except through the onion service: web/onion.py).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from node.accounts.permissions import Permission
from node.accounts.tokens import token_digest
from node.appkeys import NODE
from node.errors import NodeError
from node.store.sealing import MembersDataLocked
from web.cookies import cookie, set_cookie
from web.flash import shown_once
from web.i18n import N_, _
from web.keys import (
    APPLICATIONS,
    BODY_LIMITS,
    CSRF,
    MEMBER,
    NEW_CSRF,
    NOTICES,
    SESSION_TOKEN,
    UNREAD,
)
from web.onion import add_onion_location
from web.rendering import render, use_zone_and_language
from web.wording import refusal

if TYPE_CHECKING:
    from node.accounts.members import Member
    from node.node import Node

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# No page needs a script (tests/web/test_page_weight.py walks them all), so a browser
# runs none, not even one that got onto the hub's own address.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_MAX_BYTES = 1024 * 1024
FEDERATION_PREFIX = "/federation/"
# Other ActivityPub servers' requests (web/routes/activitypub.py): signed, no session.
ACTIVITYPUB_PREFIX = "/ap/"
# Addresses machines ask (peers, monitors, the Prometheus scraper, browsers fetching
# the style sheet, fediverse servers): no session, no form token, so they pay for no
# database reads.
MACHINE_PREFIXES = (
    FEDERATION_PREFIX,
    ACTIVITYPUB_PREFIX,
    "/static/",
    "/healthz",
    "/metrics",
    "/.well-known/",
    "/nodeinfo/",
)
# File uploads stream their body (web/routes/library.py) rather than reading it as
# a form, so their form token travels in the query string (?csrf=…) and their
# size limit is the upload limit plus room for the other fields.
UPLOAD_PATHS = frozenset({"/library/upload", "/organise/exchange/upload"})
UPLOAD_MAX_BYTES = 20 * 1024 * 1024 + FORM_MAX_BYTES


class CsrfRefused(web.HTTPForbidden):
    """A state-changing request without the visitor's form token, or from elsewhere."""


def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    # A handler may set a stricter policy of its own (file downloads and members'
    # uploaded receipts do); keep it.
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    add_onion_location(request, response)


def _error_page(
    request: web.Request, status: int, heading: str, message: str, *, translated: bool = False
) -> web.Response:
    # Translated here: fixed messages are in the catalogue (N_ below); a service's
    # refusal comes translated (web/wording.py), with its values in.
    context = {"heading": _(heading), "message": message if translated else _(message)}
    return render(request, "error.html", context, status=status)


_MESSAGES = {
    400: (N_("Something was wrong with that request"), N_("Go back and try again.")),
    403: (N_("Not allowed"), N_("You do not have permission to do that.")),
    404: (N_("Page not found"), N_("There is no page at this address.")),
    405: (N_("Not allowed"), N_("That page cannot be used that way.")),
    408: (
        N_("What you sent stopped arriving"),
        N_(
            "Part of it came and then nothing more, so nothing was saved. Check your "
            "connection and try again."
        ),
    ),
    413: (N_("Too large"), N_("What you sent is larger than this hub accepts.")),
}


# The headings of node/errors.py's refusals (and their subclasses'), for the catalogue:
# the page shows them in the reader's language (`_error_page`).
_HEADINGS = (
    N_("That could not be done"),
    N_("Not found"),
    N_("Not allowed"),
    N_("Too many at once"),
    N_("The hub cannot do that just now"),
    N_("The hub cannot publish just now"),
    N_("Not confirmed"),
)


def error_page_for(request: web.Request, error: Exception) -> web.Response | None:
    """The page a browser gets for `error` raised while answering it, never a stack
    trace; None for an HTTP answer that is not an error page's to make (a redirect,
    or one that is already a page), which goes out as it is. Called in the `except`
    that caught `error`, so a log's traceback is that error's."""
    if isinstance(error, CsrfRefused):
        return _error_page(
            request,
            error.status,
            N_("This form could not be accepted"),
            N_(
                "It has expired or came from another site, and nothing was changed. "
                "Go back, reload the page and try again."
            ),
        )
    if isinstance(error, MembersDataLocked):
        # Started without its key, or locked by an organiser: one plain page, no ids.
        return render(request, "locked.html", {"just_locked": False}, status=503)
    if isinstance(error, NodeError):
        # The one place a service's refusal becomes a response: its status and its
        # message, written for the member (node/errors.py). Form handlers show the
        # ones a member can mend beside the fields instead (web/forms.py refusals_on).
        if error.status >= 500:
            log.error("cannot serve %s %s: %s", request.method, request.path, error)
        return _error_page(request, error.status, error.heading, refusal(error), translated=True)
    if isinstance(error, web.HTTPException):
        if error.status < 400 or error.content_type == "text/html":
            return None
        heading, message = _MESSAGES.get(error.status, (N_("Something went wrong"), error.reason))
        return _error_page(request, error.status, heading, message)
    if isinstance(error, sqlite3.OperationalError):
        # Disk full, read-only or locked: the transaction was rolled back, so
        # nothing changed; the member may simply try again later.
        log.error(
            "database unavailable while serving %s %s: %s", request.method, request.path, error
        )
        return _error_page(
            request,
            503,
            N_("The hub cannot save anything right now"),
            N_(
                "Its storage is full or cannot be written, so nothing was changed. "
                "The organisers have been told in the node's log. Try again later."
            ),
        )
    log.exception("error serving %s %s", request.method, request.path)
    return _error_page(
        request,
        500,
        N_("Something went wrong"),
        N_("The hub's server had a problem. Try again soon."),
    )


def is_page(path: str) -> bool:
    """Whether `path` is a page for people (not an address machines ask)."""
    return not path.startswith(MACHINE_PREFIXES)


async def visit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page, with what it needs to know of its visitor: the logged-in member (if
    any), their form token, the zone and language to show it in, and a line a
    redirect left for it."""
    node = request.config_dict[NODE]
    request[NOTICES] = []
    token = cookie(request, "hubnet_session")
    # While locked nobody is logged in: a member's session needs their sealed details.
    if token and not node.atrest.locked:
        # Who the visitor is and their badges, in one value kept until the next write
        # or for a second (sessions expire and terms of office end with the time):
        # four lookups a page, each a coroutine, were a sixth of a member's page.
        found = await node.db.kept(
            ("visitor", token_digest(token)),
            lambda: _visitor(node, token),
            now_ms=node.clock(),
            for_ms=1000,
        )
        if found is not None:
            request[MEMBER], request[UNREAD], applications = found
            request[SESSION_TOKEN] = token
            if applications is not None:
                request[APPLICATIONS] = applications
    csrf = cookie(request, "hubnet_csrf")
    request[NEW_CSRF] = len(csrf) != 43
    request[CSRF] = secrets.token_urlsafe(32) if request[NEW_CSRF] else csrf
    if request.method in _UNSAFE:
        upload = request.path in UPLOAD_PATHS and request.content_type.startswith("multipart/")
        limit = max(UPLOAD_MAX_BYTES, _body_limit(request)) if upload else _body_limit(request)
        if (request.content_length or 0) > limit:
            raise web.HTTPRequestEntityTooLarge(
                max_size=limit, actual_size=request.content_length or 0
            )
        await _check_csrf(request, upload)
    use_zone_and_language(request)
    response = await shown_once(request, handler)
    if request[NEW_CSRF]:
        set_cookie(response, request, "hubnet_csrf", request[CSRF])
    return response


async def _visitor(node: Node, token: str) -> tuple[Member, int, int | None] | None:
    """The active member whose session `token` is, their unread notices and (for those
    who decide applications) the applications waiting; None for no live session."""
    member_id = await node.sessions.member_of(token)
    member = await node.members.get(member_id) if member_id is not None else None
    if member is None or member.status != "active":
        return None
    unread = await node.notices.unread_count(member.id)
    waiting = None
    if member.can(Permission.MANAGE_MEMBERS):
        waiting = await node.applications.waiting()
    return member, unread, waiting


def _body_limit(request: web.Request) -> int:
    """FORM_MAX_BYTES, or more for a route that takes files (Route.max_body)."""
    resource = request.match_info.route.resource
    if resource is None:
        return FORM_MAX_BYTES
    limits = request.config_dict.get(BODY_LIMITS, {})
    return int(limits.get((request.method, resource.canonical), FORM_MAX_BYTES))


async def _check_csrf(request: web.Request, upload: bool = False) -> None:
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        allowed = {
            _origin_of(request.config_dict[NODE].config.url),
            f"{request.scheme}://{request.host}",
        }
        if origin not in allowed:
            raise CsrfRefused(reason="cross-site request refused")
    sent = request.query.get("csrf") if upload else (await request.post()).get("csrf")
    if (
        request[NEW_CSRF]
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent.encode(), request[CSRF].encode())
    ):
        raise CsrfRefused(reason="missing or wrong form token")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
