"""With email set up, the join form and public registration answer the same whatever
the email, and confirm by an emailed one-time link (a real SMTP server, aiosmtpd,
in-process on loopback)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node.accounts.confirmations import TTL_MS
from tests.helpers import ManualClock
from tests.integration.network import free_port
from tests.unit.test_notices import MailServer
from tests.web.conftest import PASSWORD, Site, make_member, open_site
from tests.web.test_proxies import _public_event

LINK = re.compile(r"http://127\.0\.0\.1:8080(/confirm/[A-Za-z0-9_-]+)")


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def mailing(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
    mail_server: MailServer,
) -> AsyncIterator[tuple[Site, MailServer, ManualClock]]:
    clock = ManualClock()
    site = await open_site(
        tmp_path,
        aiohttp_client,
        monkeypatch,
        clock,
        HUBNET_SMTP_HOST="127.0.0.1",
        HUBNET_SMTP_PORT=str(mail_server.port),
        HUBNET_SMTP_SECURITY="none",
        HUBNET_SMTP_FROM="hub@example.org",
    )
    yield site, mail_server, clock


async def mail_to(server: MailServer, address: str, count: int = 1) -> list[Message]:
    """The emails `address` has been sent, once there are `count`."""
    async with asyncio.timeout(10):
        while True:
            got = [m for to, m in server.inbox.messages if address in to]
            if len(got) >= count:
                return got
            await asyncio.sleep(0.02)


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def link_in(message: Message) -> str:
    found = LINK.search(body(message))
    assert found, body(message)
    return found.group(1)


def application(email: str, name: str = "Someone") -> dict[str, str]:
    return {
        "name": name,
        "email": email,
        "password": PASSWORD,
        "sign_charter": "yes",
        "accept_privacy": "yes",
    }


def main(page: str) -> str:
    return page.split('<main id="main">')[1].split("</main>")[0]


async def applied(site: Site) -> list[str]:
    return [m.email for m in await site.node.members.by_status("applied")]


async def test_joining_is_confirmed_by_an_emailed_link_and_answers_the_same_for_a_member(
    mailing: tuple[Site, MailServer, ManualClock],
) -> None:
    site, server, _ = mailing
    await make_member(site.node, "member@example.org")
    join_page = await (await site.client.get("/join")).text()
    assert "email you a link" in join_page and "does not send email" not in join_page
    fresh = await site.submit("/join", application("newcomer@example.org", "New Comer"))
    taken = await site.submit("/join", application("member@example.org", "Impostor"))
    assert fresh.status == taken.status == 200
    assert main(await fresh.text()) == main(await taken.text())
    assert "Check your email" in await fresh.text()
    # Nothing is recorded before the link is followed.
    assert await applied(site) == []
    # The member is told by email, with no link; the newcomer gets a link.
    (told,) = await mail_to(server, "member@example.org")
    assert "already has an account" in body(told) and not LINK.search(body(told))
    (sent,) = await mail_to(server, "newcomer@example.org")
    path = link_in(sent)
    # Only the link's hash is kept.
    token = path.rsplit("/", 1)[1]
    rows = await site.node.db.fetchall("SELECT token_hash FROM confirmations")
    assert len(rows) == 1 and token.encode() not in rows[0][0]
    # Following it shows a button (a mail scanner's fetch confirms nothing)…
    page = await site.client.get(path)
    assert page.status == 200 and "Confirm your application to join" in await page.text()
    assert await applied(site) == []
    # …which sends the application to the membership secretary.
    confirmed = await site.post(path)
    assert confirmed.status == 303 and confirmed.headers["Location"] == "/"
    assert "Confirmed. " in await (await site.client.get("/")).text()
    assert await applied(site) == ["newcomer@example.org"]
    # The pending row (and the password hash in it) is gone once used.
    assert await site.node.db.fetchall("SELECT count(*) FROM confirmations") == [(0,)]
    (member,) = await site.node.members.by_status("applied")
    assert member.name == "New Comer"
    # Once only.
    again = await site.submit(path)
    assert again.status == 400 and "used already" in await again.text()
    assert (await site.client.get(path)).status == 404
    assert await applied(site) == ["newcomer@example.org"]


async def test_an_unconfirmed_application_is_never_seen_and_its_link_expires(
    mailing: tuple[Site, MailServer, ManualClock],
) -> None:
    site, server, clock = mailing
    await site.post("/join", application("late@example.org"))
    (sent,) = await mail_to(server, "late@example.org")
    await site.login("organiser@example.org")
    members_page = await (await site.client.get("/members")).text()
    assert "late@example.org" not in members_page
    await site.logout()
    clock.advance(TTL_MS + 1)
    expired = await site.submit(link_in(sent))
    assert expired.status == 400 and "expired" in await expired.text()
    assert await applied(site) == []


async def test_a_link_used_by_concurrent_requests_records_one_application(
    mailing: tuple[Site, MailServer, ManualClock],
) -> None:
    site, server, _ = mailing
    await site.post("/join", application("racer@example.org"))
    path = link_in((await mail_to(server, "racer@example.org"))[0])
    csrf = await site.csrf()
    answers = await asyncio.gather(*(site.client.post(path, data={"csrf": csrf}) for _ in range(4)))
    assert sorted(a.status for a in answers) == [200, 400, 400, 400]
    assert await applied(site) == ["racer@example.org"]


async def _going(site: Site, event: str) -> list[str]:
    rows = await site.node.db.fetchall(
        "SELECT unseal('registrations.name', name) FROM registrations WHERE event = ? ORDER BY id",
        (bytes.fromhex(event),),
    )
    return [r[0] for r in rows]


async def test_registering_is_confirmed_by_email_and_answers_the_same_when_registered(
    mailing: tuple[Site, MailServer, ManualClock],
) -> None:
    site, server, _ = mailing
    event = await _public_event(site)
    path = f"/events/{event}/register"
    event_page = await (await site.client.get(f"/events/{event}")).text()
    assert "email you a link to confirm" in event_page
    assert "does not send email" not in event_page
    first = await site.submit(path, {"name": "Dee", "email": "dee@example.org"})
    assert first.status == 200 and "Check your email" in await first.text()
    # Unconfirmed, it takes no place.
    assert await _going(site, event) == []
    path_dee = link_in((await mail_to(server, "dee@example.org"))[0])
    assert (await site.submit(path_dee)).status == 200
    assert await _going(site, event) == ["Dee"]
    # Again with Dee's address, and with a new one: the same page; Dee is told by email.
    again = await site.submit(path, {"name": "Stranger", "email": "dee@example.org"})
    fresh = await site.submit(path, {"name": "Eve", "email": "eve@example.org"})
    assert again.status == fresh.status == 200
    assert main(await again.text()) == main(await fresh.text())
    assert "already" not in await again.text()
    told = (await mail_to(server, "dee@example.org", 2))[1]
    assert "registered already" in body(told) and not LINK.search(body(told))
    await mail_to(server, "eve@example.org")
    # Eve never follows her link: she is not coming, and takes no place.
    assert await _going(site, event) == ["Dee"]
    await site.login("organiser@example.org")
    shown = await (await site.client.get(f"/events/{event}")).text()
    assert "1 going" in shown and "eve@example.org" not in shown


async def test_without_email_the_join_form_says_what_limits_it(site: Site) -> None:
    page = await (await site.client.get("/join")).text()
    assert "does not send email" in page and "at most 5 an hour" in page
    answer = await site.submit("/join", application("direct@example.org"))
    assert "Thank you for applying" in await answer.text()
    assert await applied(site) == ["direct@example.org"]
