"""Three real hub nodes decide a network motion; every node counts the same result.

Until hub elections are merged, each hub's delegate is set up the way an election
ends (node stopped): the member gets the delegate role for a term and the hub
signs a `delegate.mandate` naming their display name (`appoint` below).
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from node import config as settings
from node.accounts.permissions import Role
from node.node import Node
from protocol.kinds.assembly import DelegateMandate
from tests.integration.network import Hub, wait_for

PASSWORD = "a long enough password"
YEAR = 365 * 86_400


async def _appoint(data_dir: Path, email: str, name: str) -> None:
    node = await Node.open(settings.load(data_dir))
    try:
        member = await node.members.apply(
            name=name,
            email=email,
            password=PASSWORD,
            signed_charter=True,
            accepted_privacy=True,
            status="active",
        )
        now = node.clock() // 1000
        await node.members.grant(member.id, Role.DELEGATE, ends_at=(now + YEAR) * 1000)
        await node.messages.append(
            "delegate.mandate",
            DelegateMandate(delegate=name, body="national", starts=now - 60, ends=now + YEAR),
        )
    finally:
        await node.close()


def appoint(hub: Hub, email: str, name: str) -> None:
    """What a hub election will do once merged: role for the term, signed mandate."""
    assert hub.process is None, "appoint with the node stopped"
    asyncio.run(_appoint(hub.data_dir, email, name))


class Browser:
    """A member's browser: cookies, the CSRF field, forms posted as the pages post them."""

    def __init__(self, hub: Hub, email: str) -> None:
        self.url = hub.url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.post("/login", {"email": email, "password": PASSWORD})

    def get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=30) as response:
            return str(response.read().decode())

    def post(self, path: str, data: dict[str, str] | None = None) -> tuple[str, str]:
        token = re.search(r'name="csrf" value="([^"]+)"', self.get("/join"))
        assert token
        body = urllib.parse.urlencode({"csrf": token.group(1), **(data or {})}).encode()
        with self.opener.open(self.url + path, data=body, timeout=30) as response:
            return response.geturl(), response.read().decode()


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[list[Hub]]:
    made = [Hub(tmp_path, n) for n in ("Riverside", "Northgate", "Hillfield")]
    for hub, who in zip(made, ("Ria", "Nat", "Hal"), strict=True):
        appoint(hub, f"{who.lower()}@example.org", who)
    for hub in made:
        hub.start()
    a, b, c = made
    b.peer_with(a)
    c.peer_with(b)
    c.peer_with(a)
    yield made
    for hub in made:
        hub.stop()


def verify(hub: Hub, motion_id: str) -> str:
    return hub.cli("motion", "verify", motion_id)


def test_three_hubs_decide_a_motion_and_count_the_same(hubs: list[Hub]) -> None:
    a, b, c = hubs
    url, _ = Browser(a, "ria@example.org").post(
        "/network/motions",
        {
            "body": "national",
            "title": "Support the tenants' union",
            "text": "The network backs the tenants' union's campaign.",
            "options_kind": "for-against",
            "seconds_needed": "2",
            "closes": "2035-01-01T00:00",
            "rule": "majority",
            "quorum_percent": "50",
        },
    )
    motion_id = url.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{64}", motion_id), url
    path = f"/network/motions/{motion_id}"
    for hub in (b, c):
        wait_for(f"{hub.name} to hold the motion", lambda h=hub: "motion:" in _try(h, motion_id))
    nat, hal = Browser(b, "nat@example.org"), Browser(c, "hal@example.org")
    assert "This hub has seconded the motion." in nat.post(f"{path}/second")[1]
    assert "This hub has seconded the motion." in hal.post(f"{path}/second")[1]
    wait_for("Riverside to see both seconds", lambda: "seconds:  2 of 2" in verify(a, motion_id))
    wait_for("Hillfield to see both seconds", lambda: "seconds:  2 of 2" in verify(c, motion_id))
    wait_for("Northgate to see both seconds", lambda: "seconds:  2 of 2" in verify(b, motion_id))

    Browser(a, "ria@example.org").post(f"{path}/vote", {"choice": "For"})
    nat.post(f"{path}/vote", {"choice": "Against"})
    hal.post(f"{path}/vote", {"choice": "Against"})

    # Hillfield recalls Hal (the organiser from `hubnet init` is in the interim group),
    # then a new delegate, Hana, votes For through Hillfield's node.
    organiser = c.init_output.split("organiser password: ")[1].split()[0]
    opener = Browser.__new__(Browser)
    opener.url = c.url
    opener.opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    token = re.search(r'name="csrf" value="([^"]+)"', opener.get("/join"))
    assert token
    login = urllib.parse.urlencode(
        {"csrf": token.group(1), "email": "organiser@localhost", "password": organiser}
    ).encode()
    opener.opener.open(c.url + "/login", data=login, timeout=30).close()
    assert "is recalled" in opener.post("/network/recall", {"body": "national"})[1]
    refused = _post_status(hal, f"{path}/vote", {"choice": "For"})
    assert refused == 403  # the delegate role ended with the recall
    c.stop()
    appoint(c, "hana@example.org", "Hana")
    c.start()
    Browser(c, "hana@example.org").post(f"{path}/vote", {"choice": "For"})

    def settled(hub: Hub) -> bool:
        out = verify(hub, motion_id)
        return "outcome:  decided: For" in out and "Hana" in out and "turnout:  3 of 3" in out

    for hub in hubs:
        wait_for(f"{hub.name} to count every vote", lambda h=hub: settled(h), timeout=60)
    outputs = [verify(hub, motion_id) for hub in hubs]
    digests = {re.search(r"digest:\s+([0-9a-f]{64})", out).group(1) for out in outputs}  # type: ignore[union-attr]
    assert len(digests) == 1
    for out in outputs:
        assert "SIGNATURE FAILS" not in out
        assert "replaced by this hub's later vote" in out  # Hal's Against, replaced by Hana's For
    page = urllib.request.urlopen(b.url + path, timeout=30).read().decode()
    assert next(iter(digests)) in page and "So far: decided: For" in page


def _try(hub: Hub, motion_id: str) -> str:
    from tests.integration.procs import run_cli

    result = run_cli("motion", "verify", "--data-dir", str(hub.data_dir), motion_id)
    return result.stdout if result.returncode == 0 else ""


def _post_status(browser: Browser, path: str, data: dict[str, str]) -> int:
    try:
        browser.post(path, data)
    except urllib.error.HTTPError as exc:
        return exc.code
    return 200
