"""The delegate's work and the charter across the network, through the real app: notices
to the delegate (once per motion and step, across a restart), the delegate's page, a
sealed vote whose secret is lost, endorsements (who may record them, the badge, the
withdrawal) and another hub's adopted charter."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node.accounts.permissions import Role
from node.network.delegates import DelegateWork
from protocol.kinds.hub import CharterAdopt, CharterEndorse, CharterEndorseWithdraw
from tests.assembly import DAY
from tests.helpers import ManualClock
from tests.web.conftest import PASSWORD, Site, clocked_site, make_member
from tests.web.test_assembly import NOW, elect, ingest, members, witnessed

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def hub(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    site, clock = await clocked_site(
        tmp_path, aiohttp_client, monkeypatch, ManualClock(NOW * 1000), HUBNET_WITNESS_DELAY_MS="0"
    )
    # The test calls `tell_due` itself, so each step is seen exactly when it happens.
    await site.node.delegates.stop()
    yield site, clock


async def notices_of(site: Site, email: str) -> list[str]:
    member = await site.node.members.authenticate(email, PASSWORD)
    assert member is not None
    return [n.text for n in await site.node.notices.recent(member.id)]


async def test_delegate_is_told_of_a_motion_once_per_step_even_after_a_restart(
    hub: tuple[Site, ManualClock],
) -> None:
    site, clock = hub
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    await elect(site)
    motion = north.motion(at=NOW, closes=NOW + 3 * DAY, seconds_needed=1, title="Rent caps now")
    await ingest(site, *north.first, north.own_mandate, *south.first, south.own_mandate, motion)
    work = site.node.delegates

    assert await work.tell_due() == 1
    assert await work.tell_due() == 0
    told = await notices_of(site, "del@example.org")
    assert told == [
        "Northgate tabled a motion in the National assembly: “Rent caps now”. "
        "It goes to the vote once 1 hub has seconded it."
    ]

    await ingest(site, south.second(motion, at=NOW + 10))
    await witnessed(site, north, south)
    assert await work.tell_due() == 1
    told = await notices_of(site, "del@example.org")
    assert told[0].startswith("“Rent caps now” (National assembly) is open for your vote until")

    # A node started afresh holds only what its database says was sent.
    restarted = DelegateWork(site.node.assembly, site.node.notices, site.node.clock)
    assert await restarted.tell_due() == 0

    clock.advance(2 * DAY * 1000 + 60_000)  # less than a day before the close
    assert await restarted.tell_due() == 1
    assert await work.tell_due() == 0
    told = await notices_of(site, "del@example.org")
    assert told[0].startswith("Reminder: “Rent caps now” (National assembly) closes on")
    assert len(told) == 3

    # The delegate's page lists it as a vote to cast, with its deadline.
    await site.login("del@example.org")
    page = await (await site.client.get("/network/delegate")).text()
    assert "Votes to cast (1)" in page and "Rent caps now" in page and "Vote by " in page


async def test_a_hub_that_has_voted_gets_no_reminder(hub: tuple[Site, ManualClock]) -> None:
    site, clock = hub
    [north] = await members(site, (1, "Northgate"))
    motion = north.motion(at=NOW, closes=NOW + 3 * DAY, seconds_needed=1, title="Libraries")
    await ingest(site, *north.first, north.own_mandate, motion)
    await elect(site)
    await site.login("del@example.org")
    url = f"/network/motions/{motion.id.hex()}"
    await site.post(f"{url}/second")
    await witnessed(site, north)
    await site.post(f"{url}/vote", {"choice": "For"})
    clock.advance(2 * DAY * 1000 + 60_000)
    await site.node.delegates.tell_due()
    await site.login("del@example.org")  # two days on, the session has lapsed
    told = await notices_of(site, "del@example.org")
    assert len(told) == 1 and "tabled a motion" in told[0]  # nothing asks for a vote
    page = await (await site.client.get("/network/delegate")).text()
    assert "Votes to cast (0)" in page and "No motion is waiting for this hub's vote" in page


async def test_delegate_page_is_for_those_who_act_for_the_hub(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    await make_member(site.node, "plain@example.org")
    await site.login("plain@example.org")
    assert (await site.client.get("/network/delegate")).status == 403


async def test_a_sealed_vote_whose_secret_is_lost_is_reported_not_dropped(
    hub: tuple[Site, ManualClock],
) -> None:
    site, clock = hub
    [north] = await members(site, (1, "Northgate"))
    motion = north.motion(at=NOW, closes=NOW + DAY, seconds_needed=1, sealed=True)
    await ingest(site, *north.first, north.own_mandate, motion)
    await elect(site)
    await make_member(site.node, "sec@example.org", Role.SECRETARY)
    await site.login("del@example.org")
    url = f"/network/motions/{motion.id.hex()}"
    await site.post(f"{url}/second")
    await witnessed(site, north)
    await site.post(f"{url}/vote", {"choice": "Against"})
    await witnessed(site, north)
    async with site.node.db.write() as conn:  # as a restore from an older backup would
        await conn.execute("DELETE FROM vote_secrets")
    clock.advance(DAY * 1000 + 1000)
    assert await site.node.assembly.reveal_due() == []  # nothing to reveal with, no crash
    await site.node.delegates.tell_due()
    for email in ("del@example.org", "sec@example.org"):
        told = await notices_of(site, email)
        assert any("sealed vote on" in t and "cannot be revealed" in t for t in told), told
    await site.login("del@example.org")  # a day on, the session has lapsed
    page = await (await site.client.get("/network/delegate")).text()
    assert "Sealed votes to reveal (1)" in page
    assert "the node no longer holds its secret" in page


# -- the charter across the network ------------------------------------------------


ORG = 'Tenants <&> "United"'


async def test_only_organisers_record_endorsements(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    await make_member(site.node, "plain@example.org")
    await site.login("plain@example.org")
    form = {"organisation": "A union", "kind": "union", "date": "2026-01-01"}
    assert (await site.post("/network/charter/endorsements", form)).status == 403
    assert (await site.client.get("/network/charter/endorsements/new")).status == 403


async def test_a_refused_endorsement_keeps_the_form_and_says_which_field(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    await site.login("organiser@example.org")
    form = {"organisation": "Riverside Union", "kind": "union", "date": "2026-01-01"}
    response = await site.post(
        "/network/charter/endorsements", form | {"website": "tenants.example.org"}
    )
    assert response.status == 400
    page = await response.text()
    assert 'id="website-error"' in page and "starting https://" in page
    assert 'value="Riverside Union"' in page and 'value="tenants.example.org"' in page


async def test_endorsement_badge_withdrawal_and_another_hubs_endorsement(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    await site.login("organiser@example.org")
    form = {
        "organisation": ORG,
        "kind": "union",
        "date": "2026-01-01",
        "website": "https://tenants.example.org",
        "statement": "Homes for all.",
    }
    response = await site.post("/network/charter/endorsements", form)
    assert response.status == 303, await response.text()
    path = response.headers["Location"].split("?")[0]
    endorsement_id = path.rsplit("/", 1)[1]
    page = await (await site.client.get(response.headers["Location"])).text()
    assert "Recorded, and sent to the network&#39;s hubs." in page
    assert "Recorded by</dt><dd>Riverside" in page
    snippet = html.unescape(
        page.split('id="snippet" rows="4" readonly>')[1].split("</textarea>")[0]
    )
    assert f"/charter/endorsements/{endorsement_id}/badge.svg" in snippet
    assert ET.fromstring(snippet).tag == "a"  # well formed, the name escaped

    # The badge: valid SVG, the name escaped, an accessible title, cacheable.
    await site.logout()
    badge = await site.client.get(f"/charter/endorsements/{endorsement_id}/badge.svg")
    assert badge.content_type == "image/svg+xml"
    assert "max-age" in badge.headers["Cache-Control"]
    svg = ET.fromstring(await badge.text())
    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == f"{ORG} endorses the Test network charter"
    again = await site.client.get(
        f"/charter/endorsements/{endorsement_id}/badge.svg",
        headers={"If-None-Match": badge.headers["ETag"]},
    )
    assert again.status == 304

    # Another member hub's endorsement shows with the hub that recorded it; a withdrawal
    # of it by a hub that did not record it changes nothing.
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    network = site.node.membership.network
    assert network is not None
    theirs = north.send(
        "charter.endorse",
        CharterEndorse(
            network=network, organisation="Green Party", kind="party", date="2026-02-02"
        ),
        NOW,
    )
    forged = south.send(
        "charter.endorse.withdraw", CharterEndorseWithdraw(endorsement=theirs.id), NOW + 1
    )
    await ingest(site, *north.first, north.own_mandate, theirs)
    await ingest(site, *south.first, south.own_mandate, forged)
    listing = await (await site.client.get("/network/charter/endorsements")).text()
    assert "<h2>Unions (1)</h2>" in listing and "<h2>Parties (1)</h2>" in listing
    assert "Green Party" in listing and "recorded by Northgate" in listing
    assert (
        "Tenants &lt;&amp;&gt; &#34;United&#34;" in listing and "recorded by Riverside" in listing
    )

    # This hub withdraws its own; the badge then says so and the list leaves it out.
    await site.login("organiser@example.org")
    response = await site.post(f"{path}/withdraw", {"reason": "Asked to."})
    assert response.status == 303 and response.headers["Location"] == path
    page = await (await site.client.get(path)).text()
    assert "This endorsement is withdrawn." in page
    assert "Endorsement withdrawn: the network&#39;s hubs will show it as withdrawn." in page
    svg = ET.fromstring(
        await (await site.client.get(f"/charter/endorsements/{endorsement_id}/badge.svg")).text()
    )
    title = svg.find(f"{SVG}title")
    assert title is not None and "withdrawn" in (title.text or "")
    listing = await (await site.client.get("/network/charter/endorsements")).text()
    assert "<h2>Unions" not in listing and "Green Party" in listing
    # Only the hub that recorded it may withdraw it.
    theirs_path = f"/network/charter/endorsements/{theirs.id.hex()}/withdraw"
    assert (await site.post(theirs_path)).status == 403


async def test_another_hubs_adopted_charter_is_readable_from_the_hubs_listing(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    [north] = await members(site, (1, "Northgate"))
    adopt = north.send(
        "charter.adopt",
        CharterAdopt(version="2.1", title="Northgate's charter", text="We organise.\n\nTogether."),
        NOW,
    )
    await ingest(site, *north.first, north.own_mandate, adopt)
    await site.login("organiser@example.org")
    listing = await (await site.client.get("/network/hubs")).text()
    link = f"/network/charters/{adopt.id.hex()}"
    assert link in listing and "Northgate's charter</a>" in listing
    assert "Riverside's charter" not in listing  # this hub adopted none yet
    await site.logout()
    page = await (await site.client.get(link)).text()
    assert "Northgate adopted version 2.1" in page
    assert "<p>We organise.</p><p>Together.</p>" in page
