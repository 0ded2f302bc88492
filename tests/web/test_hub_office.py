"""A hub secretary runs the hub from the browser: news, email settings (a real SMTP
server, aiosmtpd, on loopback), applications with their emails, invitations by link,
and the first-run checklist."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import feedparser
import pytest
from aiohttp.test_utils import TestClient

from node.accounts.permissions import Role
from node.appkeys import FEDERATION
from node.store.office import FIRST_PASSWORD
from protocol.kinds.hub import HubProfile
from tests.helpers import ManualClock
from tests.unit.test_notices import MailServer
from tests.web.conftest import PASSWORD, Site, make_member, open_site
from tests.web.test_email_confirmation import body, mail_server, mail_to, main  # noqa: F401

ORGANISER = "organiser@example.org"
DAY = 86_400_000


@pytest.fixture
async def office(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    clock = ManualClock()
    site = await open_site(tmp_path, aiohttp_client, monkeypatch, clock)
    await site.login(ORGANISER)
    yield site, clock


async def page(site: Site, path: str) -> str:
    response = await site.client.get(path)
    assert response.status == 200, path
    return await response.text()


async def followed(site: Site, path: str, data: dict[str, str]) -> str:
    """POST, check the answer redirects, and return the page it redirects to."""
    response = await site.post(path, data)
    assert response.status == 303, await response.text()
    return await page(site, response.headers["Location"])


async def test_news_is_published_edited_and_withdrawn_on_the_dashboard_page_and_feed(
    office: tuple[Site, ManualClock],
) -> None:
    site, clock = office
    shown = await followed(
        site, "/organise/news", {"title": "Members night", "text": "On *Friday* at 7."}
    )
    assert "Announcement published" in shown and "<em>Friday</em>" in shown
    dashboard = await page(site, "/dashboard")
    assert "Members night" in dashboard and "<em>Friday</em>" in dashboard
    assert "Members night" in await page(site, "/")
    (item,) = await site.node.news.items(own=True)
    clock.advance(60_000)
    edited = await followed(
        site,
        f"/organise/news/{item.id.hex()}/edit",
        {"title": "Members night moved", "text": "On Saturday at 7."},
    )
    assert "Announcement updated" in edited and "Members night moved" in edited
    dashboard = await page(site, "/dashboard")
    assert "On Saturday at 7." in dashboard and "Friday" not in dashboard
    assert "edited" in dashboard
    feed = feedparser.parse(await page(site, "/feeds/announcements.atom"))
    assert [e.title for e in feed.entries] == ["Members night moved"]
    # An empty text is refused beside the form, with the headline kept.
    refused = await site.post(
        f"/organise/news/{item.id.hex()}/edit", {"title": "Kept headline", "text": " "}
    )
    assert refused.status == 400
    assert "cannot be empty" in await refused.text() and "Kept headline" in await refused.text()
    gone = await followed(site, f"/organise/news/{item.id.hex()}/withdraw", {})
    assert "Announcement withdrawn" in gone and "Nothing published yet" in gone
    assert "Members night" not in await page(site, "/dashboard")
    assert "Members night" not in await page(site, "/")
    assert feedparser.parse(await page(site, "/feeds/announcements.atom")).entries == []
    # Withdrawn once: a second withdrawal changes nothing and says so.
    again = await site.post(f"/organise/news/{item.id.hex()}/withdraw", {})
    assert again.status == 409


async def test_a_plain_member_may_not_write_news_set_up_email_or_invite(site: Site) -> None:
    await make_member(site.node, "plain@example.org")
    await site.login("plain@example.org")
    for path in ("/organise/news", "/organise/email", "/organise/invitations"):
        assert (await site.client.get(path)).status == 403, path
    for path, data in (
        ("/organise/news", {"text": "Hi"}),
        ("/organise/email", {"host": "smtp.example.org", "port": "25"}),
        ("/organise/email/test", {}),
        ("/organise/invitations", {"name": "Friend"}),
        ("/organise/members/decide", {"decision": "approve", "member": "1"}),
    ):
        assert (await site.post(path, data)).status == 403, path
    dashboard = await page(site, "/dashboard")
    assert "Getting the hub ready" not in dashboard and "Hub news" not in dashboard
    assert await site.node.news.items() == []


async def test_email_set_up_in_the_browser_applies_at_once_and_keeps_its_password_hidden(
    office: tuple[Site, ManualClock],
    mail_server: MailServer,  # noqa: F811
) -> None:
    site, _ = office
    settings = {
        "host": "127.0.0.1",
        "port": str(mail_server.port),
        "security": "none",
        "username": "",
        "password": "very-secret-pw",
        "sender": "hub@example.org",
    }
    shown = await followed(site, "/organise/email", settings)
    assert "Email settings saved" in shown and "a password is stored" in shown
    assert "very-secret-pw" not in shown
    # Kept encrypted: nowhere in the database's plain text.
    rows = await site.node.db.fetchall("SELECT value FROM node_state")
    assert rows and not any("very-secret-pw" in str(v) for (v,) in rows)
    # Saved again with the password left blank: the stored one is kept.
    await followed(site, "/organise/email", {**settings, "password": ""})
    assert site.node.notices.mail is not None
    assert site.node.notices.mail.password == "very-secret-pw"
    # The test email goes at once, through the server just saved (no restart).
    sent = await followed(site, "/organise/email/test", {})
    assert "Test email sent" in sent
    (test,) = await mail_to(mail_server, ORGANISER)
    assert "test email" in test["Subject"] and "Email works" in body(test)
    # A wrong setting is refused beside the form, with what was typed kept.
    refused = await site.post("/organise/email", {**settings, "port": "eighty"})
    assert refused.status == 400
    text = await refused.text()
    assert "Port: a number" in text and 'value="eighty"' in text
    assert "very-secret-pw" not in text


async def test_applicants_are_emailed_the_outcome_and_organisers_see_each_new_application(
    office: tuple[Site, ManualClock],
    mail_server: MailServer,  # noqa: F811
) -> None:
    site, _ = office
    node = site.node
    await followed(
        site,
        "/organise/email",
        {
            "host": "127.0.0.1",
            "port": str(mail_server.port),
            "security": "none",
            "sender": "hub@example.org",
        },
    )
    ids = []
    for n in range(4):
        applicant = await node.members.apply(
            name=f"Applicant {n}",
            email=f"a{n}@example.org",
            password=PASSWORD,
            signed_charter=True,
            accepted_privacy=True,
        )
        ids.append(applicant.id)
    members_page = await page(site, "/organise/members")
    assert re.search(r'Applications <span class="badge">4</span>', members_page)
    notices = await page(site, "/notices")
    assert notices.count("New application to join") == 4
    # Three ticked, one button, one redirect: "3 approved."
    response = await site.post(
        "/organise/members/decide",
        {"decision": "approve", "member": [str(i) for i in ids[:3]]},  # type: ignore[dict-item]
    )
    assert response.status == 303
    after = await page(site, response.headers["Location"])
    assert "3 approved." in after and 'class="badge">1<' in after
    for n in range(3):
        (approved,) = await mail_to(mail_server, f"a{n}@example.org")
        assert "approved" in body(approved) and "/login" in body(approved)
    rejected = await followed(site, f"/organise/members/{ids[3]}/reject", {})
    assert "Applicant 3: application rejected" in rejected
    (told,) = await mail_to(mail_server, "a3@example.org")
    assert "was not approved" in body(told)
    # Deciding the same applications again: nothing changes, and the page says so.
    again = await site.post(
        "/organise/members/decide", {"decision": "reject", "member": str(ids[0])}
    )
    assert "0 rejected." in await page(site, again.headers["Location"])
    assert (await node.members.get(ids[0])).status == "active"  # type: ignore[union-attr]
    # An invitation with an address is emailed, with its one-time link.
    made = await site.post("/organise/invitations", {"name": "Gil", "email": "gil@example.org"})
    assert "The invitation has been emailed" in await made.text()
    (invited,) = await mail_to(mail_server, "gil@example.org")
    assert "Hello Gil" in body(invited) and "/invite/" in body(invited)


async def test_an_invitation_link_works_once_until_it_expires_and_can_be_cancelled(
    office: tuple[Site, ManualClock],
) -> None:
    site, clock = office
    made = await site.post("/organise/invitations", {"name": "Dee", "email": "dee@example.org"})
    shown = await made.text()
    link = re.search(r"http://127\.0\.0\.1:8080(/invite/[A-Za-z0-9_-]+)", shown)
    assert link and 'class="qr"' in shown
    path = link.group(1)
    # Only the token's hash is kept.
    assert path.rsplit("/", 1)[1] not in str(
        await site.node.db.fetchall("SELECT * FROM node_state")
    )
    listed = await page(site, "/organise/invitations")
    assert "Dee" in listed and "Open invitations (1)" in listed
    await site.logout()
    form = await page(site, path)
    assert (
        'value="Dee"' in form and 'value="dee@example.org"' in form and "I sign the charter" in form
    )
    unsigned = await site.post(
        path, {"name": "Dee", "email": "dee@example.org", "password": PASSWORD}
    )
    assert unsigned.status == 400 and "sign the charter" in await unsigned.text()
    signed = {
        "name": "Dee",
        "email": "dee@example.org",
        "password": PASSWORD,
        "sign_charter": "yes",
        "accept_privacy": "yes",
    }
    # Sent twice at once: one account, one answer that lets Dee in.
    answers = await asyncio.gather(site.post(path, signed), site.post(path, signed))
    assert sorted(a.status for a in answers) == [303, 404]
    (joined,) = [a for a in answers if a.status == 303]
    assert joined.headers["Location"] == "/dashboard"
    assert [m.name for m in await site.node.members.by_status("active")].count("Dee") == 1
    home = await page(site, "/dashboard")
    assert "Welcome, Dee" in home and "Welcome to the hub, Dee: you are a member now." in home
    await site.logout()
    assert (await site.client.get(path)).status == 404
    # Another, cancelled by the organiser; a third, expired.
    await site.login(ORGANISER)
    links = []
    for name in ("Eve", "Fay"):
        made = await site.post("/organise/invitations", {"name": name})
        found = re.search(r"(/invite/[A-Za-z0-9_-]+)", await made.text())
        assert found
        links.append(found.group(1))
    (eve, _) = await site.node.invitations.open(await site.node.members.get(1))  # type: ignore[arg-type]
    cancelled = await followed(site, f"/organise/invitations/{eve.ref}/cancel", {})
    assert "Invitation cancelled" in cancelled and "Open invitations (1)" in cancelled
    assert (await site.client.get(links[0])).status == 404
    assert (await site.client.get(links[1])).status == 200
    clock.advance(15 * DAY)
    assert (await site.client.get(links[1])).status == 404


async def test_the_checklist_ticks_each_step_off_from_the_hubs_real_state(
    office: tuple[Site, ManualClock],
    mail_server: MailServer,  # noqa: F811
) -> None:
    site, _ = office
    node = site.node

    async def todo() -> list[str]:
        dashboard = await page(site, "/dashboard")
        if "Getting the hub ready" not in dashboard:
            return []
        return re.findall(
            r'<a href="([^"]+)">[^<]+</a><span class="visually-hidden"> \(to do\)', dashboard
        )

    # The site's founder already replaced the first-run password; put it back as it was.
    first = await node.db.fetchone("SELECT password_hash FROM members WHERE id = 1")
    await node.checklist._store.put({FIRST_PASSWORD: f"1 {first[0]}"}, node.clock())
    assert await todo() == [
        "/account",
        "/organise/profile",
        "/charter",
        "/organise/email",
        "/organise/peers",
        "/events/new",
        "/organise/health#sealed",
    ]
    changed = await site.post(
        "/account/password", {"current": PASSWORD, "new": "another long password"}
    )
    assert changed.status == 303
    await site.login(ORGANISER, "another long password")
    assert "/account" not in await todo()
    await node.messages.append(
        "hub.profile",
        HubProfile(
            name="Riverside", url="http://127.0.0.1:8080", region="North", description="Us."
        ),
    )
    assert "/organise/profile" in await todo()  # no place yet
    await node.messages.append(
        "hub.profile",
        HubProfile(
            name="Riverside",
            url="http://127.0.0.1:8080",
            region="North",
            area="Riverside ward",
            description="Us.",
        ),
    )
    assert "/organise/profile" not in await todo()
    adopted = await followed(
        site, "/charter", {"version": "2", "title": "Charter", "text": "We agree."}
    )
    assert "Version 2 of the charter is adopted" in adopted
    assert "/charter" not in await todo()
    await followed(
        site,
        "/organise/email",
        {
            "host": "127.0.0.1",
            "port": str(mail_server.port),
            "security": "none",
            "sender": "h@example.org",
        },
    )
    assert "/organise/email" not in await todo()
    await site.client.app[FEDERATION].peers.add(
        "a" * 56,
        "https://northgate.example.org",
        "Northgate",  # type: ignore[arg-type]
    )
    assert await todo() == ["/events/new", "/organise/health#sealed"]
    from tests.web.test_events import EVENT

    assert (await site.post("/events/new", EVENT)).status == 303
    assert await todo() == ["/organise/health#sealed"]
    # The key file beside the database moves to removable media (`hubnet key file`).
    await node.atrest.move_key_file(node.config.data_dir.parent / "usb.key")
    # Everything done: the checklist goes away.
    assert await todo() == []


async def test_a_plain_member_sees_no_application_count(office: tuple[Site, ManualClock]) -> None:
    site, _ = office
    await make_member(site.node, "treasurer@example.org", Role.TREASURER)
    await site.node.members.apply(
        name="New",
        email="new@example.org",
        password=PASSWORD,
        signed_charter=True,
        accepted_privacy=True,
    )
    assert 'Applications <span class="badge">1</span>' in await page(site, "/dashboard")
    await site.logout()
    await site.login("treasurer@example.org")
    assert "/organise/members" not in await page(site, "/dashboard")
