"""Attacks on a real `hubnet run` process: its memory stays bounded and it stays responsive.

Each test runs one attack against a node on loopback while a watcher samples the
node process's resident memory (VmRSS in /proc/PID/status) and times `/healthz`
the whole time. Each asserts the node's RSS stays under 150 MB and that every
`/healthz` answers within a second, and reports its figures (`make faults`
prints them). `make test` runs a small version; SOAK=full the full one.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from crypto.ed25519 import SigningKey
from protocol import federation as wire
from tests.faults import scale
from tests.faults.hostile import MESSAGES, PREFIX, Client
from tests.faults.watch import Watch
from tests.integration.network import Hub

MiB = 1024 * 1024
SLOW_BODIES = int(scale._count("SLOW_BODIES", 60, 24))
FRESH_KEYS = int(scale._count("FRESH_KEYS", 2000, 150))
HOLD_SECONDS = scale._count("ATTACK_SECONDS", 20.0, 3.0)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = Hub(tmp_path, "Target")
    yield hub
    hub.stop()


# -- slow bodies -------------------------------------------------------------------


def _slow_body(hub: Hub, headers: dict[str, str], declared: int, sent: int) -> str:
    """Send a POST declaring `declared` bytes, send `sent` of them, never the rest.

    Returns the status line the node answered with (or how the connection ended).
    """
    sock = socket.create_connection(("127.0.0.1", hub.port), timeout=30)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(
            f"POST {MESSAGES} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/msgpack"
            f"\r\nContent-Length: {declared}\r\n{head}\r\n".encode()
        )
        piece = b"\x00" * (256 * 1024)
        try:
            for _ in range(sent // len(piece)):
                sock.sendall(piece)
        except OSError as exc:  # the node closed the connection: it will not read it
            return f"closed while sending ({type(exc).__name__})"
        sock.settimeout(HOLD_SECONDS + 15)
        try:
            answer = sock.recv(200)
        except OSError as exc:
            return f"no answer ({type(exc).__name__})"
        return answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
    finally:
        sock.close()


@pytest.mark.timeout(scale.TIMEOUT)
def test_slow_bodies_of_strangers_are_never_read(hub: Hub) -> None:
    hub.start()
    declared = wire.MAX_BODY_BYTES - 1
    started = time.monotonic()
    stranger = Client(hub.url, SigningKey.generate())
    bodies = [
        # Half unsigned, half signed by a stranger (over a body they never finish).
        {} if i % 2 == 0 else stranger.sign("POST", MESSAGES, b"\x00" * declared)
        for i in range(2)
    ]
    with Watch(hub) as watch, ThreadPoolExecutor(SLOW_BODIES) as pool:
        answers = list(
            pool.map(
                lambda i: _slow_body(hub, bodies[i % 2], declared, declared - 256 * 1024),
                range(SLOW_BODIES),
            )
        )
        time.sleep(HOLD_SECONDS)
    watch.check()
    # Each was refused from its headers alone: 401 (unsigned) or 403 (stranger),
    # or the node closed the connection without reading what was sent.
    assert all(a.startswith(("HTTP/1.1 401", "HTTP/1.1 403", "closed")) for a in answers), sorted(
        set(answers)
    )
    scale.report(
        "attack: slow 8 MiB bodies",
        started,
        connections=SLOW_BODIES,
        **watch.figures(),
    )


def test_a_body_that_never_arrives_is_given_up_after_the_read_timeout(hub: Hub) -> None:
    """A peer-signed request gets its body read, but only for 10 s; then the connection closes."""
    hub.start()
    key = SigningKey.generate()
    client = Client(hub.url, key)
    _peer_as(key, hub)
    body = wire.encode_push([])
    headers = client.sign("POST", MESSAGES, body)
    sock = socket.create_connection(("127.0.0.1", hub.port), timeout=30)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(
            f"POST {MESSAGES} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/msgpack"
            f"\r\nContent-Length: {len(body) + 1000}\r\n{head}\r\n".encode()
            + body
        )
        started = time.monotonic()
        answer = sock.recv(4096)
        waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"invalid: the body did not arrive" in answer
        assert 9 <= waited <= 14, waited
        assert sock.recv(4096) == b"", "the connection was left open"
    finally:
        sock.close()


def _peer_as(key: SigningKey, hub: Hub, our_url: str = "http://127.0.0.1:9") -> None:
    from node.federation.invites import parse_invite

    invite = parse_invite(hub.peer_cli("invite", "--no-qr").splitlines()[0])
    body = wire.encode_peering(invite.token, our_url, "Attacker")
    reply = Client(hub.url, key).signed("POST", f"{PREFIX}/peering", body)
    assert reply.status == 200, str(reply)


# -- idle connections ----------------------------------------------------------------


@pytest.mark.timeout(scale.TIMEOUT)
class EndlessPeer(socketserver.ThreadingTCPServer):
    """An HTTP server that answers every request 200 and streams zeros until hung up on."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Endless)
        self.paths: list[str] = []
        self.sent = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Endless(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = self.server
        assert isinstance(server, EndlessPeer)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        server.paths.append(data.split(b" ", 2)[1].decode(errors="replace"))
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/msgpack\r\n\r\n")
        piece = b"\x00" * (64 * 1024)
        try:
            while True:
                self.request.sendall(piece)
                server.sent += len(piece)
        except OSError:
            return


@pytest.mark.timeout(scale.TIMEOUT)
def test_endless_answers_from_a_peer_end_with_memory_bounded(hub: Hub) -> None:
    endless = EndlessPeer()
    try:
        hub.start()
        started = time.monotonic()
        with Watch(hub) as watch:
            _peer_as(SigningKey.generate(), hub, endless.url)
            # The node pulls at once on peering, then every 2 s (FAST's pull_interval).
            deadline = time.monotonic() + max(HOLD_SECONDS, 6)
            while time.monotonic() < deadline:
                time.sleep(0.5)
        watch.check()
        assert any("/heads" in path for path in endless.paths), endless.paths
        scale.report(
            "attack: endless answers",
            started,
            requests=len(endless.paths),
            mib_streamed=round(endless.sent / MiB),
            **watch.figures(),
        )
    finally:
        endless.shutdown()
        endless.server_close()


@pytest.mark.timeout(scale.TIMEOUT)
def test_a_flood_of_fresh_stranger_keys_stores_nothing(hub: Hub) -> None:
    hub.start()
    database = hub.data_dir / "hubnet.db"
    size_before = database.stat().st_size
    started = time.monotonic()
    # One large push body, signed anew by each fresh key.
    body = wire.encode_push([b"\x00" * 60_000] * 100)

    def attack(_: int) -> str:
        client = Client(hub.url, SigningKey.generate())
        push = client.signed("POST", MESSAGES, body)
        peering = client.signed(
            "POST", f"{PREFIX}/peering", wire.encode_peering("wrong", "http://127.0.0.1:9", "X")
        )
        return f"{push.status} {push.error.split(':')[0]} / {peering.status}"

    with Watch(hub) as watch, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attack, range(FRESH_KEYS)))
    watch.check()
    assert {a.split(" / ")[0] for a in answers} == {"403 not-peer"}, set(answers)
    assert {a.split(" / ")[1] for a in answers} <= {"403", "429"}, set(answers)
    grown = database.stat().st_size - size_before
    assert grown < 1 * MiB, f"the database grew by {grown} bytes"
    scale.report(
        "attack: fresh stranger keys",
        started,
        keys=FRESH_KEYS,
        mib_offered=round(FRESH_KEYS * len(body) / MiB),
        db_growth_kib=grown // 1024,
        **watch.figures(),
    )
