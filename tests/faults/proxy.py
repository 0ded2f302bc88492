"""A loopback TCP proxy between two nodes, whose behaviour the test switches at any time.

    async with FaultProxy(node_b_port) as proxy:
        ...                        # node A reaches node B at proxy.url
        await proxy.blackhole()    # A's new connections to B hang
        await proxy.cut()          # ...and the ones it already had are reset
        await proxy.pass_through()

A mode applies to connections accepted after the switch: an HTTP client's pooled
keep-alive connection keeps working after drop() until cut() resets it. The delay
is the exception: it is read for every chunk, so delay() also slows connections
already open, and any other mode stops slowing them.

Plain (non-async) tests that drive node subprocesses use ThreadedFaultProxy: the
same methods as blocking calls, served by an event loop in a background thread.

Only loopback addresses are accepted, for the target and for listening: this
workplace forbids traffic to any other address.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import socket
import struct
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, Self, TypeVar

# Read size and StreamReader limit. With drain() after every write this bounds what a
# connection holds in memory: a slow reader on one side stops reads on the other.
_CHUNK = 64 * 1024
_BACKLOG = 128
# SO_LINGER on with a zero timeout: closing the socket sends RST rather than FIN.
_LINGER_RESET = struct.pack("ii", 1, 0)

_P = ParamSpec("_P")
_T = TypeVar("_T")


class _Mode(enum.Enum):
    PASS = "pass_through"
    DROP = "drop"
    REFUSE = "refuse"
    BLACKHOLE = "blackhole"
    DELAY = "delay"


def _loopback(host: str) -> str:
    """`host` as an IP literal, if it is a loopback address; ValueError otherwise."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(f"{host!r} is not a loopback IP address; FaultProxy only uses loopback")
    return str(address)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close the connection at once with RST, discarding anything unsent."""
    if not writer.transport.is_closing():
        with contextlib.suppress(OSError):
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    writer.transport.abort()


class FaultProxy:
    """Forward TCP connections from a loopback port to a loopback target, or fail them.

    Counters: `connections` accepted, `bytes_up` read from clients (forwarded to the
    target or, in a black hole, discarded), `bytes_down` read from the target.
    """

    def __init__(
        self,
        target_port: int | None = None,
        target_host: str = "127.0.0.1",
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        record: bool = False,
    ) -> None:
        self._target_host = target_host
        self._target_port = target_port
        self._listen_host = listen_host
        self._listen_port = listen_port
        # With record=True, every byte each connection carried: (up, down) per connection,
        # for tests that must see everything one node sent another (the privacy canaries).
        self.streams: list[tuple[bytearray, bytearray]] | None = [] if record else None
        self.connections = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self._mode = _Mode.PASS
        self._delay = 0.0
        self._port: int | None = None
        self._server: asyncio.Server | None = None
        # While refusing, the port stays bound but not listening: connects get RST, and
        # no other socket can take the port before the proxy listens on it again.
        self._idle: socket.socket | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FaultProxy is not started")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._listen_host}]" if ":" in self._listen_host else self._listen_host
        return f"http://{host}:{self.port}"

    async def start(
        self,
        target_host: str,
        target_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> int:
        """Bind (and, unless refusing, listen); return the bound port."""
        if self._port is not None or self._closed:
            raise RuntimeError("a FaultProxy starts once")
        if not 0 < target_port < 65536:
            raise ValueError(f"target port {target_port} is out of range")
        self._target_host = _loopback(target_host)
        self._target_port = target_port
        self._listen_host = _loopback(listen_host)
        sock = self._bind(listen_port)
        self._port = sock.getsockname()[1]
        if self._mode is _Mode.REFUSE:
            self._idle = sock
        else:
            await self._serve(sock)
        return self._port

    async def close(self) -> None:
        """Stop listening, reset every connection and wait for all of it to finish."""
        self._closed = True
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._idle is not None:
            self._idle.close()
            self._idle = None
        while self._tasks:  # a connection accepted during close() is reset too
            await self.cut()

    async def __aenter__(self) -> Self:
        if self._target_port is None:
            raise TypeError("`async with` needs FaultProxy(target_port)")
        await self.start(self._target_host, self._target_port, self._listen_host, self._listen_port)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def pass_through(self) -> None:
        """Forward new connections unchanged (the default); listen again after refuse()."""
        await self._switch(_Mode.PASS)

    async def drop(self) -> None:
        """Accept new connections and reset them at once."""
        await self._switch(_Mode.DROP)

    async def refuse(self) -> None:
        """Stop listening, so connects are refused; the port is kept for the next mode."""
        await self._switch(_Mode.REFUSE)

    async def blackhole(self) -> None:
        """Accept new connections, read and discard what they send, never answer."""
        await self._switch(_Mode.BLACKHOLE)

    async def delay(self, seconds: float) -> None:
        """Forward, holding every chunk in either direction for `seconds` first."""
        if not 0 <= seconds < float("inf"):
            raise ValueError(f"delay must be a finite number of seconds >= 0, not {seconds}")
        await self._switch(_Mode.DELAY, seconds)

    async def cut(self) -> None:
        """Reset every open connection now; new ones still get the current mode."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _switch(self, mode: _Mode, delay: float = 0.0) -> None:
        self._mode = mode
        self._delay = delay
        if mode is _Mode.REFUSE:
            if self._server is not None:
                # Closes the listening socket now; connections already accepted stay open.
                self._server.close()
                self._server = None
                self._idle = self._bind(self.port)
        elif self._idle is not None:
            sock, self._idle = self._idle, None
            await self._serve(sock)

    def _bind(self, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._listen_host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            # Binds the port again after refuse() while connections accepted on it live on.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._listen_host, port))
        except BaseException:
            sock.close()
            raise
        return sock

    async def _serve(self, sock: socket.socket) -> None:
        try:
            # With start_serving=False this await never suspends, so a cancelled call
            # cannot lose the server between creating it and storing it.
            server = await asyncio.start_server(
                self._accept, sock=sock, limit=_CHUNK, backlog=_BACKLOG, start_serving=False
            )
        except BaseException:
            sock.close()
            raise
        self._server = server
        await server.start_serving()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, not a coroutine, so every connection's task is tracked from
        # the moment it exists and close() can cancel and await it.
        self.connections += 1
        mode = _Mode.DROP if self._closed else self._mode
        task = asyncio.get_running_loop().create_task(self._handle(mode, reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # A task cancelled (by cut() or close()) before its first step never enters
        # _handle's try, so its finally cannot reset the client: reset it here instead,
        # or the socket stays open, the client hangs, and the transport leaks.
        task.add_done_callback(lambda _: None if writer.transport.is_closing() else _reset(writer))

    async def _handle(
        self, mode: _Mode, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        writers = [client_writer]
        both_ended = False
        up, down = bytearray(), bytearray()
        if self.streams is not None:
            self.streams.append((up, down))
        try:
            if mode is _Mode.BLACKHOLE:
                await self._swallow(client_reader, up)
            elif mode in (_Mode.PASS, _Mode.DELAY):
                target_reader, target_writer = await asyncio.open_connection(
                    self._target_host, self._target_port, limit=_CHUNK
                )
                writers.append(target_writer)
                async with asyncio.TaskGroup() as pumps:
                    pumps.create_task(self._pump(client_reader, target_writer, up, up=True))
                    pumps.create_task(self._pump(target_reader, client_writer, down, up=False))
                both_ended = True
            # DROP, or REFUSE for a connection accepted just before refuse(): reset it.
        except* OSError:
            pass  # one end reset, or the target is down: the finally resets the other end
        finally:
            for writer in writers:
                if both_ended:
                    writer.close()
                else:
                    _reset(writer)
            for writer in writers:
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: bytearray,
        *,
        up: bool,
    ) -> None:
        while chunk := await reader.read(_CHUNK):
            if up:
                self.bytes_up += len(chunk)
            else:
                self.bytes_down += len(chunk)
            if self.streams is not None:
                record += chunk
            if self._delay:
                await asyncio.sleep(self._delay)
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # pass the half-close on; the other direction goes on

    async def _swallow(self, reader: asyncio.StreamReader, record: bytearray) -> None:
        while chunk := await reader.read(_CHUNK):
            self.bytes_up += len(chunk)
            if self.streams is not None:
                record += chunk
        # Even after the client's EOF, send nothing, not even a FIN: a black hole never
        # answers. The socket is released by cut() or close().
        await asyncio.get_running_loop().create_future()


class ThreadedFaultProxy:
    """A FaultProxy on its own event loop in a background thread, for plain tests.

    The same methods as FaultProxy, as blocking calls; each waits at most `timeout`.
    """

    def __init__(
        self,
        target_port: int | None = None,
        target_host: str = "127.0.0.1",
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        timeout: float = 10.0,
        record: bool = False,
    ) -> None:
        self._target_host = target_host
        self._target_port = target_port
        self._listen_host = listen_host
        self._listen_port = listen_port
        self._timeout = timeout
        self._proxy = FaultProxy(record=record)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def port(self) -> int:
        return self._proxy.port

    @property
    def url(self) -> str:
        return self._proxy.url

    @property
    def connections(self) -> int:
        return self._proxy.connections

    @property
    def streams(self) -> list[tuple[bytes, bytes]]:
        """A copy of every connection's recorded (up, down) bytes so far (record=True)."""
        if self._proxy.streams is None:
            raise RuntimeError("this proxy was not started with record=True")
        return self._call(self._copy_streams)

    async def _copy_streams(self) -> list[tuple[bytes, bytes]]:
        return [(bytes(up), bytes(down)) for up, down in self._proxy.streams or []]

    @property
    def bytes_up(self) -> int:
        return self._proxy.bytes_up

    @property
    def bytes_down(self) -> int:
        return self._proxy.bytes_down

    def start(
        self,
        target_host: str,
        target_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> int:
        if self._thread is not None:
            raise RuntimeError("a ThreadedFaultProxy starts once")
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run_loop, args=(ready,), name="fault-proxy", daemon=True
        )
        self._thread.start()
        ready.wait()
        try:
            return self._call(self._proxy.start, target_host, target_port, listen_host, listen_port)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._loop is None or self._stop is None or self._thread is None:
            return
        try:
            self._call(self._proxy.close)
        finally:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join()
            self._loop = None

    def __enter__(self) -> Self:
        if self._target_port is None:
            raise TypeError("`with` needs ThreadedFaultProxy(target_port)")
        self.start(self._target_host, self._target_port, self._listen_host, self._listen_port)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def pass_through(self) -> None:
        self._call(self._proxy.pass_through)

    def drop(self) -> None:
        self._call(self._proxy.drop)

    def refuse(self) -> None:
        self._call(self._proxy.refuse)

    def blackhole(self) -> None:
        self._call(self._proxy.blackhole)

    def delay(self, seconds: float) -> None:
        self._call(self._proxy.delay, seconds)

    def cut(self) -> None:
        self._call(self._proxy.cut)

    def _run_loop(self, ready: threading.Event) -> None:
        async def serve_until_stopped() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            ready.set()
            await self._stop.wait()

        # asyncio.run cancels and awaits anything left over, then closes the loop.
        asyncio.run(serve_until_stopped())

    def _call(
        self,
        method: Callable[_P, Coroutine[Any, Any, _T]],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        if self._loop is None:
            raise RuntimeError("ThreadedFaultProxy is not running")
        future = asyncio.run_coroutine_threadsafe(method(*args, **kwargs), self._loop)
        try:
            return future.result(self._timeout)
        except TimeoutError:
            future.cancel()
            raise
