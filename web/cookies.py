"""The node's cookies: their names and attributes, the same for every one it sets."""

from __future__ import annotations

from aiohttp import web

from node.appkeys import NODE
from web.onion import via_onion


def _secure(request: web.Request) -> bool:
    # Through the onion service the connection is http to the .onion address, which
    # Tor encrypts; a Secure cookie sent over http would be dropped (web/onion.py).
    url = request.config_dict[NODE].config.url
    return bool(url.startswith("https://")) and not via_onion(request)


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
