"""An in-process node with its web UI, and clients logged in as members of each role."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node import config as settings
from node.accounts.members import Member
from node.accounts.permissions import Role
from node.appkeys import NODE
from node.clock import Clock, system_clock
from node.network.actions import NetworkActions, founding_statement
from node.network.witness import DECISION_KINDS
from node.node import Node
from node.setup import init_data_dir
from protocol.envelope import Message, create_message
from protocol.kinds.network import NetworkFound, NetworkWitness
from tests.helpers import ManualClock, key_from
from web.app import create_app

# The cheapest argon2id parameters the node accepts (OWASP's minimum), for speed.
FAST_HASHING = {"HUBNET_ARGON2_MEMORY_KIB": "19456", "HUBNET_ARGON2_TIME_COST": "2"}
PASSWORD = "a long enough password"


# Keys other hubs sign with in these tests (tests/helpers.key_from and tests/assembly's
# LogHub): each test's site founds its network with all of them named as founders, and
# a key is a member once its own signature on the statement is held (`Site.admit`).
FOUNDER_KEYS = [key_from(n) for n in range(1, 33)] + [
    SigningKey(n.to_bytes(2, "big") * 16) for n in range(1, 33)
]


@dataclass
class Site:
    client: TestClient
    node: Node

    @property
    def statement(self) -> NetworkFound:
        statement = self.node.membership.roster.statement
        assert statement is not None, "the site founds its network when it is made"
        return statement

    def founded(self, key: SigningKey, ts: int | None = None) -> Message:
        """`key`'s signature on the network's founding statement: seq 1 of its log."""
        when = self.node.clock() if ts is None else ts
        return create_message(key, "network.found", self.statement, 1, None, when)

    async def admit(self, *keys: SigningKey, ts: int | None = None) -> list[Message]:
        """Make other hubs' keys members: each signs the statement at seq 1 of its log.

        A test hub's messages then start at seq 2, after the returned message.
        """
        made = [self.founded(key, ts) for key in keys]
        report = await self.node.messages.ingest([m.wire for m in made])
        assert all(o.status.value in ("stored", "duplicate") for o in report.outcomes), report
        await self.node.membership.refresh()
        return made

    async def witnessed(self, *messages: Message, timeout: float = 10.0) -> None:
        """Wait until this node's own witnesses cover `messages`, as it writes them by
        itself a moment (witness_delay_ms) after members' decisions arrive (§14.4).

        With no `messages`: every member's latest decision this node holds.
        """
        node = self.node
        if not messages:
            messages = tuple(await self._latest_decisions())
        async with asyncio.timeout(timeout):
            while True:
                await node.membership.refresh()
                witnesses = node.membership.witnesses
                if all(witnesses.covers(node.node_id, m, 2**62) for m in messages):
                    return
                await asyncio.sleep(0.02)

    async def _latest_decisions(self) -> list[Message]:
        node = self.node
        latest = []
        for origin in sorted({node.node_id, *node.membership.members}):
            decisions = [
                m for m in await node.messages.log(origin, 0, 10_000) if m.kind in DECISION_KINDS
            ]
            latest.extend(decisions[-1:])
        return latest

    async def in_step(self) -> NetworkWitness:
        """What another member's node, holding what this one holds, witnesses: every
        member's log (this hub's too) as far as it is held here."""
        node = self.node
        network = node.membership.network
        assert network is not None
        heads = await node.messages.heads()
        members = {node.node_id, *node.membership.members}
        origins = sorted(o for o in heads if o in members)
        return NetworkWitness(
            network=network,
            origins=tuple(origins),
            seqs=tuple(heads[o].seq for o in origins),
            ids=tuple(heads[o].id for o in origins),
        )

    async def csrf(self) -> str:
        page = await (await self.client.get("/join")).text()
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        assert match, "no CSRF field on the join page"
        return match.group(1)

    async def post(self, path: str, data: dict[str, str] | None = None, **kw: object):  # type: ignore[no-untyped-def]
        form = {"csrf": await self.csrf(), **(data or {})}
        return await self.client.post(path, data=form, allow_redirects=False, **kw)

    async def submit(self, path: str, data: dict[str, str] | None = None, **kw: object):  # type: ignore[no-untyped-def]
        """Send a form as a browser does: a success answers 303 (web/flash.py) and is
        followed to the page it leads to, which says what happened; a refusal is the
        form again, in the answer to the POST."""
        response = await self.post(path, data, **kw)
        if response.status != 303:
            return response
        return await self.client.get(response.headers["Location"])

    async def login(self, email: str, password: str = PASSWORD) -> None:
        response = await self.post("/login", {"email": email, "password": password})
        assert response.status == 303, await response.text()

    async def logout(self) -> None:
        await self.post("/logout")


async def make_member(node: Node, email: str, role: Role | None = None) -> int:
    member = await node.members.apply(
        name=email.split("@")[0],
        email=email,
        password=PASSWORD,
        signed_charter=True,
        accepted_privacy=True,
        status="active",
    )
    if role is not None:
        await node.members.grant(member.id, role)
    return member.id


async def acting(node: Node, member_id: int) -> Member:
    """The member `member_id` as a service takes them: the one who acts, with their roles."""
    member = await node.members.get(member_id)
    assert member is not None
    return member


SiteFactory = Callable[[], Awaitable[Site]]


@pytest.fixture
async def site(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Site]:
    yield await open_site(tmp_path, aiohttp_client, monkeypatch)


@pytest.fixture
async def clocked(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    """Like `site`, but the node's clock is a ManualClock the test moves."""
    yield await clocked_site(tmp_path, aiohttp_client, monkeypatch)


async def clocked_site(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
    clock: ManualClock | None = None,
    **env: str,
) -> tuple[Site, ManualClock]:
    """A hub on a ManualClock, with `env` set for its app (for fixtures like `clocked`)."""
    clock = clock or ManualClock()
    return await open_site(tmp_path, aiohttp_client, monkeypatch, clock, **env), clock


async def open_site(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
    clock: ManualClock | None = None,
    **env: str,
) -> Site:
    """The site: Riverside, founded as a network naming the test keys (`found_test_network`),
    on `clock` (the system's if None), with `env` set for its app."""
    for name, value in {**FAST_HASHING, **env}.items():
        monkeypatch.setenv(name, value)
    data_dir = tmp_path / "riverside"
    timing: Clock = clock or system_clock
    await init_data_dir(
        data_dir,
        "Riverside",
        "http://127.0.0.1:8080",
        "organiser@example.org",
        clock=timing,
        network=False,
    )
    client = await aiohttp_client(create_app(settings.load(data_dir), timing))
    node = client.app[NODE]
    await node.members.set_password(1, PASSWORD)  # the founder made by init
    await found_test_network(node)
    return Site(client, node)


async def found_test_network(node: Node) -> None:
    """The site founds a network naming itself and every key in FOUNDER_KEYS."""
    founders = [node.node_id, *(node_id_from_public_key(k.public_key) for k in FOUNDER_KEYS)]
    statement = founding_statement("Test network", founders)
    await NetworkActions(node.messages, node.membership).found(statement)
