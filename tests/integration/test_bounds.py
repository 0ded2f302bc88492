"""Who may push, and how much: strangers, peers' budgets, paged heads. Real nodes in process.

Each hub is the real app (create_app) served on a loopback port by aiohttp's
test server, with a clock the test moves, shared by every node and client here
so that signatures, budgets and back-off agree on the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node import config as settings
from node.appkeys import FEDERATION, NODE
from node.errors import ConfigError, NodeError
from node.federation.client import (
    FederationClient,
    PeerRateLimited,
    PeerRefused,
    PeerUnreachable,
)
from node.federation.invites import Invite, parse_invite
from node.federation.peering import accept_invite
from node.federation.service import Federation
from node.network.actions import NetworkActions, founding_statement
from node.node import Node
from node.setup import init_data_dir
from node.store.outcomes import Status
from protocol import federation as wire
from protocol.envelope import Message, create_message
from protocol.errors import MalformedPayload
from protocol.kinds.hub import Announcement, HubProfile
from protocol.kinds.network import network_id
from tests.helpers import T0, ManualClock, PeakMemory, chain, key_from, wires
from tests.integration.network import free_port
from web.app import create_app

FAST = {"HUBNET_ARGON2_MEMORY_KIB": "19456", "HUBNET_ARGON2_TIME_COST": "2"}

# The network these hubs belong to (PROTOCOL.md §14): test keys 30–99 are its founders,
# so a key's log that starts with its signature on the statement (`member_chain`) is a
# member's, stored and relayed; the hubs themselves have asked to join. Budgets and
# pages are what these tests are about, with the membership rules in force.
STATEMENT = founding_statement(
    "Bounds test network", [node_id_from_public_key(key_from(n).public_key) for n in range(30, 100)]
)


def member_chain(key: SigningKey, count: int, **body: str) -> list[Message]:
    """`key`'s signature on STATEMENT at seq 1, then `count` announcements."""
    found = create_message(key, "network.found", STATEMENT, 1, None, T0)
    return [found, *chain(key, count, start=2, prev=found.id, **body)]


class Hub:
    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.url = str(server.make_url("")).rstrip("/")

    @property
    def node(self) -> Node:
        return self.server.app[NODE]

    @property
    def federation(self) -> Federation:
        return self.server.app[FEDERATION]


Make = Callable[..., Awaitable[Hub]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def make_hub(
    tmp_path: Path,
    clock: ManualClock,
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    monkeypatch: pytest.MonkeyPatch,
) -> Make:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    # `hubnet init` signs the hub's profile with the real time: start the clock there,
    # or peers would refuse that profile as from the future.
    clock.now_ms = int(time.time() * 1000)

    async def make(name: str, **env: str) -> Hub:
        port = free_port()
        data_dir = tmp_path / name.lower()
        await init_data_dir(
            data_dir, name, f"http://127.0.0.1:{port}", f"o@{name}.example", network=False
        )
        overrides = {k: int(v) for k, v in env.items()}
        config = settings.load(data_dir, overrides)
        hub = Hub(await aiohttp_server(create_app(config, clock), port=port))
        await NetworkActions(hub.node.messages, hub.node.membership).join(network_id(STATEMENT))
        return hub

    return make


def profile(key: SigningKey) -> Message:
    body = HubProfile(name="A hub", url="https://hub.example")
    return create_message(key, "hub.profile", body, 1, None, T0)


def client_for(
    session: aiohttp.ClientSession, key: SigningKey, clock: ManualClock
) -> FederationClient:
    return FederationClient(session, key, node_id_from_public_key(key.public_key), clock)


async def peer(hub: Hub, key: SigningKey, url: str = "http://127.0.0.1:9") -> None:
    """Make `key`'s node a peer of `hub` (the closed port: hub's calls to it just fail)."""
    await hub.federation.peers.add(node_id_from_public_key(key.public_key), url, "Peer")


# -- strangers ---------------------------------------------------------------------------


async def test_a_stranger_may_only_ask_to_peer(
    make_hub: Make, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    hub = await make_hub("Riverside")
    stranger = client_for(session, key_from(30), clock)
    before = await hub.node.messages.count()
    attempts = {
        "push": stranger.push(hub.url, wires(chain(key_from(30), 3))),
        "log": stranger.log(hub.url, hub.node.node_id, 0),
        "resource": stranger.resource(hub.url, b"\x00" * 32, 10, lambda piece: None),
    }
    for what, attempt in attempts.items():
        with pytest.raises(PeerRefused) as refused:
            await attempt
        assert refused.value.status == 403, what
        assert refused.value.reason.startswith("not-peer: "), what
        assert "ask one of its organisers for an invite" in refused.value.reason
    with pytest.raises(PeerRefused) as refused:
        [_ async for _ in stranger.head_pages(hub.url)]
    assert refused.value.status == 403 and refused.value.reason.startswith("not-peer: ")
    assert await hub.node.messages.count() == before
    # Asking to peer is allowed: a wrong invite is refused as such.
    with pytest.raises(PeerRefused) as refused:
        await stranger.peering(hub.url, "guessed", "http://127.0.0.1:9", "Evil")
    assert refused.value.status == 403 and refused.value.reason.startswith("invalid: ")


async def test_newcomer_with_an_invite_peers_at_once_while_strangers_flood(
    make_hub: Make, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    hub = await make_hub("Riverside")
    token = await hub.federation.peers.create_invite()
    # Many strangers, each a fresh key, guessing invites; the clock stands still,
    # so nothing refills and the shared bucket for non-peers runs dry.
    limited = 0
    for n in range(200):
        flooder = client_for(session, SigningKey(n.to_bytes(2, "big") * 16), clock)
        try:
            await flooder.peering(hub.url, f"guess-{n}", "http://127.0.0.1:9", "Flood")
        except PeerRateLimited as exc:
            limited += 1
            assert exc.retry_after is not None and exc.retry_after >= 1
        except PeerRefused as exc:
            assert exc.reason.startswith("invalid: ")
    assert limited >= 200 - 120, "the flood was not limited"
    newcomer_key = key_from(31)
    newcomer = client_for(session, newcomer_key, clock)
    card = await newcomer.peering(hub.url, token, "http://127.0.0.1:9", "Newcomer")
    assert card.node_id == hub.node.node_id
    assert await hub.federation.peers.get(node_id_from_public_key(newcomer_key.public_key))
    # And, now a peer, it may push.
    results = await newcomer.push(hub.url, wires(member_chain(newcomer_key, 1)))
    assert [r.status for r in results] == ["stored", "stored"]


# -- peers' budgets ------------------------------------------------------------------------


async def test_a_push_over_the_message_budget_is_refused_whole_with_retry_after(
    make_hub: Make, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    hub = await make_hub("Riverside", peer_messages_per_minute="1000")
    key = key_from(32)
    await peer(hub, key)
    client = client_for(session, key, clock)
    messages = member_chain(key, 1499)
    results = await client.push(hub.url, wires(messages[:1000]))
    assert {r.status for r in results} == {"stored"}
    before = await hub.node.messages.count()
    with pytest.raises(PeerRateLimited) as limited:
        await client.push(hub.url, wires(messages[1000:1500]))
    assert "rate-limited: " in str(limited.value)
    assert limited.value.retry_after == 30  # 500 messages at 1,000 a minute
    assert await hub.node.messages.count() == before, "part of a refused push was stored"
    clock.advance(30_000)
    results = await client.push(hub.url, wires(messages[1000:1500]))
    assert {r.status for r in results} == {"stored"}


async def test_a_push_over_the_byte_budget_is_refused(
    make_hub: Make, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    hub = await make_hub("Riverside", peer_bytes_per_minute=str(8 * 1024 * 1024))
    key = key_from(33)
    await peer(hub, key)
    client = client_for(session, key, clock)
    messages = member_chain(key, 2399, text="x" * 3900)
    # Pushes of 200 (about 800 KB each): the ninth to twelfth crosses 8 MiB.
    sent = 0
    with pytest.raises(PeerRateLimited) as limited:
        for start in range(0, len(messages), 200):
            body = wires(messages[start : start + 200])
            await client.push(hub.url, body)
            sent += len(wire.encode_push(body))
    assert 7 * 1024 * 1024 < sent <= 8 * 1024 * 1024
    assert limited.value.retry_after is not None and limited.value.retry_after > 0


async def test_a_sender_over_budget_waits_as_told_and_loses_nothing(
    make_hub: Make, clock: ManualClock
) -> None:
    a = await make_hub("Riverside")
    b = await make_hub("Northgate", peer_messages_per_minute="1000")
    # B knows A at a closed port, so B cannot pull: everything must come by A's pushes.
    await peer(b, a.node.key, "http://127.0.0.1:9")
    await b.federation.peers.add(a.node.node_id, "http://127.0.0.1:9", "Riverside")
    await a.federation.peers.add(b.node.node_id, b.url, "Northgate")
    a.federation.peers_changed()
    key = key_from(34)
    messages = member_chain(key, 1499)
    for start in range(0, 1500, 500):
        await a.node.messages.ingest(wires(messages[start : start + 500]))
    origin = node_id_from_public_key(key.public_key)

    async def b_head() -> int:
        head = await b.node.messages.head(origin)
        return head.seq if head else 0

    await wait_until(lambda: _failed_for(a, b), 60)
    row = await a.federation.peers.get(b.node.node_id)
    assert row is not None and row.last_error and "429" in row.last_error
    assert row.next_attempt >= clock() + 5_000, "the sender did not wait as told"
    assert 1000 <= await b_head() < 1500
    for _ in range(60):  # each minute the budget allows 1,000 more
        if await b_head() == 1500:
            break
        clock.advance(15_000)
        await a.node.messages.append("announcement", Announcement(text="wake"))
        await asyncio.sleep(0.3)
    assert await b_head() == 1500
    assert [m.id for m in await b.node.messages.log(origin, limit=2000)] == [m.id for m in messages]


async def _failed_for(a: Hub, b: Hub) -> bool:
    row = await a.federation.peers.get(b.node.node_id)
    return row is not None and row.failures > 0


async def wait_until(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s")


# -- paged heads ---------------------------------------------------------------------------


async def test_heads_of_five_thousand_origins_come_in_pages(
    make_hub: Make, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    hub = await make_hub("Riverside")
    keys = [SigningKey(n.to_bytes(4, "big") * 8) for n in range(1, 5001)]
    for start in range(0, len(keys), 1000):
        # Profiles: what a hub that is not a member may have stored (PROTOCOL.md §14.5).
        batch = [profile(k).wire for k in keys[start : start + 1000]]
        report = await hub.node.messages.ingest(batch)
        assert report.count(Status.STORED) == len(batch)
    reader = key_from(35)
    await peer(hub, reader)
    client = client_for(session, reader, clock)
    pages = [page async for page in client.head_pages(hub.url)]
    assert [len(p) for p in pages] == [2000, 2000, 1001]  # and the hub's own profile
    origins = [o for p in pages for o in p]
    assert origins == sorted(origins) and len(set(origins)) == 5001
    assert {node_id_from_public_key(k.public_key) for k in keys} < set(origins)


async def test_a_pull_from_a_node_with_many_origins_converges_page_by_page(
    make_hub: Make,
) -> None:
    a = await make_hub("Riverside")
    b = await make_hub("Northgate")
    keys = [key_from(n) for n in range(40, 80)]
    for key in keys:
        await a.node.messages.ingest(wires(member_chain(key, 2)))
    b.federation.heads_page_size = 7  # 41 origins: six pages
    await a.federation.peers.add(b.node.node_id, b.url, "Northgate")
    await b.federation.peers.add(a.node.node_id, a.url, "Riverside")
    b.federation.peers_changed()
    expected = await a.node.messages.count() + 1  # and B's own profile

    async def converged() -> bool:
        return await b.node.messages.count() >= expected

    await wait_until(converged, 60)
    for key in keys:
        head = await b.node.messages.head(node_id_from_public_key(key.public_key))
        assert head is not None and head.seq == 3


# -- endless, oversized and redirected answers ---------------------------------------------

# A broken client would read all of this before the test fails: enough to show the
# growth, not enough to hurt the machine the tests share.
ENDLESS_SAFETY_BYTES = 256 * 1024 * 1024
# What the reading side may add to the process's peak memory while refusing an
# endless answer: its largest bound (1 MiB for a heads page) plus the allocator's slack.
BOUNDED_GROWTH = 6 * 1024 * 1024


@pytest.fixture
async def endless(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> str:
    """A server that answers every request 200 with a body that never ends."""

    async def forever(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/msgpack"})
        await response.prepare(request)
        piece = b"\x00" * 65536
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            for _ in range(ENDLESS_SAFETY_BYTES // len(piece)):
                await response.write(piece)
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forever)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


async def test_an_endless_answer_to_the_handshake_ends_with_memory_bounded(
    make_hub: Make, endless: str
) -> None:
    hub = await make_hub("Riverside")
    invite = Invite(node_id_from_public_key(key_from(40).public_key), endless, "token")
    started = time.monotonic()
    with PeakMemory() as memory, pytest.raises(NodeError, match="answer longer than 65536 bytes"):
        await accept_invite(hub.node, str(invite))
    print(f"handshake: peak memory +{memory.growth / 1048576:.1f} MiB")
    assert memory.growth < BOUNDED_GROWTH
    assert time.monotonic() - started < 10


async def test_endless_heads_log_and_file_answers_from_a_peer_end_with_memory_bounded(
    make_hub: Make, endless: str
) -> None:
    hub = await make_hub("Riverside")
    key = key_from(41)
    await peer(hub, key, url=endless)
    them = await hub.federation.peers.get(node_id_from_public_key(key.public_key))
    assert them is not None
    client = hub.federation.client
    attempts = {
        "heads": hub.federation.pull_from(them),
        "log": client.log(endless, them.node_id, 0),
        "resource": client.resource(endless, b"\x01" * 32, 1000, lambda piece: None),
    }
    for what, attempt in attempts.items():
        with PeakMemory() as memory, pytest.raises(PeerUnreachable, match="longer than"):
            await attempt
        print(f"{what}: peak memory +{memory.growth / 1048576:.1f} MiB")
        assert memory.growth < BOUNDED_GROWTH + (wire.MAX_BODY_BYTES if what == "log" else 0)


async def test_a_redirect_is_an_error_naming_the_url_and_is_not_followed(
    make_hub: Make,
    session: aiohttp.ClientSession,
    clock: ManualClock,
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    hub = await make_hub("Riverside")  # the redirect's target: another port
    asked: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        asked.append(request.path)
        raise web.HTTPTemporaryRedirect(hub.url + request.path_qs)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    server = await aiohttp_server(app)
    url = str(server.make_url("")).rstrip("/")
    client = client_for(session, key_from(42), clock)
    with pytest.raises(PeerRefused) as refused:
        await client.peering(url, "token", "http://127.0.0.1:9", "Evil")
    assert refused.value.status == 307
    assert f"{url}/federation/v1/peering redirects to {hub.url}" in refused.value.reason
    assert "never follow" in refused.value.reason
    assert asked == ["/federation/v1/peering"]
    assert await hub.federation.peers.all() == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hub.example.org/?next=evil", "must not have a query"),
        ("https://hub.example.org/#part", "must not have a fragment"),
        ("ftp://hub.example.org", "must be an http:// or https:// address"),
        ("http://hub.example.org:notaport", "is not a valid address"),
    ],
)
async def test_a_peer_url_with_a_query_or_fragment_is_refused_everywhere(
    make_hub: Make, session: aiohttp.ClientSession, clock: ManualClock, url: str, problem: str
) -> None:
    node_id = node_id_from_public_key(key_from(43).public_key)
    invite = f"hubnet://invite?{urlencode({'id': node_id, 'token': 't', 'url': url})}"
    with pytest.raises(NodeError, match=f"the invite's url {problem}"):
        parse_invite(invite)
    with pytest.raises(MalformedPayload, match=f"peering url {problem}"):
        wire.decode_peering(wire.encode_peering("t", url, "Evil"))
    hub = await make_hub("Riverside")
    with pytest.raises(ConfigError, match=f"url {problem}"):
        settings.load(hub.node.config.data_dir, {"url": url})
    # The peering handler refuses it before looking at the invite.
    stranger = client_for(session, key_from(43), clock)
    with pytest.raises(PeerRefused) as refused:
        await stranger.peering(hub.url, "guessed", url, "Evil")
    assert refused.value.status == 400
    assert refused.value.reason.startswith(f"invalid: peering url {problem}")


async def test_the_inviting_hub_gets_the_newcomers_log_soon_after_peering(
    make_hub: Make, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """The inviter pulls at once, before the newcomer has recorded it as a peer and so
    while it still answers `not-peer`: it must ask again within seconds, not at the
    next routine pull (300 s by default)."""
    a = await make_hub("Riverside")
    b = await make_hub("Northgate")
    token = await a.federation.peers.create_invite()
    # The handshake `hubnet peer add` makes, with the newcomer slow to record the answer.
    card = await client_for(session, b.node.key, clock).peering(a.url, token, b.url, "Northgate")
    assert card.node_id == a.node.node_id

    await asyncio.sleep(1.0)  # the inviter's first pull comes at once, and is refused
    await b.federation.peers.add(a.node.node_id, a.url, "Riverside")
    b.federation.peers_changed()

    async def a_holds_b() -> bool:
        return await a.node.messages.head(b.node.node_id) is not None

    await wait_until(a_holds_b, 10)
