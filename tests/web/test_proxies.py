"""Behind a reverse proxy: per-address limits use the client's address, and only a
trusted proxy's header says what it is (web/client_address.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import PASSWORD, Site, clocked_site
from web.join_guard import PER_ADDRESS as JOINS_PER_ADDRESS
from web.login_guard import PER_ADDRESS as FAILURES_PER_ADDRESS
from web.registration_guard import PER_ADDRESS_AND_EVENT

Client = Callable[..., Awaitable[TestClient]]
TOKEN = "a metrics token of some length"


@pytest.fixture
async def proxied(tmp_path: Path, aiohttp_client: Client, monkeypatch: pytest.MonkeyPatch) -> Site:
    """A hub behind a reverse proxy on this machine, which the test client plays."""
    site, _ = await clocked_site(
        tmp_path, aiohttp_client, monkeypatch, HUBNET_TRUSTED_PROXIES="127.0.0.1, ::1"
    )
    return site


def via(address: str) -> dict[str, dict[str, str]]:
    return {"headers": {"X-Forwarded-For": f"6.6.6.6, {address}"}}


def _application(n: int) -> dict[str, str]:
    return {
        "name": f"Applicant {n}",
        "email": f"applicant{n}@example.org",
        "password": PASSWORD,
        "sign_charter": "yes",
        "accept_privacy": "yes",
    }


async def test_behind_a_trusted_proxy_the_join_limit_is_per_client(proxied: Site) -> None:
    for n in range(JOINS_PER_ADDRESS):
        assert (await proxied.post("/join", _application(n), **via("203.0.113.1"))).status == 303
    refused = await proxied.post("/join", _application(99), **via("203.0.113.1"))
    assert refused.status == 429
    other = await proxied.post("/join", _application(100), **via("203.0.113.2"))
    assert other.status == 303, "one client's applications used up everyone's"


async def test_a_header_sent_straight_to_the_node_does_not_escape_the_join_limit(
    site: Site,
) -> None:
    for n in range(JOINS_PER_ADDRESS):
        assert (await site.post("/join", _application(n), **via(f"203.0.113.{n}"))).status == 303
    refused = await site.post("/join", _application(99), **via("203.0.113.99"))
    assert refused.status == 429


async def test_behind_a_trusted_proxy_wrong_passwords_lock_out_only_their_sender(
    proxied: Site,
) -> None:
    for n in range(FAILURES_PER_ADDRESS):
        wrong = {"email": f"nobody{n}@example.org", "password": "not the password"}
        assert (await proxied.post("/login", wrong, **via("198.51.100.66"))).status == 400
    mine = {"email": "organiser@example.org", "password": PASSWORD}
    assert (await proxied.post("/login", mine, **via("198.51.100.66"))).status == 400
    assert (await proxied.post("/login", mine, **via("192.0.2.10"))).status == 303


async def _public_event(site: Site) -> str:
    await site.login("organiser@example.org")
    form = {
        "title": "Open meeting", "description": "", "start_date": "2030-03-30",
        "start_time": "19:00", "end_date": "", "end_time": "21:00",
        "timezone": "Europe/London", "type": "public-meeting", "visibility": "public",
        "place": "The hall", "lat": "", "lon": "", "online_url": "", "capacity": "",
        "speakers": "", "cohosts": "",
    }  # fmt: skip
    response = await site.post("/events/new", form)
    assert response.status == 303, await response.text()
    await site.logout()
    return response.headers["Location"].rsplit("/", 1)[1]


async def test_public_registrations_are_limited_per_client_and_event(proxied: Site) -> None:
    event = await _public_event(proxied)
    path = f"/events/{event}/register"
    for n in range(PER_ADDRESS_AND_EVENT):
        form = {"name": f"Bot {n}", "email": f"bot{n}@example.org"}
        assert (await proxied.post(path, form, **via("203.0.113.7"))).status == 303
    form = {"name": "Bot", "email": "bot@example.org"}
    refused = await proxied.post(path, form, **via("203.0.113.7"))
    assert refused.status == 429 and "Too many registrations" in await refused.text()
    assert (await proxied.post(path, form, **via("203.0.113.8"))).status == 303


async def test_metrics_from_this_machine_are_answered_only_when_direct(site: Site) -> None:
    assert (await site.client.get("/metrics")).status == 200
    assert (await site.client.get("/metrics", **via("127.0.0.1"))).status == 403


async def test_a_trusted_proxy_on_this_machine_is_not_this_machine(proxied: Site) -> None:
    # The proxy may relay a request without a header (a misconfigured example).
    assert (await proxied.client.get("/metrics")).status == 403
    assert (await proxied.client.get("/metrics", **via("127.0.0.1"))).status == 403


async def test_metrics_allow_lets_a_listed_client_in_without_the_token(
    tmp_path: Path, aiohttp_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, _ = await clocked_site(
        tmp_path,
        aiohttp_client,
        monkeypatch,
        HUBNET_TRUSTED_PROXIES="127.0.0.1",
        HUBNET_METRICS_ALLOW="192.0.2.0/28",
        HUBNET_METRICS_TOKEN=TOKEN,
    )
    assert (await site.client.get("/metrics", **via("192.0.2.9"))).status == 200
    assert (await site.client.get("/metrics", **via("192.0.2.99"))).status == 403
    assert (await site.client.get("/metrics")).status == 403
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert (await site.client.get("/metrics", headers=bearer)).status == 200
