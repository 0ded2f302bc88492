"""A cap on the node's open connections, so a crowd of clients cannot use it up.

Each connection holds a file descriptor and some memory. At `max_connections`
a new connection first makes room by closing the connection that has been quiet
longest: one that has sent nothing since it was opened, or nothing for a second
or more, with nothing waiting to be sent to it and no file being sent. A flood
of connections that never ask anything is therefore closed oldest first, and
never locks out a client with something to ask (a monitor's `/healthz`, a
member, a peer). When no connection is quiet enough to close (every one busy, or
just opened), up to one listen backlog (128) more are let in; past that, a new
connection is answered `503` with `Retry-After: 1` and closed at once. aiohttp
itself closes a connection that stays idle for the keep-alive timeout
(node/cli), first request included.

The cap wraps aiohttp's protocol for each connection and watches it only through
the asyncio transport's public methods, so it does not depend on aiohttp's
internals.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import cast

from aiohttp import web

log = logging.getLogger(__name__)

BACKLOG = 128  # the listening socket's backlog, and the burst let in past the cap
QUIET_SECONDS = 1.0  # nothing received for this long: a connection may be closed for room
# A connection only just accepted may have its request waiting unread while the loop
# accepts a burst of others: it is not closed for room until this old.
FIRST_ASK_SECONDS = 0.05
_LOG_EVERY = 60.0  # seconds between log lines about the cap, however often it is met
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n"
    b"Content-Length: 43\r\n"
    b"\r\n"
    b"This hub is too busy just now; retry soon.\n"
)


class _Refused(asyncio.Protocol):
    """A connection over the cap while every other one is busy: answered 503, closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        writer = cast(asyncio.Transport, transport)
        writer.write(_BUSY)
        writer.close()


class _Watched(asyncio.Protocol):
    """aiohttp's protocol for one connection, with when it last heard from the client."""

    __slots__ = ("_asked", "_cap", "_heard", "_inner", "_paused", "_transport")

    def __init__(self, cap: ConnectionCap, inner: asyncio.Protocol) -> None:
        self._cap = cap
        self._inner = inner
        self._transport: asyncio.Transport | None = None
        self._heard = time.monotonic()
        self._asked = False  # whether the client has sent anything at all
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._heard = time.monotonic()
        self._asked = True
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cap.lost(self)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._paused = True
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._paused = False
        self._inner.resume_writing()

    def quiet_since(self, now: float) -> float | None:
        """When it went quiet, if it may be closed for room; None while it is busy."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return None
        if self._paused or transport.get_write_buffer_size() or not transport.is_reading():
            return None  # sending (a file is sent with reading paused) or being throttled
        if now - self._heard < (QUIET_SECONDS if self._asked else FIRST_ASK_SECONDS):
            return None  # it may be in the middle of a request, or about to send one
        return self._heard

    def close_for_room(self) -> None:
        assert self._transport is not None
        self._transport.close()


class ConnectionCap:
    """The protocol factory for the listening socket: aiohttp's, under a cap."""

    def __init__(self, server: web.Server, limit: int) -> None:
        self._server = server
        self.limit = limit
        self.closed_for_room = 0
        self.refused = 0
        # Counted from the accept, not from connection_made: a burst of accepts in one
        # loop turn must not all see room.
        self._open: set[_Watched] = set()
        self._logged = 0.0

    @property
    def open(self) -> int:
        return len(self._open)

    def __call__(self) -> asyncio.BaseProtocol:
        # With nobody quiet enough to close, a burst is let in past the cap by up to
        # one listen backlog (what one stalled turn of the loop can accept at once);
        # by the next new connection, the idle among them can be closed.
        if (
            len(self._open) >= self.limit
            and not self._make_room()
            and len(self._open) >= self.limit + BACKLOG
        ):
            self.refused += 1
            self._note("refused a connection: every connection is busy")
            return _Refused()
        watched = _Watched(self, cast(asyncio.Protocol, self._server()))
        self._open.add(watched)
        return watched

    def lost(self, watched: _Watched) -> None:
        self._open.discard(watched)

    def _make_room(self) -> bool:
        now = time.monotonic()
        quietest: _Watched | None = None
        since = now
        for watched in self._open:
            quiet = watched.quiet_since(now)
            if quiet is not None and quiet <= since:
                quietest, since = watched, quiet
        if quietest is None:
            return False
        self._open.discard(quietest)  # its connection_lost comes a loop turn later
        quietest.close_for_room()
        self.closed_for_room += 1
        self._note("closed the longest-quiet connection to make room")
        return True

    def _note(self, what: str) -> None:
        now = time.monotonic()
        if now - self._logged >= _LOG_EVERY:
            self._logged = now
            log.warning(
                "%d connections open (max_connections); %s (%d closed, %d refused so far)",
                self.limit,
                what,
                self.closed_for_room,
                self.refused,
            )


async def listen(runner: web.AppRunner, host: str, port: int, limit: int) -> asyncio.Server:
    """Listen on host:port for `runner`'s app (set up already), under a cap of `limit`."""
    server = runner.server
    assert server is not None, "runner.setup() first"
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        ConnectionCap(server, limit), host, port, reuse_address=True, backlog=BACKLOG
    )
