"""An event's page as a member sees it: when and where at a glance, one event for a
calendar app, a link to share, a step before cancelling; the calendar events first."""

from __future__ import annotations

import re

import icalendar

from crypto.ed25519 import SigningKey
from protocol.envelope import create_message
from protocol.kinds.hub import HubProfile
from tests.helpers import T0
from tests.web.conftest import Site
from tests.web.test_events import EVENT, _create


async def test_event_page_has_a_date_block_a_map_a_calendar_file_and_a_link_to_share(
    site: Site,
) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site)
    page = await (await site.client.get(f"/events/{event_id}")).text()
    block = re.search(r'<p class="date-block">(.*?)</p>', page, re.S)
    assert block and re.sub(r"<[^>]+>", " ", block.group(1)).split() == ["Mar", "30", "Sat"]
    assert "Saturday, 19:00–21:00 GMT" in page
    assert "https://www.openstreetmap.org/?mlat=51.500000&amp;mlon=-0.120000" in page
    assert f'value="{site.node.config.url.rstrip("/")}/events/{event_id}"' in page
    assert "Discuss (0)" in page
    # Cancelling is a link to a page that asks first, not a button under "I'm coming".
    assert f'action="/events/{event_id}/cancel"' not in page

    response = await site.client.get(f"/events/{event_id}/event.ics")
    assert response.status == 200 and response.content_type == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    [vevent] = icalendar.Calendar.from_ical(await response.text()).walk("VEVENT")
    assert str(vevent["summary"]) == EVENT["title"]
    start = vevent.decoded("dtstart")
    assert (start.hour, str(start.tzinfo)) == (19, "Europe/London")
    assert str(vevent["url"]).endswith(f"/events/{event_id}")


async def test_a_place_without_coordinates_links_to_a_map_search(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site, lat="", lon="", place="Riverside Library, High St")
    page = await (await site.client.get(f"/events/{event_id}")).text()
    assert "https://www.openstreetmap.org/search?query=Riverside+Library%2C+High+St" in page
    assert "mlat=" not in page


async def test_cancelling_asks_first_then_every_hub_shows_it_cancelled(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site)
    ask = await site.client.get(f"/events/{event_id}/cancel")
    text = await ask.text()
    assert ask.status == 200 and "Cancel “Save the library: public meeting”?" in text
    assert f'action="/events/{event_id}/cancel"' in text and "No, keep it" in text
    assert "cancelled" not in (await (await site.client.get(f"/events/{event_id}")).text())
    await site.post(f"/events/{event_id}/cancel", {"reason": "Venue flooded"})
    assert "This event is cancelled." in await (await site.client.get(f"/events/{event_id}")).text()
    assert (await site.client.get(f"/events/{event_id}/cancel")).status == 404


async def test_calendar_shows_events_first_and_near_takes_a_town_or_hub_name(site: Site) -> None:
    north = SigningKey(b"\x03" * 32)
    [found] = await site.admit(north)
    profile = HubProfile(
        name="Northgate", url="http://n.example", region="North", area="Leeds",
        lat=53_800_000, lon=-1_550_000,
    )  # fmt: skip
    message = create_message(north, "hub.profile", profile, 2, found.id, T0 + 2)
    await site.node.messages.ingest([message.wire])
    await site.login("organiser@example.org")
    await _create(site, title="London rally", lat="51.51", lon="-0.13")
    await _create(site, title="Leeds picket", lat="53.80", lon="-1.54")

    page = await (await site.client.get("/calendar")).text()
    # The filters are one folded line above the events; no form field comes before them.
    assert '<details class="filters-fold">\n<summary>Filter: region, near, dates' in page
    assert "<input" not in page[page.index("<main") : page.index("<details")]
    assert "<details" in page and "near_lat" not in page and "Latitude" not in page
    assert '<option value="Leeds">' in page and '<option value="Northgate">' in page
    titles = re.compile(r'<a href="/events/[0-9a-f]+">([^<]+)</a>')
    for near in ("Leeds", "northgate"):
        found_page = await (await site.client.get(f"/calendar?near={near}&radius=500")).text()
        assert titles.findall(found_page) == ["Leeds picket", "London rally"], near
        assert '<details class="filters-fold" open>' in found_page
    unknown = await site.client.get("/calendar?near=Atlantis")
    assert unknown.status == 400
    assert "We do not know where “Atlantis” is: choose a place" in await unknown.text()
    assert 'value="Atlantis"' in await unknown.text()
