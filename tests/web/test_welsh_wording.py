"""What the services say, in the reader's language: a refusal with values in it, a
notice and its email (a real SMTP server, aiosmtpd, on loopback), the motion page and
the feeds for a Welsh-speaking member; and an event's co-hosts named in plain words."""

from __future__ import annotations

import re
from html import unescape

import feedparser
import vobject

from node.accounts.permissions import Role
from node.community.hubs import hub_name
from node.governance.terms import moment
from node.wording import Term, Wording
from protocol.kinds.campaign import Campaign, CampaignUpdate
from tests.helpers import ManualClock
from tests.unit.test_notices import MailServer
from tests.web.conftest import Site, make_member
from tests.web.test_assembly import CLOSES, NOW, elect, hub, ingest, members
from tests.web.test_email_confirmation import (
    application,
    body,
    link_in,
    mail_server,
    mail_to,
    mailing,
)
from tests.web.test_events import EVENT, _create
from web import i18n
from web.wording import said

__all__ = ["hub", "mail_server", "mailing"]  # fixtures


async def _page(site: Site, path: str) -> str:
    response = await site.client.get(path)
    assert response.status == 200, path
    return unescape(await response.text())


async def test_a_welsh_speaking_delegate_reads_refusals_notices_email_and_motions_in_welsh(
    hub: tuple[Site, ManualClock], mail_server: MailServer
) -> None:
    site, _ = hub
    await site.login("organiser@example.org")
    email = {"host": "127.0.0.1", "port": str(mail_server.port), "security": "none"}
    assert (await site.post("/organise/email", email | {"sender": "hub@example.org"})).status == 303
    [north] = await members(site, (1, "Northgate"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=2)
    await ingest(site, *north.first, north.own_mandate, motion)
    await elect(site, "del@example.org")
    await make_member(site.node, "ann@example.org", Role.SECRETARY)
    await site.login("del@example.org")
    await site.submit("/account/language", {"language": "cy"})

    # A refusal with a value in it (here a word of the service's own) is in Welsh.
    refused = await site.post("/discussions", {"category": "general", "title": "", "text": "x"})
    assert refused.status == 400
    assert "Ysgrifennwch y teitl yn gyntaf." in unescape(await refused.text())

    # The delegate is told of the motion in Welsh, in the app and by email.
    assert await site.node.delegates.tell_due() == 1
    tabled = (
        "Mae Northgate wedi cyflwyno cynnig (Cynulliad cenedlaethol): “Join the national"
        " day of action”. Bydd yn mynd i bleidlais pan fydd 2 hwb wedi'i eilio."
    )
    assert tabled in await _page(site, "/notices")
    (told,) = await mail_to(mail_server, "del@example.org")
    text = body(told)
    assert tabled in text and "rydych chi'n cael yr e-bost hwn am eich bod yn aelod" in text
    assert "/network/motions/" in text
    # Members told the same thing at once read it each in their own language.
    by_email = {m.email: m.id for m in await site.node.members.by_status("active")}
    # 15 January 2026, midnight in London: the hub's zone, GMT then.
    closes = moment(1_768_435_200_000)
    voting = Wording(
        "Voting is open: Election: %(role)s. It closes %(closes)s.",
        {"role": Term("Chair"), "closes": closes},
    )
    both = [by_email["ann@example.org"], by_email["del@example.org"]]
    await site.node.notices.notify(both, voting)
    welsh = "Mae'r pleidleisio ar agor: Etholiad: Cadeirydd. Mae'n cau ar 15 Ionawr 2026"
    assert welsh + " am 00:00 GMT." in await _page(site, "/notices")
    [english] = await site.node.notices.recent(by_email["ann@example.org"])
    assert english.text.endswith("Chair. It closes 15 January 2026 at 00:00 GMT.")

    # The motion's page: how it is decided and where it stands, in Welsh.
    page = await _page(site, f"/network/motions/{motion.id.hex()}")
    assert "Mae'n mynd i bleidlais pan fydd 2 hwb heblaw'r un a'i cyflwynodd" in page
    assert "Y rheol benderfynu yw mwyafrif syml" in page
    assert "Hyd yma: heb ei eilio (0 o 2 eiliad)" in page
    assert "yn aros am eiliadau tan" in page and "Cynulliad cenedlaethol" in page


async def test_an_event_page_names_its_co_hosts_in_plain_words(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    north, oak = await members(site, (1, "Northgate"), (2, "Oakfield"))
    await ingest(site, *north.first, *oak.first)
    await site.login("organiser@example.org")
    created = await site.post(
        "/events/new",
        {**EVENT, "cohosts": [north.node_id, oak.node_id]},  # type: ignore[dict-item]
    )
    assert created.status == 303
    where = created.headers["Location"]
    page = await _page(site, where)
    assert "<dt>Hosted by</dt>" in page
    assert '<dd id="hosts">Riverside with Northgate and Oakfield</dd>' in page
    await site.submit("/account/language", {"language": "cy"})
    page = await _page(site, where)
    assert "<dt>Cynhelir gan</dt>" in page
    assert '<dd id="hosts">Riverside gyda Northgate ac Oakfield</dd>' in page
    # An event of this hub alone says who organises it, as before.
    alone = (await site.post("/events/new", EVENT)).headers["Location"]
    assert '<dd id="hosts">Riverside</dd>' in await _page(site, alone)


async def test_feeds_speak_their_subscribers_language_or_else_the_hubs(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site)
    await site.post(f"/events/{event_id}/rsvp")
    await site.submit("/account/language", {"language": "cy"})
    page = await (await site.submit("/account/calendar-feed")).text()
    url = re.search(r"<code>http://[^/]+(/calendar/mine/[^<]+\.ics)</code>", page)
    assert url
    campaign = await site.node.messages.append(
        "campaign", Campaign(title="Save the library", summary="Keep it open", status="active")
    )
    await site.node.messages.append(
        "campaign.update", CampaignUpdate(campaign=campaign.id, text="We won a delay")
    )
    await site.logout()  # a calendar app or feed reader sends no cookie

    mine = vobject.readOne(await (await site.client.get(url.group(1))).text())
    assert mine.x_wr_calname.value == "Fy nigwyddiadau (Riverside)"
    assert mine.vevent.categories.value == ["Cyfarfod cyhoeddus"]
    network = vobject.readOne(await (await site.client.get("/calendar.ics")).text())
    assert network.x_wr_calname.value == "Network calendar (Riverside)"  # the hub's: English
    await site.login("organiser@example.org")
    await site.submit("/organise/profile/language", {"language": "cy"})
    await site.logout()
    feed = feedparser.parse(await (await site.client.get("/feeds/campaigns.atom")).read())
    assert feed.feed.title == "Ymgyrchoedd ar draws y rhwydwaith"
    assert [e.title for e in feed.entries] == [
        "Diweddariad: Save the library",
        "Save the library",
    ]


async def test_a_visitor_who_joins_in_welsh_is_emailed_in_welsh_and_stays_welsh(
    mailing: tuple[Site, MailServer, ManualClock],
) -> None:
    site, server, _ = mailing
    await site.client.get("/language?to=cy&back=/join")
    await site.submit("/join", application("newcomer@example.org", "Newydd"))
    (confirm,) = await mail_to(server, "newcomer@example.org")
    assert confirm["Subject"] == "Riverside: cadarnhewch eich cais i ymuno"
    assert "I anfon eich cais i ymuno â Riverside, dilynwch y ddolen hon" in body(confirm)
    # Their choice is kept on their account: the organiser who approves them reads
    # English, and they are told in Welsh.
    assert (await site.post(link_in(confirm))).status == 303
    await site.login("organiser@example.org")
    assert "Approve" in await (await site.client.get("/organise/members")).text()
    [applicant] = await site.node.members.by_status("applied")
    assert applicant.language == "cy"
    response = await site.post(f"/organise/members/{applicant.id}/approve", {})
    assert response.status == 303
    _, approved = await mail_to(server, "newcomer@example.org", 2)
    assert approved["Subject"] == "Riverside: Rydych chi'n aelod"
    assert "Mae eich cais i ymuno â Riverside wedi'i gymeradwyo: croeso!" in body(approved)


async def test_a_campaigns_status_is_in_welsh_and_an_unheard_of_hub_is_no_id(site: Site) -> None:
    started = await site.node.messages.append(
        "campaign", Campaign(title="Save the library", summary="Keep it open", status="active")
    )
    await site.login("organiser@example.org")
    await site.submit("/account/language", {"language": "cy"})
    page = await _page(site, f"/campaigns/{started.id.hex()}")
    assert "Dechreuwyd gan Riverside" in page and "statws: <strong>ar waith</strong>" in page
    # A hub whose profile has not arrived is "a hub" (in Welsh, "hwb"), never part of its id.
    unheard = "a" * 56
    assert hub_name({}, unheard) == "a hub"
    welsh = i18n.use_for("cy")
    try:
        assert said(hub_name({}, unheard)) == "hwb" and said("Northgate") == "Northgate"
    finally:
        i18n.restore(welsh)
