"""Events in a real browser: an organiser creates one, a member says they are coming,
and the network calendar filters by region over other hubs' events."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node import config as settings
from node.accounts.permissions import Role
from node.node import Node
from protocol.envelope import create_message
from protocol.kinds.community import SpeakerOffer
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import HubProfile
from tests.browser.helpers import (
    NARROW,
    WIDE,
    WIDTHS,
    check_accessibility,
    log_in,
    screenshot,
    set_width,
)
from tests.integration.network import Hub, found_network, founded

MEMBER_EMAIL = "ann@example.org"
PASSWORD = "a password for the browser tests"
# Two other hubs, each in its own region, with one event to come.
OTHER_HUBS = (
    (41, "Hilltop", "North", "Hilltop tenants' assembly"),
    (42, "Harbourside", "South", "Harbourside beach clean"),
)


def _key(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


# Riverside founds its network with the other hubs: it shows only members' events.
FOUNDERS = [node_id_from_public_key(_key(n).public_key) for n, *_ in OTHER_HUBS]


def _other_hubs_messages(now_s: int, founders: list[str]) -> tuple[list[bytes], list[bytes]]:
    """Each other hub's founding statement and profile; then its event, signed with that
    hub's own key, in log order."""
    admitted, events = [], []
    for n, name, region, title in OTHER_HUBS:
        key = _key(n)
        found = founded(key, founders, ts=now_s * 1000)
        profile = HubProfile(name=name, url=f"https://{name.lower()}.example", region=region)
        second = create_message(key, "hub.profile", profile, 2, found.id, now_s * 1000)
        starts = now_s + 10 * 86400
        event = EventDetails(
            title=title, starts=starts, ends=starts + 7200, timezone="Europe/London",
            type="public-meeting", visibility="public", place=f"{name} community hall",
        )  # fmt: skip
        third = create_message(key, "event", event, 3, second.id, now_s * 1000)
        admitted += [found.wire, second.wire]
        events.append(third.wire)
        if n == OTHER_HUBS[0][0]:  # Hilltop offers a speaker too
            offer = SpeakerOffer(topics=("tenant organising",), area=f"{region} and beyond")
            events.append(
                create_message(key, "speaker.offer", offer, 4, third.id, now_s * 1000).wire
            )
    return admitted, events


async def _prepare(hub: Hub) -> None:
    """Store the other hubs' messages as if a peer had sent them, and make two accounts."""
    node = await Node.open(settings.load(hub.data_dir))
    try:
        admitted, events = _other_hubs_messages(int(time.time()), [hub.node_id, *FOUNDERS])
        report = await node.messages.ingest(admitted)
        assert all(o.status.value == "stored" for o in report.outcomes), report
        await node.membership.refresh()  # as the running node does once they are stored
        report = await node.messages.ingest(events)
        assert all(o.status.value == "stored" for o in report.outcomes), report
        organiser = await node.members.apply(
            name="Olu Okafor", email="olu@example.org", password=PASSWORD,
            signed_charter=True, accepted_privacy=True, status="active",
        )  # fmt: skip
        await node.members.grant(organiser.id, Role.SECRETARY)
        await node.members.apply(
            name="Ann Lee", email=MEMBER_EMAIL, password=PASSWORD,
            signed_charter=True, accepted_privacy=True, status="active",
        )  # fmt: skip
    finally:
        await node.close()


@pytest.fixture(scope="module")
def events_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A running hub, "Riverside", whose store already holds two other hubs' events."""
    hub = Hub(tmp_path_factory.mktemp("events"), "Riverside")
    found_network([hub], others=FOUNDERS)
    # Playwright's loop counts as running on this thread (conftest.py): use another.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _prepare(hub)).result()
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


def _create_event(page: Page, base: str, title: str) -> str:
    """Fill in the new-event form as an organiser would; the event page's address."""
    page.goto(base + "/calendar")
    page.get_by_role("link", name="New event").click()
    day = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Bring a friend.")
    page.get_by_label("Starts on").fill(day)
    page.locator("#start_time").fill("19:00")
    page.locator("#end_time").fill("21:00")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Kind").select_option(label="Public meeting")
    page.get_by_label("Public: anyone may see it").check()
    page.get_by_label("Place (address)").fill("Riverside Library, 1 High St")
    page.get_by_label("Places (leave empty for no limit)").fill("30")
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    return page.url


def test_organiser_creates_an_event_and_a_member_says_they_are_coming(
    events_hub: Hub, page: Page
) -> None:
    title = "Save the library: public meeting"
    log_in(page, events_hub.url, "olu@example.org", PASSWORD)
    event_url = _create_event(page, events_hub.url, title)
    expect(page.locator("#going")).to_have_text("0 going of 30 places")
    page.get_by_role("button", name="Log out").click()

    log_in(page, events_hub.url, MEMBER_EMAIL, PASSWORD)
    page.goto(events_hub.url + "/calendar")
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(event_url)
    expect(page.locator("#going")).to_have_text("0 going of 30 places")
    page.get_by_role("button", name="I'm coming").click()
    expect(page.locator("#going")).to_have_text("1 going of 30 places")
    expect(page.get_by_text("You are coming.")).to_be_visible()
    page.get_by_role("button", name="I can no longer come").click()
    expect(page.locator("#going")).to_have_text("0 going of 30 places")


def test_member_says_im_coming_to_another_hubs_event_on_a_phone(
    events_hub: Hub, page: Page
) -> None:
    set_width(page, NARROW)
    log_in(page, events_hub.url, MEMBER_EMAIL, PASSWORD)
    page.goto(events_hub.url + "/calendar")
    page.get_by_role("link", name="Hilltop tenants' assembly").click()
    # Riverside's own "I'm coming", not a link to Hilltop's pages.
    expect(page.locator('a[href^="https://hilltop.example"]')).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Discuss \(\d+\)$"))).to_be_visible()
    page.get_by_role("button", name="I'm coming").click()
    expect(page.locator("#going")).to_have_text("1 going (1 from other hubs)")
    expect(page.get_by_text("You are coming.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "event-of-another-hub-coming")
    check_accessibility(page)
    page.get_by_role("button", name="I can no longer come").click()
    expect(page.locator("#going")).to_have_text("0 going")


def test_member_asks_another_hubs_speaker_on_a_phone(events_hub: Hub, page: Page) -> None:
    set_width(page, NARROW)
    log_in(page, events_hub.url, MEMBER_EMAIL, PASSWORD)
    page.goto(events_hub.url + "/speakers")
    page.get_by_role("link", name="Ask for this speaker").click()
    expect(page.get_by_role("heading", level=1, name="Ask for a speaker")).to_be_visible()
    check_accessibility(page)
    day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    page.get_by_label("What should they speak on?").fill("tenant organising")
    page.get_by_label("Date wanted").fill(day)
    page.get_by_label("Time", exact=True).fill("19:00")
    page.get_by_label("Where").fill("Riverside Library")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is on its way.")).to_be_visible()
    expect(page.locator("#answer")).to_have_text("No answer yet.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "speaker-request-sent")
    check_accessibility(page)
    page.get_by_role("link", name="All requests for speakers").click()
    expect(page.get_by_role("link", name="tenant organising")).to_be_visible()
    check_accessibility(page)


def test_network_calendar_filters_other_hubs_events_by_region(events_hub: Hub, page: Page) -> None:
    page.goto(events_hub.url + "/calendar")
    events = page.get_by_role("region", name="Events")
    expect(events).to_contain_text("Hilltop tenants' assembly")
    expect(events).to_contain_text("Harbourside beach clean")

    # The filters are folded away under the events until asked for.
    expect(page.get_by_label("Region")).to_be_hidden()
    page.get_by_text("Filter: region, near, dates").click()
    page.get_by_label("Region").select_option("North")
    page.get_by_role("button", name="Show events").click()
    expect(page).to_have_url(re.compile(r"region=North"))
    expect(events.get_by_role("link", name="Hilltop tenants' assembly")).to_be_visible()
    expect(events).to_contain_text("Hilltop (North)")
    expect(events).not_to_contain_text("Harbourside")

    page.get_by_label("Region").select_option("South")
    page.get_by_role("button", name="Show events").click()
    expect(events.get_by_role("link", name="Harbourside beach clean")).to_be_visible()
    expect(events).not_to_contain_text("Hilltop")


def test_on_a_phone_the_first_event_shows_at_once_and_its_page_says_when_and_where(
    events_hub: Hub, page: Page
) -> None:
    set_width(page, NARROW)
    page.goto(events_hub.url + "/calendar")
    first = page.get_by_role("region", name="Events").get_by_role("article").first
    box = first.bounding_box()
    height = page.viewport_size["height"]  # type: ignore[index]
    assert box is not None and box["y"] + box["height"] <= height, box
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
    screenshot(page, "calendar")
    # "Near" takes a hub's name, offered as you type; no latitude or longitude fields.
    page.get_by_text("Filter: region, near, dates").click()
    expect(page.get_by_label("Latitude")).to_have_count(0)
    page.get_by_label("Near").fill("Hilltop")
    page.get_by_role("button", name="Show events").click()
    expect(page.get_by_role("main")).to_contain_text("We do not know where")  # no coordinates
    expect(page.get_by_label("Near")).to_have_value("Hilltop")
    page.goto(events_hub.url + "/calendar")
    page.get_by_role("link", name="Hilltop tenants' assembly").click()
    block = page.locator(".date-block")
    expect(block).to_be_visible()
    expect(
        page.get_by_role("link", name="Map of Hilltop community hall (OpenStreetMap)")
    ).to_have_attribute("href", "https://www.openstreetmap.org/search?query=Hilltop+community+hall")
    expect(page.get_by_role("link", name="Add to my calendar")).to_have_attribute(
        "href", re.compile(r"/events/[0-9a-f]{64}/event\.ics$")
    )
    expect(page.get_by_label("Link to share")).to_have_value(re.compile(r"/events/[0-9a-f]{64}$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
    check_accessibility(page)
    screenshot(page, "event")
    set_width(page, WIDE)
    screenshot(page, "event")
    page.goto(events_hub.url + "/calendar")
    screenshot(page, "calendar")


@pytest.mark.parametrize("width", WIDTHS)
def test_calendar_event_page_and_event_form_are_accessible(
    events_hub: Hub, page: Page, width: int
) -> None:
    set_width(page, width)
    page.goto(events_hub.url + "/calendar")
    check_accessibility(page)
    page.get_by_role("link", name="Hilltop tenants' assembly").click()
    expect(page.get_by_role("heading", level=1, name="Hilltop tenants' assembly")).to_be_visible()
    check_accessibility(page)
    log_in(page, events_hub.url, "olu@example.org", PASSWORD)
    page.goto(events_hub.url + "/events/new")
    expect(page.get_by_role("heading", level=1, name="New event")).to_be_visible()
    check_accessibility(page)
