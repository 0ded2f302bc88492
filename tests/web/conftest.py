"""An in-process node with its web UI, and clients logged in as members of each role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node import config as settings
from node.accounts.permissions import Role
from node.appkeys import NODE
from node.node import Node
from node.setup import init_data_dir
from tests.helpers import ManualClock
from web.app import create_app

# The cheapest argon2id parameters the node accepts (OWASP's minimum), for speed.
FAST_HASHING = {"HUBNET_ARGON2_MEMORY_KIB": "19456", "HUBNET_ARGON2_TIME_COST": "2"}
PASSWORD = "a long enough password"


@dataclass
class Site:
    client: TestClient
    node: Node

    async def csrf(self) -> str:
        page = await (await self.client.get("/join")).text()
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        assert match, "no CSRF field on the join page"
        return match.group(1)

    async def post(self, path: str, data: dict[str, str] | None = None, **kw: object):  # type: ignore[no-untyped-def]
        form = {"csrf": await self.csrf(), **(data or {})}
        return await self.client.post(path, data=form, allow_redirects=False, **kw)

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


SiteFactory = Callable[[], Awaitable[Site]]


@pytest.fixture
async def site(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Site]:
    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(name, value)
    data_dir = tmp_path / "riverside"
    await init_data_dir(data_dir, "Riverside", "http://127.0.0.1:8080", "organiser@example.org")
    config = settings.load(data_dir)
    client = await aiohttp_client(create_app(config))
    node = client.app[NODE]
    await node.members.set_password(1, PASSWORD)  # the founder made by init
    yield Site(client, node)


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
    **env: str,
) -> tuple[Site, ManualClock]:
    """A hub on a ManualClock, with `env` set for its app (for fixtures like `clocked`)."""
    for name, value in {**FAST_HASHING, **env}.items():
        monkeypatch.setenv(name, value)
    clock = ManualClock()
    data_dir = tmp_path / "riverside"
    await init_data_dir(
        data_dir, "Riverside", "http://127.0.0.1:8080", "organiser@example.org", clock=clock
    )
    client = await aiohttp_client(create_app(settings.load(data_dir), clock))
    node = client.app[NODE]
    await node.members.set_password(1, PASSWORD)
    return Site(client, node), clock
