"""Crashes, outages, forks and partitions, against real node processes.

Each test drives `hubnet run` processes (tests.integration.network.Hub) and
checks what an organiser would see: `hubnet peer list`, `hubnet log`,
`hubnet forks`, the federation API, and what other hubs end up holding.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from crypto.ed25519 import SigningKey
from crypto.errors import RequestSignatureError
from crypto.httpsig import verify_request
from crypto.nodeid import node_id_from_public_key
from node.federation.invites import parse_invite
from protocol import federation as wire
from protocol.envelope import Message, decode_envelope, parse_payload
from tests.faults.hostile import PREFIX, Client, admit, announcement, joined, node_ids
from tests.faults.proxy import ThreadedFaultProxy
from tests.helpers import chain, key_from, wires
from tests.integration.network import Hub, found_network, free_port, start_hubs, wait_for

# Longer than the node's request timeout in network.FAST (3 s).
HANG_SECONDS = 4.5


# -- a peer played by the test ---------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One push the fake peer received, and how it answered: ok, error (500) or hang."""

    envelopes: list[bytes]
    answer: str


class FakePeer:
    """A peer node played by the test: an aiohttp server on loopback in its own thread.

    It checks every request's signature, answers pushes as `mode` says ("ok",
    "error": HTTP 500, "hang": no answer before the node gives up) and records
    every push. Its heads are empty, so the node's puller has nothing to fetch.
    """

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.node_id = node_id_from_public_key(key.public_key)
        self.mode = "ok"
        self.attempts: list[Attempt] = []
        self.bad_requests: list[str] = []
        self.senders: set[str] = set()
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._release: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- running --------------------------------------------------------------------

    def start(self) -> FakePeer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake peer did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(15)
            self._loop = None

    def _run(self, ready: threading.Event) -> None:
        async def serve() -> None:
            app = web.Application(client_max_size=wire.MAX_BODY_BYTES)
            app.router.add_post(f"{PREFIX}/messages", self._push)
            app.router.add_get(f"{PREFIX}/heads", self._heads)
            app.router.add_get(f"{PREFIX}/log/{{origin}}", self._log)
            runner = web.AppRunner(app, shutdown_timeout=1)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = runner.addresses[0][1]
            self._stop, self._release = asyncio.Event(), asyncio.Event()
            self._loop = asyncio.get_running_loop()
            ready.set()
            try:
                await self._stop.wait()
            finally:
                self._release.set()  # let hanging answers end
                await runner.cleanup()

        asyncio.run(serve())

    # -- the federation API ---------------------------------------------------------

    async def _verified(self, request: web.Request) -> bytes | None:
        body = await request.read()
        try:
            signed = verify_request(
                request.method, request.raw_path, request.headers, body, int(time.time()), 60
            )
        except RequestSignatureError as exc:
            with self._lock:
                self.bad_requests.append(f"{request.method} {request.raw_path}: {exc}")
            return None
        with self._lock:
            self.senders.add(signed.key_id)
        return body

    async def _push(self, request: web.Request) -> web.Response:
        body = await self._verified(request)
        if body is None:
            return web.Response(status=401, body=wire.encode_error("invalid: bad signature"))
        envelopes = wire.decode_push(body)
        with self._lock:
            mode = self.mode
            self.attempts.append(Attempt(envelopes, mode))
        if mode == "hang":
            assert self._release is not None
            # The node gives up after its request timeout; the answer comes too late.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), HANG_SECONDS)
        if mode in ("error", "hang"):
            error = wire.encode_error("unavailable: the fake peer is down")
            return web.Response(status=500, body=error)
        stored = [wire.PushResult("stored")] * len(envelopes)
        return web.Response(body=wire.encode_push_results(stored))

    async def _heads(self, request: web.Request) -> web.Response:
        if await self._verified(request) is None:
            return web.Response(status=401, body=wire.encode_error("invalid: bad signature"))
        return web.Response(body=wire.encode_heads_page([], more=False))

    async def _log(self, request: web.Request) -> web.Response:
        if await self._verified(request) is None:
            return web.Response(status=401, body=wire.encode_error("invalid: bad signature"))
        return web.Response(body=wire.encode_log_page([], more=False))

    # -- what the test reads --------------------------------------------------------

    def count(self, answer: str) -> int:
        with self._lock:
            return sum(1 for a in self.attempts if a.answer == answer)

    def delivered(self) -> list[bytes]:
        """Envelopes of every push it answered with success, in order of arrival."""
        with self._lock:
            return [e for a in self.attempts if a.answer == "ok" for e in a.envelopes]

    def peer_with(self, hub: Hub) -> None:
        """Accept an invite from `hub`: the handshake `hubnet peer add` would make."""
        invite = parse_invite(hub.peer_cli("invite", "--no-qr").splitlines()[0])
        body = wire.encode_peering(invite.token, self.url, "Fake")
        reply = Client(hub.url, self.key).signed("POST", f"{PREFIX}/peering", body)
        assert reply.status == 200, str(reply)
        assert wire.decode_card(reply.body).node_id == hub.node_id


# -- helpers -----------------------------------------------------------------------------


def peer_row(hub: Hub, node_id: str) -> dict[str, str]:
    """`hubnet peer list`'s row for one peer, by column name."""
    lines = hub.peer_cli("list").splitlines()
    names = ["id", "name", "url", "state", "contact", "outbox", "error"]
    for line in lines[1:]:
        if line.startswith(node_id):
            # Columns are padded with at least two spaces; "3s ago" has one.
            cells = [c for c in line.split("  ") if c.strip()]
            return dict(zip(names, [c.strip() for c in cells] + [""], strict=False))
    raise AssertionError(f"{node_id} is not in {hub.name}'s peer list:\n" + "\n".join(lines))


def query(hub: Hub, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read a hub's database without writing to it (the node may be running)."""
    path = hub.data_dir / "hubnet.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql, args).fetchall())
    finally:
        conn.close()


def origin_of(key: SigningKey) -> str:
    return node_id_from_public_key(key.public_key)


def descendants(pid: int) -> set[int]:
    """Every process `pid` started, and those they started (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> str | None:
    """The command line of a live (not zombie) process, or None."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return None
    # An empty command line means a process already tearing down (its memory is
    # gone), or a kernel thread that took over a freed pid: neither is a leftover.
    text = command.decode(errors="replace").strip()
    return None if state in ("Z", "X") or not text else text


def leftovers(pids: set[int], grace: float) -> list[str]:
    """Those of `pids` still running after `grace` seconds; they are killed (by pid)."""
    deadline = time.monotonic() + grace
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    found = []
    for pid in sorted(pids):
        command = _running(pid)
        if command is not None:
            found.append(f"{pid}: {command}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return found


def opened(envelope: bytes) -> Message:
    return parse_payload(*decode_envelope(envelope))


def proxy(target_port: int, listen_port: int = 0) -> ThreadedFaultProxy:
    fault_proxy = ThreadedFaultProxy()
    fault_proxy.start("127.0.0.1", target_port, listen_port=listen_port)
    return fault_proxy


def isolate(*proxies: ThreadedFaultProxy) -> None:
    """New connections refused, and the pooled keep-alive ones reset."""
    for fault_proxy in proxies:
        fault_proxy.refuse()
        fault_proxy.cut()


@pytest.fixture
def cleanup() -> Iterator[list[Any]]:
    """Things with a stop() or close(), stopped after the test whatever happened."""
    things: list[Any] = []
    yield things
    errors: list[Exception] = []
    for thing in reversed(things):
        try:
            (getattr(thing, "stop", None) or thing.close)()
        except Exception as exc:  # stop the rest anyway; report the first failure
            errors.append(exc)
    if errors:
        raise errors[0]


# -- (1) a peer that fails for a while --------------------------------------------------


def test_peer_failing_for_a_while_gets_every_message_once_in_order(
    tmp_path: Path, cleanup: list[Any]
) -> None:
    hub = Hub(tmp_path, "Riverside")
    found_network([hub])  # a hub relays only its network's members' messages, its own too
    hub.start()
    cleanup.append(hub)
    fake = FakePeer(key_from(41)).start()
    cleanup.append(fake)
    fake.mode = "error"
    fake.peer_with(hub)
    texts = [f"news {i}" for i in range(30)]
    hub.announce_many(texts)

    wait_for("three failed deliveries", lambda: fake.count("error") >= 3)
    row = peer_row(hub, fake.node_id)
    assert row["state"] == "failing", row
    assert "HTTP 500" in row["error"], row

    fake.mode = "hang"
    # During the second hang the first one has timed out and been recorded.
    wait_for("two deliveries that hang", lambda: fake.count("hang") >= 2, timeout=15)
    row = peer_row(hub, fake.node_id)
    assert row["state"] == "failing", row
    assert "Timeout" in row["error"], row
    assert row["outbox"] == "30", row

    fake.mode = "ok"
    wait_for("every message to be delivered", lambda: len(fake.delivered()) >= 30, timeout=15)
    wait_for("the outbox to drain", lambda: peer_row(hub, fake.node_id)["outbox"] == "0")

    delivered = [opened(e) for e in fake.delivered()]
    assert [m.origin for m in delivered] == [hub.node_id] * 30
    # Seq 1 is the hub's profile, seq 2 its founding statement.
    assert [m.seq for m in delivered] == list(range(3, 33))
    assert [m.body.text for m in delivered] == texts
    # Anything sent more than once was in a push that failed.
    failed = {e for a in fake.attempts if a.answer != "ok" for e in a.envelopes}
    assert failed <= set(fake.delivered())
    assert fake.bad_requests == [] and fake.senders == {hub.node_id}
    row = peer_row(hub, fake.node_id)
    assert row["state"] == "ok" and row["error"] == "", row


# -- (2) SIGKILL while a peer pushes ---------------------------------------------------


BATCH = 200
BATCHES = 16


def test_node_killed_mid_ingest_keeps_every_acknowledged_batch(
    tmp_path: Path, cleanup: list[Any]
) -> None:
    key = key_from(42)
    origin = node_id_from_public_key(key.public_key)
    riverside, northgate = start_hubs(
        tmp_path, ("Riverside", None), ("Northgate", None), founders=node_ids([key])
    )
    cleanup += [riverside, northgate]
    # The pusher is a founder of the network, and peers with both hubs (only peers
    # may push): its announcements follow its statement.
    [found] = admit([riverside, northgate], [key])
    messages = [found, *chain(key, BATCH * BATCHES - 1, start=2, prev=found.id)]
    batches = [wires(messages[i : i + BATCH]) for i in range(0, len(messages), BATCH)]
    readers = [joined(riverside, key_from(43)), joined(riverside, key_from(44))]
    # Northgate holds the whole chain, to fill in what Riverside lost.
    to_northgate = Client(northgate.url, key)
    for index, batch in enumerate(batches):
        reply = to_northgate.push(batch)
        expected = ["stored"] * len(batch)
        if index == 0:
            expected[0] = "duplicate"  # the statement, held since admit
        assert [r.status for r in reply.results] == expected, str(reply)

    acknowledged: list[int] = []
    seconds: list[float] = []  # how long each acknowledged push took
    enough = threading.Event()
    stop = threading.Event()

    def push_all() -> None:
        client = Client(riverside.url, key, timeout=10)
        for index, batch in enumerate(batches):
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                reply = client.push(batch)
            except (OSError, http.client.HTTPException):
                continue  # killed mid-request, or not listening any more
            statuses = {r.status for r in reply.results} if reply.status == 200 else set()
            if statuses and statuses <= {"stored", "duplicate"}:
                seconds.append(time.monotonic() - started)
                acknowledged.append(index)
                if len(acknowledged) == 3:
                    enough.set()

    pusher = threading.Thread(target=push_all, daemon=True)
    pusher.start()
    assert enough.wait(30), "no three batches were acknowledged"
    # The next push is on its way: kill the node halfway through a typical one.
    time.sleep(sum(seconds) / len(seconds) / 2)
    assert riverside.process is not None
    node = riverside.process.proc
    spawned = descendants(node.pid)  # e.g. worker processes that check signatures
    node.send_signal(signal.SIGKILL)
    node.wait(10)
    stop.set()
    pusher.join(30)
    assert len(acknowledged) < BATCHES, "the kill came too late to interrupt anything"
    # What an organiser's `ps` shows after the crash: nothing the node started lives on.
    orphans = leftovers(spawned, grace=3)
    riverside.stop()  # collects its output, which orphans would hold open

    riverside.start()  # opening the database runs SQLite's quick_check
    assert riverside.health()["status"] == "ok"
    assert query(riverside, "PRAGMA integrity_check") == [("ok",)]
    held = readers[0].log(origin)
    for index in acknowledged:
        assert set(batches[index]) <= set(held), f"acknowledged batch {index} was lost"
    # What survived is the start of the chain, byte for byte: nothing torn or reordered.
    assert held == wires(messages[: len(held)])

    northgate.peer_with(riverside)
    total = len(messages) + 4  # and both hubs' profiles and founding statements
    wait_for(
        "Riverside to pull the rest from Northgate",
        lambda: riverside.health()["messages"] >= total,
    )
    assert readers[1].log(origin) == wires(messages)
    assert orphans == [], f"processes started by the killed node were still running: {orphans}"


# -- (3) a fork --------------------------------------------------------------------------


def test_fork_is_kept_as_evidence_and_no_longer_relayed(tmp_path: Path, cleanup: list[Any]) -> None:
    # A - B - C in a line. B reaches C, and C reaches B, only through proxies, so
    # the test decides when each version of seq 2 reaches B.
    c_port = free_port()
    key, sentinel_key = key_from(51), key_from(53)
    a, b, c = start_hubs(
        tmp_path,
        ("Riverside", None),
        ("Northgate", None),
        ("Hillfield", f"http://127.0.0.1:{c_port}"),
        founders=node_ids([key, sentinel_key]),
    )
    cleanup += [a, b, c]
    # The forking origin and the sentinel are founders of the network, admitted
    # everywhere before the hubs peer: their statements are relayed to no one.
    found, sentinel_found = admit([a, b, c], [key, sentinel_key])
    to_c = proxy(c.port, listen_port=c_port)
    cleanup.append(to_c)
    to_b = proxy(b.port)
    cleanup.append(to_b)
    # A fourth peer of B, played by the test, sees everything B relays.
    observer = FakePeer(key_from(52)).start()
    cleanup.append(observer)
    observer.peer_with(b)
    b.peer_with(a)
    c.peer_through(b, to_b.url)

    origin = node_id_from_public_key(key.public_key)
    # Seq 1 is the origin's founding statement; the fork is at seq 3.
    seq2 = announcement(key, 2, found.id, "fork: seq 2")
    version_a = announcement(key, 3, seq2.id, "fork: the version A got")
    version_c = announcement(key, 3, seq2.id, "fork: the version C got")
    seq4 = announcement(key, 4, version_a.id, "fork: after the version A got")

    # The origin and the sentinel peered with every hub in admit (only peers may push).
    to_a, to_c_direct = Client(a.url, key), Client(c.url, key)
    sentinel_to_a, looker = Client(a.url, sentinel_key), joined(b, key_from(54))
    isolate(to_b, to_c)
    reply = to_a.push([seq2.wire, version_a.wire])
    assert [r.status for r in reply.results] == ["stored", "stored"], str(reply)
    wait_for(
        "Northgate to hold A's version",
        lambda: query(b, "SELECT head_seq FROM origins WHERE origin = ?", origin) == [(3,)],
    )
    reply = to_c_direct.push([seq2.wire, version_c.wire])
    assert [r.status for r in reply.results] == ["stored", "stored"], str(reply)
    to_b.pass_through()  # C delivers its version to B
    wait_for(
        "Northgate to record the fork",
        lambda: bool(query(b, "SELECT 1 FROM origins WHERE forked_at IS NOT NULL")),
    )
    to_c.pass_through()

    # The organiser sees the fork, and both messages are kept as evidence.
    forks = b.cli("forks")
    assert origin in forks
    assert version_a.id.hex()[:16] in forks and version_c.id.hex()[:16] in forks
    assert query(b, "SELECT origin FROM origins WHERE forked_at IS NOT NULL") == [(origin,)]
    assert query(b, "SELECT id FROM messages WHERE origin = ? AND seq = 3", origin) == [
        (version_a.id,)
    ]
    assert query(b, "SELECT id, seq, other_id FROM forks") == [(version_c.id, 3, version_a.id)]
    # B no longer offers the origin to anyone who pulls.
    assert origin not in looker.get_heads()
    reply = looker.signed("GET", f"{PREFIX}/log/{origin}")
    assert reply.status == 409 and reply.error.startswith("forked: "), str(reply)

    # A later message of A's version goes A -> B, and stops there.
    reply = to_a.push([seq4.wire])
    assert [r.status for r in reply.results] == ["stored"], str(reply)
    sentinel = announcement(sentinel_key, 2, sentinel_found.id, "after the fork")
    reply = sentinel_to_a.push([sentinel.wire])
    assert [r.status for r in reply.results] == ["stored"], str(reply)
    # A relays in order, so once B's peers have the sentinel B has had seq 4 too.
    wait_for("the observer to get the sentinel", lambda: sentinel.wire in observer.delivered())
    wait_for(
        "Hillfield to get the sentinel",
        lambda: bool(query(c, "SELECT 1 FROM messages WHERE id = ?", sentinel.id)),
    )
    relayed = [opened(e) for e in observer.delivered()]
    assert [m.id for m in relayed if m.origin == origin] == [seq2.id, version_a.id]
    assert query(c, "SELECT id FROM messages WHERE origin = ? ORDER BY seq", origin) == [
        (found.id,),
        (seq2.id,),
        (version_c.id,),
    ]
    assert query(c, "SELECT count(*) FROM held WHERE origin = ?", origin) == [(0,)]
    # A never met C's version itself, but B published a fork.proof (PROTOCOL.md
    # §6.1): A fetched both messages from B, checked them, and holds the fork too.
    wait_for("Riverside to check Northgate's proof", lambda: origin in a.cli("forks"))
    assert version_c.id.hex()[:16] in a.cli("forks")
    assert query(a, "SELECT id FROM messages WHERE origin = ? AND seq = 3", origin) == [
        (version_a.id,)
    ]


# -- (4) a partition ---------------------------------------------------------------------


def test_partitioned_hubs_converge_when_the_link_heals(tmp_path: Path, cleanup: list[Any]) -> None:
    ports = free_port(), free_port()
    a, b = start_hubs(
        tmp_path,
        ("Riverside", f"http://127.0.0.1:{ports[0]}"),
        ("Northgate", f"http://127.0.0.1:{ports[1]}"),
    )
    cleanup += [a, b]
    to_a = proxy(a.port, listen_port=ports[0])
    cleanup.append(to_a)
    to_b = proxy(b.port, listen_port=ports[1])
    cleanup.append(to_b)
    b.peer_with(a)

    def counts() -> tuple[int, int]:
        return a.health()["messages"], b.health()["messages"]

    # Each holds both hubs' profiles and founding statements.
    wait_for("the hubs to swap profiles", lambda: counts() == (4, 4))

    isolate(to_a, to_b)
    a_texts = [f"Riverside news {i}" for i in range(10)]
    b_texts = [f"Northgate news {i}" for i in range(10)]
    a.announce_many(a_texts)
    b.announce_many(b_texts)
    wait_for(
        "each to find the other unreachable",
        lambda: peer_row(a, b.node_id)["state"] == peer_row(b, a.node_id)["state"] == "failing",
    )
    assert counts() == (14, 14), "news crossed the partition"

    to_a.pass_through()
    to_b.pass_through()
    wait_for("the hubs to converge", lambda: counts() == (24, 24))
    assert sorted(a.texts()) == sorted(b.texts()) == sorted(a_texts + b_texts)
    heads_a = joined(a, key_from(61)).get_heads()
    heads_b = joined(b, key_from(61)).get_heads()
    assert heads_a == heads_b
    assert heads_a[a.node_id][0] == heads_a[b.node_id][0] == 12
    wait_for(
        "both outboxes to drain",
        lambda: peer_row(a, b.node_id)["outbox"] == peer_row(b, a.node_id)["outbox"] == "0",
    )


# -- (5) a backlog of long messages ------------------------------------------------------


def test_backlog_of_long_messages_is_pushed_when_a_peer_returns(
    tmp_path: Path, cleanup: list[Any]
) -> None:
    # 150 announcements of 7,900 characters queue up while Northgate is cut off:
    # one batch of about 1.2 MiB, far below the 8 MiB a body may hold (PROTOCOL.md §9).
    port = free_port()
    a, b = start_hubs(
        tmp_path,
        ("Riverside", None),
        ("Northgate", f"http://127.0.0.1:{port}"),
        founders=node_ids([key_from(71)]),
    )
    cleanup += [a, b]
    to_b = proxy(b.port, listen_port=port)
    cleanup.append(to_b)
    b.peer_with(a)
    wait_for(
        "the hubs to swap profiles",
        lambda: (a.health()["messages"], b.health()["messages"]) == (4, 4),
    )
    key = key_from(71)
    [found] = admit([a, b], [key])
    isolate(to_b)
    messages = chain(key, 150, start=2, prev=found.id, text="x" * 7900)
    client = Client(a.url, key)  # a peer of both since admit
    for part in (messages[:75], messages[75:]):  # each push well under 1 MiB
        reply = client.push(wires(part))
        assert {r.status for r in reply.results} == {"stored"}, str(reply)
    wait_for(
        "Riverside to find Northgate cut off", lambda: peer_row(a, b.node_id)["state"] == "failing"
    )

    to_b.pass_through()
    try:
        wait_for(
            "Riverside's backlog for Northgate to be pushed",
            lambda: peer_row(a, b.node_id)["outbox"] == "0",
            timeout=10,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; Riverside's peer list: {peer_row(a, b.node_id)}") from None
    assert peer_row(a, b.node_id)["state"] == "ok"
    assert joined(b, key_from(72)).log(origin_of(key)) == [found.wire, *wires(messages)]
