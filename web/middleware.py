"""The one middleware every request goes through (web/app.py).

aiohttp wraps each middleware round the handler as a layer of calls of its own, and
every request pays for every layer whether it needs it or not: five of them cost
/healthz half the requests a second a bare aiohttp handler answers. So one middleware
does what the five did, in the same order: it times the answer (/metrics), gives
every answer the security headers, turns errors into pages, gives up on a body that
stops arriving, and finds the page's visitor. A request that needs less pays for less,
with a test of its path: the federation API (its own errors and its own body clock)
gets only the timing and the headers; ActivityPub's inbox (errors as JSON) the body
clock too; machine addresses (/healthz, /static/, /.well-known/…) no visitor.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable

from aiohttp import web

from web import security
from web.body_deadline import body_pending, within_body_deadline
from web.metrics import observe
from web.security import ACTIVITYPUB_PREFIX, FEDERATION_PREFIX, Handler


@web.middleware
async def node_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        path = request.path
        if path.startswith(FEDERATION_PREFIX):
            response = await handler(request)
        elif path.startswith(ACTIVITYPUB_PREFIX):
            response = await _bounded(request, handler)
        else:
            try:
                response = await _answer(request, handler)
            except Exception as exc:  # every error a browser sees is a page
                page = security.error_page_for(request, exc)
                if page is None:
                    raise
                response = page
        status = response.status
    except web.HTTPException as exc:
        status = exc.status
        exc.headers.update(security.SECURITY_HEADERS)
        raise
    finally:
        observe(request, status, time.perf_counter() - started)
    security.add_security_headers(request, response)
    return response


def _answer(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """The answer to a page (with its visitor) or a machine address (without)."""
    if security.is_page(request.path):
        return _bounded(request, functools.partial(security.visit, handler=handler))
    return _bounded(request, handler)


def _bounded(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """`handler(request)`, under the body clock if a body is still arriving: the
    awaitable itself, so the common case adds no layer of calls."""
    if body_pending(request):
        return within_body_deadline(request, handler)
    return handler(request)
