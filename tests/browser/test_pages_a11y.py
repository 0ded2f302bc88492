"""Every main page is well formed, passes axe, fits a phone, and is photographed at two widths.

The hub is given something to show first: its own announcement, an application
waiting for approval and a peer, so that the dashboard's news, the members'
tables with their buttons and the peers' table are all on the pages checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.browser.helpers import (
    NARROW,
    WIDE,
    WIDTHS,
    Applicant,
    Organiser,
    apply_to_join,
    check_accessibility,
    log_in,
    screenshot,
    set_width,
    unlabelled_fields,
)
from tests.integration.network import Hub, found_network

PUBLIC_PAGES = [
    ("public", "/"),
    ("join", "/join"),
    ("login", "/login"),
    ("charter", "/charter"),
    ("network", "/network"),
    ("motions", "/network/motions"),
    ("campaigns", "/campaigns"),
    ("library", "/library"),
    ("directory", "/directory"),
    ("search", "/search?q=meeting"),
    ("unlock", "/unlock"),
]
ORGANISER_PAGES = [
    ("dashboard", "/dashboard"),
    ("account", "/account"),
    ("members", "/organise/members"),
    ("peers", "/organise/peers"),
    ("exchange", "/organise/exchange"),
    ("health", "/organise/health"),
    ("lock", "/organise/lock"),
    ("funds", "/funds"),
    ("budget", "/budget"),
    ("polls", "/polls"),
    ("roles", "/roles"),
    ("elections", "/elections"),
    ("election-new", "/elections/new"),
    ("notices", "/notices"),
    ("charter-adopt", "/charter"),
    ("motion-new", "/network/motions/new"),
    ("discussions", "/discussions"),
    ("groups", "/groups"),
    ("moderation", "/moderation"),
    ("speakers", "/speakers"),
    ("mutual-aid", "/mutual-aid"),
    ("hub-profile", "/organise/profile"),
    ("network-hubs", "/network/hubs"),
]


@pytest.fixture(scope="module")
def seeded_hub(
    hub: Hub, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hub]:
    """Riverside with an announcement of its own, one application waiting, and a peer.

    The peer, Northgate, founds one network with Riverside: hubs take only their
    network's members' messages.
    """
    northgate = Hub(tmp_path_factory.mktemp("northgate"), "Northgate")
    found_network([hub, northgate])
    northgate.start()
    try:
        hub.peer_with(northgate)
        hub.cli("announce", "--title", "Public meeting", "Thursday at 7 in the **library**.")
        context = browser.new_context()
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        try:
            applicant = Applicant("Bea Kaur", "bea@example.org", "", "bea's password")
            apply_to_join(context.new_page(), hub.url, applicant)
        finally:
            context.close()
        yield hub
    finally:
        northgate.stop()


@pytest.fixture(scope="module")
def organiser_context(
    seeded_hub: Hub, organiser_account: Organiser, browser: Browser
) -> Iterator[BrowserContext]:
    """A browser context where the organiser is logged in, shared by this module's tests."""
    context = browser.new_context(viewport={"width": WIDE, "height": 800})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, seeded_hub.url, organiser_account.email, organiser_account.password)
        expect(page.get_by_role("heading", level=1, name=re.compile("^Welcome"))).to_be_visible()
        page.close()
        yield context
    finally:
        context.close()


@pytest.fixture
def organiser_page(organiser_context: BrowserContext) -> Iterator[Page]:
    page = organiser_context.new_page()
    try:
        yield page
    finally:
        page.close()


def check_page(page: Page, name: str) -> None:
    """What every page must be, checked at both widths, screenshots first so failures have them."""
    expect(page).to_have_title(re.compile(r"\S.* · Riverside$"))
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_be_visible()
    assert unlabelled_fields(page) == [], "form fields without a <label>"
    for field in page.locator("input:not([type=hidden]), textarea, select").all():
        expect(field).to_have_accessible_name(re.compile(r"\S"))
    for width in WIDTHS:
        set_width(page, width)
        screenshot(page, name)
    for width in WIDTHS:
        set_width(page, width)
        check_accessibility(page)
    set_width(page, NARROW)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"at {NARROW} px the page is {overflow} px wider than the screen"


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES, ids=[n for n, _ in PUBLIC_PAGES])
def test_public_page_is_well_formed_and_accessible(
    seeded_hub: Hub, page: Page, name: str, path: str
) -> None:
    response = page.goto(seeded_hub.url + path)
    assert response is not None and response.status == 200
    check_page(page, name)


@pytest.mark.parametrize(("name", "path"), ORGANISER_PAGES, ids=[n for n, _ in ORGANISER_PAGES])
def test_logged_in_page_is_well_formed_and_accessible(
    seeded_hub: Hub, organiser_page: Page, name: str, path: str
) -> None:
    response = organiser_page.goto(seeded_hub.url + path)
    assert response is not None and response.status == 200
    check_page(organiser_page, name)


def test_seeded_content_is_on_the_pages_checked(seeded_hub: Hub, organiser_page: Page) -> None:
    # Without these the checks above would pass over empty tables and no news.
    organiser_page.goto(seeded_hub.url + "/dashboard")
    expect(organiser_page.get_by_role("heading", level=3, name="Public meeting")).to_be_visible()
    organiser_page.goto(seeded_hub.url + "/organise/members")
    expect(organiser_page.get_by_role("button", name="Approve Bea Kaur")).to_be_visible()
    organiser_page.goto(seeded_hub.url + "/organise/peers")
    expect(organiser_page.get_by_role("button", name="Block Northgate")).to_be_visible()


def test_invite_with_its_qr_code_is_well_formed_and_accessible(
    seeded_hub: Hub, organiser_page: Page
) -> None:
    organiser_page.goto(seeded_hub.url + "/organise/peers")
    organiser_page.get_by_role("button", name="Make an invite").click()
    invite = organiser_page.get_by_role("status")
    expect(invite).to_contain_text("hubnet://invite?")
    qr = invite.get_by_role("img", name="The same invite as a QR code")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code did not load"
    check_page(organiser_page, "peers-invite")


def test_a_refused_bundle_is_shown_beside_its_field_and_accessible(
    seeded_hub: Hub, organiser_page: Page, tmp_path: Path
) -> None:
    organiser_page.goto(seeded_hub.url + "/organise/exchange")
    stick = tmp_path / "holiday photos.hubnet"
    stick.write_bytes(b"not a bundle at all" * 10)
    organiser_page.locator("#bundle").set_input_files(stick)
    organiser_page.get_by_role("button", name="Read it in").click()
    field = organiser_page.locator("#bundle")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(organiser_page.locator("#bundle-error")).to_contain_text("nothing from it was stored")
    check_page(organiser_page, "exchange-refused")


def test_organiser_places_the_hub_and_it_shows_on_the_network_map(
    seeded_hub: Hub, organiser_page: Page
) -> None:
    page = organiser_page
    page.goto(seeded_hub.url + "/organise/profile")
    # A town name that is not in the gazetteer: refused beside the field, value kept.
    page.get_by_label("Nearest town").fill("Leads")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.locator("#town-error")).to_contain_text("Did you mean: Leeds")
    expect(page.get_by_label("Nearest town")).to_have_value("Leads")
    check_page(page, "hub-profile-error")
    page.get_by_label("About the hub").fill("We meet every Tuesday.")
    page.get_by_label("Area the hub covers").fill("Leeds and Bradford")
    page.get_by_label("Region").select_option("Yorkshire and The Humber")
    page.get_by_label("Nearest town").fill("Leeds")
    page.get_by_label("Public contact").fill("hello@riverside.example.org")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Profile saved: every hub will see it within a minute."
    )
    page.goto(seeded_hub.url + "/network/hubs")
    map_ = page.get_by_role("group", name=re.compile("^Map of the UK"))
    expect(map_.get_by_role("link", name="Riverside, Leeds and Bradford")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Yorkshire and The Humber")).to_be_visible()
    check_page(page, "network-hubs-map")
