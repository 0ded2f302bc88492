"""A request body that stops arriving is given up on, so it cannot hold a handler.

aiohttp waits for a body as long as the client keeps the connection open. A
client (or a proxy passing a stalled client's body on as it comes, as Caddy does)
that sends part of a body and then nothing holds a request handler, its memory
and its connection. Here, while a request's body is still arriving, a watcher
checks once a second that more of it came; after `STALL_SECONDS` with nothing,
the handler is cancelled and the client is answered 408. A slow but steady body
(a phone uploading a file on a poor line) is never cut off. The federation API
has its own, stricter limit on the whole body (node/federation/api.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import StreamReader, web

STALL_SECONDS = 10  # the same as nginx's client_body_timeout in deploy/nginx.conf
_TICK = 1.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_pending(request: web.Request) -> bool:
    """Whether some of the request's body has still to arrive."""
    return request.body_exists and not request.content.is_eof()


async def within_body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`handler(request)`, cancelled and answered 408 if its body stops arriving.

    Not for the federation API, which times the whole body itself and answers in its
    own format: a second clock of the same length would race it."""
    try:
        async with asyncio.timeout(None) as deadline:
            watcher = asyncio.create_task(_watch(request.content, deadline))
            try:
                return await handler(request)
            finally:
                watcher.cancel()
    except TimeoutError:
        if not deadline.expired():
            raise  # a timeout of the handler's own, not the body's
        raise web.HTTPRequestTimeout(
            text=f"The request's body stopped arriving for {STALL_SECONDS} s; nothing was saved."
        ) from None


async def _watch(body: StreamReader, deadline: asyncio.Timeout) -> None:
    """Expire `deadline` when `body` has not grown for STALL_SECONDS."""
    loop = asyncio.get_running_loop()
    seen, quiet = body.total_bytes, 0.0
    while not body.is_eof():
        await asyncio.sleep(_TICK)
        if body.total_bytes != seen:
            seen, quiet = body.total_bytes, 0.0
            continue
        quiet += _TICK
        if quiet >= STALL_SECONDS:
            deadline.reschedule(loop.time())
            return
