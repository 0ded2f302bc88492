"""The node's cookies: their names and attributes, the same for every one it sets."""

from __future__ import annotations

from aiohttp import web

from node.appkeys import NODE
from web.onion import via_onion

_SENT = web.RequestKey("cookies_sent", dict)
_SECURE = web.RequestKey("cookies_secure", bool)


def _secure(request: web.Request) -> bool:
    # Through the onion service the connection is http to the .onion address, which
    # Tor encrypts; a Secure cookie sent over http would be dropped (web/onion.py).
    # Asked for each cookie read and set: worked out once a request.
    secure = request.get(_SECURE)
    if secure is None:
        url = request.config_dict[NODE].config.url
        secure = request[_SECURE] = url.startswith("https://") and not via_onion(request)
    return secure


def cookie_name(request: web.Request, base: str) -> str:
    # __Host- cookies must be Secure, so they only work over HTTPS.
    return f"__Host-{base}" if _secure(request) else base


def set_cookie(
    response: web.StreamResponse, request: web.Request, base: str, value: str, **extra: object
) -> None:
    response.set_cookie(
        cookie_name(request, base),
        value,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=_secure(request),
        **extra,  # type: ignore[arg-type]
    )


def sent(request: web.Request, name: str) -> str:
    """The value the browser sent for the cookie called exactly `name`, or "".

    Read from the Cookie header with one split per request, not through aiohttp's
    `request.cookies`, which builds an `http.cookies` Morsel for every cookie: that was
    a fourteenth of a member's page (py-spy). The node's cookies hold only URL-safe
    characters and are never quoted; a value that is, is taken as it came, and fails
    the check of whatever it was meant to be."""
    cookies = request.get(_SENT)
    if cookies is None:
        cookies = {}
        for part in request.headers.get("Cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            cookies.setdefault(key, value)
        request[_SENT] = cookies
    found: str = cookies.get(name, "")
    return found


def cookie(request: web.Request, base: str) -> str:
    """The value of one of the node's own cookies (named as `cookie_name` names it)."""
    return sent(request, cookie_name(request, base))
