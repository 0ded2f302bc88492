"""The hub profile page: organisers say who and where the hub is; pages use its time zone."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node import config as settings
from node.store.peers import PeerStore
from protocol.envelope import Message, create_message
from protocol.kinds.hub import HubProfile
from tests.helpers import key_from
from tests.web.conftest import Site, make_member
from web.rendering import when

FORM = {
    "name": "Riverside",
    "url": "http://127.0.0.1:8080",
    "description": "We meet every Tuesday.",
    "area": "Leeds and Bradford",
    "region": "Yorkshire and The Humber",
    "town": "leeds",
    "meeting_place": "Quaker Meeting House",
    "contact": "hello@riverside.example.org",
    "timezone": "Europe/London",
}


async def _latest_profile(site: Site) -> HubProfile:
    log = await site.node.messages.log(site.node.node_id, 0, 1000)
    body = [m for m in log if m.kind == "hub.profile"][-1].body
    assert isinstance(body, HubProfile)
    return body


async def test_saving_the_profile_publishes_it_with_every_field(site: Site) -> None:
    await site.login("organiser@example.org")
    page = await (await site.client.get("/organise/profile")).text()
    # The network's regions (its founding statement's: the UK's nations and English
    # regions) to choose from, and towns to pick from without typing coordinates.
    for region in ("Yorkshire and The Humber", "Scotland", "Northern Ireland", "London"):
        assert f'<option value="{region}">' in page
    assert '<datalist id="towns">' in page and '<option value="Leeds">' in page
    assert 'id="timezone" name="timezone"' in page and 'value="Europe/London"' in page
    response = await site.submit("/organise/profile", FORM)
    assert response.status == 200
    page = await response.text()
    assert (
        "Profile saved: every hub will see it within a minute." in page and 'value="Leeds"' in page
    )
    body = await _latest_profile(site)
    assert (body.region, body.area, body.description) == (
        "Yorkshire and The Humber",
        "Leeds and Bradford",
        "We meet every Tuesday.",
    )
    # Europe/London is the default: left out, as older nodes know no time zone field.
    assert (body.meeting_place, body.contact, body.timezone) == (
        "Quaker Meeting House",
        "hello@riverside.example.org",
        None,
    )
    # Leeds from the bundled gazetteer, in millionths of a degree.
    assert body.lat is not None and body.lon is not None
    assert abs(body.lat - 53_796_480) < 1000 and abs(body.lon + 1_547_850) < 1000
    # The network's hubs page shows it, and the calendar offers its region.
    hubs = await (await site.client.get("/network/hubs")).text()
    assert "Leeds and Bradford" in hubs and "Quaker Meeting House" in hubs
    assert "hello@riverside.example.org" in hubs
    # On the map: a dot at Leeds linking to the hub, named for screen readers; and the
    # hub listed under its region.
    assert 'aria-label="Map of the UK with 1 member hub"' in hubs
    assert '<a href="http://127.0.0.1:8080" aria-label="Riverside, Leeds and Bradford">' in hubs
    assert re.search(r'<h3 id="region-\d+">Yorkshire and The Humber</h3>', hubs)
    calendar = await (await site.client.get("/calendar")).text()
    assert '<option value="Yorkshire and The Humber"' in calendar
    # "Near a hub" measures from the town the hub chose.
    near = await site.client.get(f"/calendar?near_hub={site.node.node_id}&radius=50")
    assert near.status == 200
    assert "has not said where it is" not in await near.text()


async def test_an_unknown_town_is_refused_beside_the_field_with_close_matches(
    site: Site,
) -> None:
    await site.login("organiser@example.org")
    before = await _latest_profile(site)
    response = await site.post("/organise/profile", {**FORM, "town": "Leads", "region": "Atlantis"})
    assert response.status == 400
    page = await response.text()
    town = re.search(r'<p class="field-error" id="town-error">([^<]*)</p>', page)
    assert town and "Leads" in town[1] and "Did you mean: Leeds" in town[1]
    assert 'aria-describedby="town-error"' in page
    assert 'id="region-error">Choose a region from the list.' in page
    # What was typed is kept.
    assert 'value="Leads"' in page and 'value="Leeds and Bradford"' in page
    assert await _latest_profile(site) == before


async def test_a_new_name_and_address_are_published_and_kept_in_the_config(site: Site) -> None:
    await site.login("organiser@example.org")
    response = await site.submit(
        "/organise/profile",
        {**FORM, "name": "Riverside Hub", "url": "http://riverside.example:8080"},
    )
    assert response.status == 200
    body = await _latest_profile(site)
    assert (body.name, body.url) == ("Riverside Hub", "http://riverside.example:8080")
    config = settings.load(site.node.config.data_dir, environ={})
    assert (config.name, config.url) == ("Riverside Hub", "http://riverside.example:8080")
    page = await (await site.client.get("/organise/profile")).text()
    assert "<title>Hub profile · Riverside Hub</title>" in page
    # A bad address is refused beside its field.
    response = await site.post("/organise/profile", {**FORM, "url": "riverside"})
    assert response.status == 400
    assert 'id="url-error"' in await response.text()


async def test_times_are_shown_and_taken_in_the_hubs_zone(site: Site) -> None:
    await site.login("organiser@example.org")
    response = await site.submit("/organise/profile", {**FORM, "timezone": "America/New_York"})
    assert response.status == 200
    new_york = zoneinfo.ZoneInfo("America/New_York")
    day = (dt.datetime.now(new_york) + dt.timedelta(days=10)).date()
    member = await make_member(site.node, "treasurer@example.org")
    assert member
    page = await (await site.client.get("/polls")).text()
    assert "America/New York time" in page
    response = await site.submit(
        "/polls",
        {
            "title": "Paint the door?",
            "body": "Green.",
            "kind": "yes-no",
            "options": "",
            "quorum": "25",
            "closes": f"{day.isoformat()}T19:30",
        },
    )
    page = await response.text()
    assert response.status == 200, page
    closes = dt.datetime(day.year, day.month, day.day, 19, 30, tzinfo=new_york)
    [poll] = [p for p in await site.node.funds.polls() if p.title == "Paint the door?"]
    assert poll.closes_at == int(closes.timestamp()) * 1000
    shown = f"{day.day} {closes:%b %Y}, 19:30 {closes.tzname()}"  # "12 Dec 2026, 19:30 EST"
    assert shown in page


def test_a_time_is_shown_with_the_zones_abbreviation() -> None:
    winter = int(dt.datetime(2026, 12, 3, 19, 30, tzinfo=dt.UTC).timestamp() * 1000)
    summer = int(dt.datetime(2026, 7, 3, 18, 30, tzinfo=dt.UTC).timestamp() * 1000)
    # Outside a request, and on a hub that chose no zone: Europe/London.
    assert when(winter) == "3 Dec 2026, 19:30 GMT"
    assert when(summer) == "3 Jul 2026, 19:30 BST"


async def test_only_organisers_who_run_the_hub_reach_the_profile_page(site: Site) -> None:
    await make_member(site.node, "plain@example.org")
    await site.login("plain@example.org")
    assert (await site.client.get("/organise/profile")).status == 403
    assert (await site.post("/organise/profile", FORM)).status == 403


async def test_a_peer_moves_only_by_its_own_newer_profile(site: Site) -> None:
    north, south = key_from(3), key_from(4)
    joined = await site.admit(north, south)
    peers = PeerStore(site.node.db, site.node.clock)
    ids = [node_id_from_public_key(k.public_key) for k in (north, south)]
    for node_id, url in zip(ids, ("http://north.example", "http://south.example"), strict=True):
        await peers.add(node_id, url, None)
    now = site.node.clock()

    def profile(key: SigningKey, seq: int, prev: bytes, url: str) -> Message:
        return create_message(key, "hub.profile", HubProfile(name="N", url=url), seq, prev, now)

    first = profile(north, 2, joined[0].id, "http://north.example")
    moved = profile(north, 3, first.id, "http://north.example:8443/")
    await site.node.messages.ingest([first.wire, moved.wire])
    await site.node.hubs()  # the hubs projection has caught up
    north_peer, south_peer = [await peers.get(i) for i in ids]
    assert north_peer is not None and north_peer.url == "http://north.example:8443"
    assert south_peer is not None and south_peer.url == "http://south.example"
    # The older profile again (relayed late) changes nothing: only a higher seq moves it.
    await site.node.messages.ingest([first.wire])
    await site.node.hubs()
    again = await peers.get(ids[0])
    assert again is not None and again.url == "http://north.example:8443"


async def test_the_profile_page_is_small_and_takes_any_town_or_zone_by_name(site: Site) -> None:
    # The page lists the 300 largest towns and Europe's zones, not all 1,908 and 490:
    # under the 60 KB a page may weigh on a phone. Any other town or zone typed in full
    # is still taken, and a zone nobody knows is refused beside its field.
    await site.login("organiser@example.org")
    page = await (await site.client.get("/organise/profile")).text()
    assert len(page.encode()) < 60_000, len(page.encode())
    assert '<option value="Abbey Wood">' not in page  # a small place: typed, not listed
    saved = await site.submit(
        "/organise/profile", {**FORM, "town": "abbey wood", "timezone": "Asia/Kolkata"}
    )
    assert saved.status == 200, await saved.text()
    body = await _latest_profile(site)
    assert body.timezone == "Asia/Kolkata" and body.lat is not None and body.lat // 1_000_000 == 51
    refused = await site.post("/organise/profile", {**FORM, "timezone": "Mars/Olympus"})
    assert refused.status == 400
    text = await refused.text()
    assert 'id="timezone-error"' in text and "not a time zone this node knows" in text
    assert 'value="Mars/Olympus"' in text  # kept as typed
