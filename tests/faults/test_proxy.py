"""FaultProxy and ThreadedFaultProxy, observed from real clients and loopback targets."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest
from aiohttp import web

from tests.faults.proxy import FaultProxy, ThreadedFaultProxy

# Long enough for a loopback answer, short enough to keep the file fast.
NO_ANSWER = 0.3


@dataclass
class HttpTarget:
    port: int
    hits: list[str] = field(default_factory=list)


@pytest.fixture
async def http_target() -> AsyncIterator[HttpTarget]:
    """aiohttp server: GET /hello answers "hello", POST /echo answers with the body."""
    target = HttpTarget(port=0)

    async def hello(request: web.Request) -> web.Response:
        target.hits.append(request.path)
        return web.Response(text="hello")

    async def echo(request: web.Request) -> web.Response:
        target.hits.append(request.path)
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.port = runner.addresses[0][1]
    yield target
    await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_tcp(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[int]:
    """A raw TCP server on a loopback port; every connection ends at teardown."""
    tasks: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handle(reader, writer)
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        tasks.add(asyncio.get_running_loop().create_task(serve(reader, writer)))

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.transport.abort()
        await asyncio.gather(*tasks)
        await server.wait_closed()


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    async with serve_tcp(echo) as port:
        yield port


@pytest.fixture
async def deaf_port() -> AsyncIterator[int]:
    """A target that accepts connections and never reads from them."""

    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await writer.wait_closed()

    async with serve_tcp(deaf) as port:
        yield port


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        yield session


@contextlib.asynccontextmanager
async def connect(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def roundtrip(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> None:
    writer.write(data)
    await writer.drain()
    assert await asyncio.wait_for(reader.readexactly(len(data)), 2) == data


async def assert_reset(reader: asyncio.StreamReader) -> None:
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(1), 2)


async def assert_no_answer(reader: asyncio.StreamReader) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), NO_ANSWER)


async def get_hello(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(f"{url}/hello") as response:
        assert response.status == 200
        return await response.text()


async def until_accepted(proxy: FaultProxy, count: int) -> None:
    """Wait until the proxy has accepted `count` connections (a connect can finish first)."""
    async with asyncio.timeout(2):
        while proxy.connections < count:
            await asyncio.sleep(0.005)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def proxy_tasks() -> list[asyncio.Task[object]]:
    return [
        t for t in asyncio.all_tasks() if "FaultProxy" in getattr(t.get_coro(), "__qualname__", "")
    ]


async def test_pass_through_forwards_requests_and_responses(
    http_target: HttpTarget, client: aiohttp.ClientSession
) -> None:
    body = bytes(range(256)) * 1024  # several chunks each way
    async with FaultProxy(http_target.port) as proxy:
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
        assert await get_hello(client, proxy.url) == "hello"
        async with client.post(f"{proxy.url}/echo", data=body) as response:
            assert await response.read() == body
        assert http_target.hits == ["/hello", "/echo"]
        assert proxy.connections >= 1
        assert proxy.bytes_up > len(body)
        assert proxy.bytes_down > len(body)


async def test_counters_count_connections_and_bytes_each_way(echo_port: int) -> None:
    async with FaultProxy(echo_port) as proxy:
        assert (proxy.connections, proxy.bytes_up, proxy.bytes_down) == (0, 0, 0)
        async with connect(proxy.port) as (reader, writer):
            await roundtrip(reader, writer, b"0123456789")
        async with connect(proxy.port) as (reader, writer):
            await roundtrip(reader, writer, b"x" * 300_000)
        assert proxy.connections == 2
        assert proxy.bytes_up == proxy.bytes_down == 300_010


async def test_drop_resets_new_connections(
    echo_port: int, http_target: HttpTarget, client: aiohttp.ClientSession
) -> None:
    async with FaultProxy(echo_port) as proxy:
        await proxy.drop()
        async with connect(proxy.port) as (reader, _):
            await assert_reset(reader)
        assert proxy.connections == 1

    async with FaultProxy(http_target.port) as proxy:
        await proxy.drop()
        with pytest.raises(aiohttp.ClientConnectionError):
            await get_hello(client, proxy.url)
        assert http_target.hits == []


async def test_refuse_refuses_connects_and_pass_through_listens_on_the_same_port(
    http_target: HttpTarget, client: aiohttp.ClientSession
) -> None:
    async with FaultProxy(http_target.port) as proxy:
        port = proxy.port
        await proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
        with pytest.raises(aiohttp.ClientConnectorError):
            await get_hello(client, proxy.url)
        assert proxy.connections == 0

        await proxy.pass_through()
        assert proxy.port == port
        assert await get_hello(client, f"http://127.0.0.1:{port}") == "hello"
        assert proxy.connections == 1


async def test_refuse_and_listening_again_keep_connections_already_open(echo_port: int) -> None:
    async with FaultProxy(echo_port) as proxy, connect(proxy.port) as (reader, writer):
        await proxy.refuse()
        await roundtrip(reader, writer, b"still here")
        # Listening again on the port works while connections accepted on it are open.
        await proxy.pass_through()
        async with connect(proxy.port) as (new_reader, new_writer):
            await roundtrip(new_reader, new_writer, b"new")
        await roundtrip(reader, writer, b"and still here")
        await proxy.cut()
        await assert_reset(reader)


async def test_a_mode_set_before_start_applies_from_the_first_connection(echo_port: int) -> None:
    proxy = FaultProxy()
    await proxy.refuse()
    port = await proxy.start("127.0.0.1", echo_port)
    try:
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
        await proxy.delay(0)
        async with connect(port) as (reader, writer):
            await roundtrip(reader, writer, b"ok")
    finally:
        await proxy.close()


async def test_blackhole_never_answers_so_the_client_times_out(
    http_target: HttpTarget, client: aiohttp.ClientSession
) -> None:
    async with FaultProxy(http_target.port) as proxy:
        await proxy.blackhole()
        with pytest.raises(TimeoutError):
            await client.get(f"{proxy.url}/hello", timeout=aiohttp.ClientTimeout(total=NO_ANSWER))
        assert proxy.bytes_up > 0  # the request was read, and discarded
        assert proxy.bytes_down == 0
        assert http_target.hits == []

        # Not even a FIN after the client half-closes.
        async with connect(proxy.port) as (reader, writer):
            writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            writer.write_eof()
            await assert_no_answer(reader)


async def test_delay_holds_each_chunk_in_both_directions(echo_port: int) -> None:
    loop = asyncio.get_running_loop()
    async with FaultProxy(echo_port) as proxy, connect(proxy.port) as (reader, writer):
        await proxy.delay(0.15)
        started = loop.time()
        await roundtrip(reader, writer, b"ping")
        assert loop.time() - started >= 0.3  # once up, once down

        # The delay is read per chunk, so leaving delay mode speeds up open connections.
        await proxy.pass_through()
        started = loop.time()
        await roundtrip(reader, writer, b"ping")
        assert loop.time() - started < 0.15


async def test_cut_resets_open_connections_and_keeps_the_mode(echo_port: int) -> None:
    async with FaultProxy(echo_port) as proxy:
        async with connect(proxy.port) as (r1, w1), connect(proxy.port) as (r2, w2):
            await roundtrip(r1, w1, b"one")
            await roundtrip(r2, w2, b"two")
            await proxy.cut()
            await assert_reset(r1)
            await assert_reset(r2)
        async with connect(proxy.port) as (reader, writer):
            await roundtrip(reader, writer, b"new connections still pass")

        await proxy.blackhole()
        async with connect(proxy.port) as (reader, writer):
            writer.write(b"into the hole")
            await until_accepted(proxy, 4)
            await proxy.cut()
            await assert_reset(reader)
        async with connect(proxy.port) as (reader, _):
            await assert_no_answer(reader)
        assert proxy.connections == 5


async def test_a_mode_applies_to_new_connections_and_cut_applies_it_to_pooled_ones(
    http_target: HttpTarget, client: aiohttp.ClientSession
) -> None:
    async with FaultProxy(http_target.port) as proxy:
        assert await get_hello(client, proxy.url) == "hello"
        await proxy.drop()
        # The client reuses its keep-alive connection, accepted before drop().
        assert await get_hello(client, proxy.url) == "hello"
        assert proxy.connections == 1
        await proxy.cut()
        with pytest.raises(aiohttp.ClientConnectionError):
            await get_hello(client, proxy.url)
        await proxy.pass_through()
        assert await get_hello(client, proxy.url) == "hello"


async def test_switching_through_every_mode_mid_test(http_target: HttpTarget) -> None:
    # A connection per request, so each request meets the mode of the moment.
    connector = aiohttp.TCPConnector(force_close=True)
    timeout = aiohttp.ClientTimeout(total=NO_ANSWER)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        FaultProxy(http_target.port) as proxy,
    ):
        assert await get_hello(session, proxy.url) == "hello"
        await proxy.blackhole()
        with pytest.raises(TimeoutError):
            await get_hello(session, proxy.url)
        await proxy.delay(0.05)
        assert await get_hello(session, proxy.url) == "hello"
        await proxy.drop()
        with pytest.raises(aiohttp.ClientConnectionError):
            await get_hello(session, proxy.url)
        await proxy.refuse()
        with pytest.raises(aiohttp.ClientConnectorError):
            await get_hello(session, proxy.url)
        await proxy.blackhole()  # any mode but refuse listens again
        with pytest.raises(TimeoutError):
            await get_hello(session, proxy.url)
        await proxy.pass_through()
        assert await get_hello(session, proxy.url) == "hello"
        assert http_target.hits == ["/hello"] * 3


async def test_a_target_that_is_down_resets_the_client() -> None:
    async with FaultProxy(free_port()) as proxy, connect(proxy.port) as (reader, _):
        await assert_reset(reader)
        assert proxy.connections == 1


async def test_a_target_that_stops_reading_stops_the_proxy_reading(deaf_port: int) -> None:
    async with FaultProxy(deaf_port) as proxy, connect(proxy.port) as (_, writer):
        sent = 0
        chunk = b"x" * 65536
        with pytest.raises(TimeoutError):  # the client's drain() blocks: backpressure
            async with asyncio.timeout(0.5):
                while sent < 64 * 1024 * 1024:
                    writer.write(chunk)
                    await writer.drain()
                    sent += len(chunk)
        stalled_at = proxy.bytes_up
        await asyncio.sleep(0.1)
        assert proxy.bytes_up == stalled_at  # the proxy stopped reading from the client
        assert stalled_at < sent
        writer.transport.abort()  # drop what the client still buffers, rather than flush it


async def test_close_cancels_every_task_and_closes_every_socket(echo_port: int) -> None:
    proxy = FaultProxy(echo_port)
    await proxy.__aenter__()
    async with connect(proxy.port) as (r1, w1), connect(proxy.port) as (r2, _):
        await roundtrip(r1, w1, b"open")
        await proxy.delay(5)
        w1.write(b"held in the delay")  # a pump now sleeps with a chunk in hand
        await proxy.blackhole()
        async with connect(proxy.port) as (r3, w3):
            w3.write(b"swallowed")
            await until_accepted(proxy, 3)
            assert len(proxy_tasks()) >= 3

            await proxy.close()
            assert proxy_tasks() == []
            for reader in (r1, r2, r3):
                await assert_reset(reader)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", proxy.port)
    await proxy.close()  # closing twice is harmless


class CutAtOnce(FaultProxy):
    """Cancels each connection's task as it is created, before it first runs: what
    cut() or close() do to a connection accepted in the same turn of the event loop."""

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super()._accept(reader, writer)
        for task in self._tasks:
            task.cancel()


async def test_a_connection_cut_before_its_task_runs_is_reset_not_leaked(echo_port: int) -> None:
    async with CutAtOnce(echo_port) as proxy, connect(proxy.port) as (reader, _):
        await assert_reset(reader)
        assert proxy.connections == 1


async def test_close_while_refusing_releases_the_port(echo_port: int) -> None:
    proxy = FaultProxy(echo_port)
    port = await proxy.start("127.0.0.1", echo_port)
    await proxy.refuse()
    await proxy.close()
    await proxy.pass_through()  # a closed proxy does not listen again
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    with pytest.raises(RuntimeError):
        await proxy.start("127.0.0.1", echo_port)


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "192.168.1.10", "8.8.8.8", "0.0.0.0", "::", "2001:db8::1", "example.com"]
)
async def test_a_non_loopback_address_is_refused(host: str) -> None:
    proxy = FaultProxy()
    with pytest.raises(ValueError, match="loopback"):
        await proxy.start(host, 8080)
    with pytest.raises(ValueError, match="loopback"):
        await proxy.start("127.0.0.1", 8080, listen_host=host)
    with pytest.raises(RuntimeError):
        proxy.port  # noqa: B018 - nothing was bound


async def test_ipv6_loopback_and_localhost_are_accepted(echo_port: int) -> None:
    async with FaultProxy(echo_port, "localhost", listen_host="::1") as proxy:
        assert proxy.url == f"http://[::1]:{proxy.port}"
        reader, writer = await asyncio.open_connection("::1", proxy.port)
        try:
            await roundtrip(reader, writer, b"v6")
        finally:
            writer.close()
            await writer.wait_closed()


@pytest.mark.parametrize("seconds", [-0.1, float("inf"), float("nan")])
async def test_delay_must_be_finite_and_not_negative(seconds: float) -> None:
    with pytest.raises(ValueError):
        await FaultProxy().delay(seconds)


# Synchronous tests: a threaded HTTP target and http.client, as a subprocess test would.


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a request the proxy resets is expected here


@pytest.fixture
def threaded_target() -> Iterator[int]:
    server = _QuietServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def sync_get(port: int, timeout: float = 2) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/hello")
        return conn.getresponse().read()
    finally:
        conn.close()


def fault_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "fault-proxy"]


def test_threaded_proxy_switches_modes_from_a_sync_test(threaded_target: int) -> None:
    with ThreadedFaultProxy(threaded_target) as proxy:
        port = proxy.port
        assert proxy.url == f"http://127.0.0.1:{port}"
        assert sync_get(port) == b"hello"

        proxy.drop()
        with pytest.raises(ConnectionResetError):
            sync_get(port)

        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            sync_get(port)
        proxy.pass_through()
        assert proxy.port == port
        assert sync_get(port) == b"hello"

        up, down = proxy.bytes_up, proxy.bytes_down
        proxy.blackhole()
        with pytest.raises(TimeoutError):
            sync_get(port, timeout=NO_ANSWER)
        assert proxy.bytes_up > up  # the request went in...
        assert proxy.bytes_down == down  # ...and nothing came out

        proxy.delay(0.1)
        started = time.monotonic()
        assert sync_get(port) == b"hello"
        assert time.monotonic() - started >= 0.2

        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            deadline = time.monotonic() + 2
            while proxy.connections < 6 and time.monotonic() < deadline:
                time.sleep(0.005)
            proxy.cut()  # resets the connection, though it has said nothing yet
            with pytest.raises(ConnectionResetError):
                sock.recv(1)
        proxy.pass_through()
        assert sync_get(port) == b"hello"

        assert proxy.connections == 7
    assert fault_threads() == []
    proxy.close()  # closing twice is harmless


def test_threaded_proxy_refuses_a_non_loopback_target_and_stops_its_thread() -> None:
    proxy = ThreadedFaultProxy()
    with pytest.raises(ValueError, match="loopback"):
        proxy.start("192.0.2.1", 80)
    assert fault_threads() == []
    with pytest.raises(RuntimeError):
        proxy.drop()
