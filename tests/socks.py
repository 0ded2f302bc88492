"""A small real SOCKS5 proxy for tests: Tor's SocksPort as a node sees it, on loopback.

It speaks RFC 1928 (no authentication, CONNECT only) and stands in for Tor: a name
in `routes` (an onion address and port) is connected to the loopback port it maps
to, and anything else is refused as Tor refuses an onion service it cannot find
(reply 4, host unreachable). Every request is recorded as asked (`asked`: the
address type and the name or address), so a test shows the node handed the proxy
the name itself (socks5h) and looked nothing up.

It runs on its own thread and event loop, so tests driving `hubnet` processes with
blocking calls can use it as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import struct
import threading
from dataclasses import dataclass, field

VERSION = 5
NO_AUTH = 0
CONNECT = 1
ATYP_IPV4, ATYP_NAME, ATYP_IPV6 = 1, 3, 4
SUCCEEDED, HOST_UNREACHABLE, COMMAND_NOT_SUPPORTED, ATYP_NOT_SUPPORTED = 0, 4, 7, 8


@dataclass(frozen=True)
class Asked:
    kind: str  # "name", "ipv4" or "ipv6"
    host: str
    port: int


@dataclass
class SocksDouble:
    routes: dict[tuple[str, int], int] = field(default_factory=dict)  # (host, port) → port
    asked: list[Asked] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.Server | None = None

    def start(self) -> SocksDouble:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="socks-double", daemon=True)
        self._thread.start()
        assert ready.wait(10), "the SOCKS double did not start"
        return self

    @property
    def url(self) -> str:
        return f"socks5h://127.0.0.1:{self.port}"

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def close() -> None:
            assert self._server is not None
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._relay(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, methods = await reader.readexactly(2)
        offered = await reader.readexactly(methods)
        if version != VERSION or NO_AUTH not in offered:
            writer.write(bytes([VERSION, 0xFF]))  # no acceptable method
            return
        writer.write(bytes([VERSION, NO_AUTH]))
        _, command, _, atyp = await reader.readexactly(4)
        if atyp == ATYP_NAME:
            length = (await reader.readexactly(1))[0]
            host, kind = (await reader.readexactly(length)).decode("ascii"), "name"
        elif atyp == ATYP_IPV4:
            host, kind = str(ipaddress.IPv4Address(await reader.readexactly(4))), "ipv4"
        elif atyp == ATYP_IPV6:
            host, kind = str(ipaddress.IPv6Address(await reader.readexactly(16))), "ipv6"
        else:
            writer.write(_reply(ATYP_NOT_SUPPORTED))
            return
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        self.asked.append(Asked(kind, host, port))
        if command != CONNECT:
            writer.write(_reply(COMMAND_NOT_SUPPORTED))
            return
        target = self.routes.get((host, port))
        if target is None:
            writer.write(_reply(HOST_UNREACHABLE))
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.write(_reply(HOST_UNREACHABLE))
            return
        writer.write(_reply(SUCCEEDED))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()


def _reply(code: int) -> bytes:
    # Bound address 0.0.0.0:0: Tor's replies carry no useful one either.
    return bytes([VERSION, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0])


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(64 * 1024):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError, RuntimeError):
        writer.write_eof()
