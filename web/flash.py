"""Post, redirect, get: a form that did what it was asked answers 303 See Other to a
page, with one line saying what happened shown once on that page.

    raise done(request, f"/events/{event_id}", "Event created.")

The line travels in a short-lived cookie, signed with a key the app makes when it
starts and bound to the visitor's form token (web/security.py), so no other site and
no other visitor can put words on this hub's pages. The next page the browser loads
shows it in base.html's role="status" line and clears the cookie, so a refresh shows
the page again without sending the form again. A node that restarts between the two
requests drops the line, never the change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from web.cookies import cookie, set_cookie
from web.keys import CSRF, FLASH_KEY, NOTICES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COOKIE = "hubnet_flash"
LIFETIME_SECONDS = 60
MAX_TEXT = 300  # a cookie carries a few KiB at most; a flash line is one sentence


def new_key() -> bytes:
    return secrets.token_bytes(32)


def _sign(request: web.Request, text: str) -> str:
    mac = hmac.new(request.config_dict[FLASH_KEY], digestmod=hashlib.sha256)
    mac.update(request.get(CSRF, "").encode() + b"\0" + text.encode())
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def done(request: web.Request, location: str, text: str) -> web.HTTPSeeOther:
    """A 303 to `location` (a path on this hub) that shows `text` there once."""
    text = text[:MAX_TEXT]
    encoded = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    response = web.HTTPSeeOther(location)
    value = f"{encoded}.{_sign(request, text)}"
    set_cookie(response, request, COOKIE, value, max_age=LIFETIME_SECONDS)
    return response


def take(request: web.Request) -> bool:
    """Move a waiting flash line into this page's status lines; whether there was a
    cookie to clear (valid or not)."""
    value = cookie(request, COOKIE)
    if not value:
        return False
    encoded, _, signature = value.partition(".")
    try:
        text = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return True
    if hmac.compare_digest(signature.encode(), _sign(request, text).encode()):
        request[NOTICES].append(text)
    return True


async def shown_once(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`handler`'s answer, showing a waiting line on the page a GET loads and clearing
    it (called by the visitor middleware once the page's status lines and the form
    token are set up)."""
    if request.method != "GET" or NOTICES not in request:
        return await handler(request)
    if not take(request):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        set_cookie(exc, request, COOKIE, "", max_age=0)
        raise
    set_cookie(response, request, COOKIE, "", max_age=0)
    return response
