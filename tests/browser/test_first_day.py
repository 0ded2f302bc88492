"""A hub's first day, with no terminal once its node runs: the secretary does everything
in the browser, from the first-run password to a member who joins by invitation, and the
neighbouring hub sees the new hub on its list, its map and its news.

Two real `hubnet run` processes on loopback, founded into one network before they
start (that is set-up, as a technical helper does it). After that, hub A is only ever
touched through Chromium: no CLI call, no database write.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.browser.helpers import (
    NARROW,
    WIDE,
    check_accessibility,
    log_in,
    parse_organiser,
    screenshot,
    set_width,
)
from tests.integration.network import Hub, free_port, start_hubs
from tests.integration.procs import run_cli
from tests.unit.test_notices import MailServer

# Federation retries back off to 1 s and hubs compare heads every 2 s (network.FAST).
CROSS_HUB_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub]]:
    """Riverside (A, the new hub) and Hillside (B, its neighbour), both running."""
    a, b = start_hubs(tmp_path_factory.mktemp("first-day"), ("Riverside", None), ("Hillside", None))
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.fixture(scope="module")
def mail_server() -> Iterator[MailServer]:
    server = MailServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def person(browser: Browser) -> Iterator[Callable[[int], Page]]:
    """`person(width)`: a page in a browser context of its own (no cookies), that wide."""
    contexts: list[BrowserContext] = []

    def make(width: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 812})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


def check_page(page: Page, name: str) -> None:
    """At both widths nothing wider than the screen, and a screenshot; axe-clean; ends narrow."""
    for width in (WIDE, NARROW):
        set_width(page, width)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at {width} px"
        screenshot(page, f"first-day-{name}")
    check_accessibility(page)  # the markup is the same at both widths


def follow_menu(page: Page, name: str) -> None:
    """Follow the main menu's link `name`, unfolding the menu first on a phone."""
    menu = page.locator("details.menu")
    if menu.is_visible() and not menu.evaluate("details => details.open"):
        menu.locator("summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def checklist_of(page: Page, base_url: str) -> Locator:
    """The home page's first-run checklist, reached as the secretary does: Home."""
    follow_menu(page, "Home")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    assert page.url == base_url + "/dashboard"
    return page.get_by_role("region", name="Getting the hub ready")


def step_done(page: Page, base_url: str, title: str) -> None:
    expect(checklist_of(page, base_url)).to_contain_text(f"{title} (done)")


def reload_until(page: Page, check: Callable[[], bool], what: str) -> None:
    """Reload the page until `check()` holds: what another hub sends takes a moment."""
    deadline = time.monotonic() + CROSS_HUB_TIMEOUT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
        page.reload()


def wait_for_mail(server: MailServer, to: str) -> None:
    deadline = time.monotonic() + 10
    while not any(to in recipients for recipients, _ in server.inbox.messages):
        assert time.monotonic() < deadline, f"no email arrived for {to}"
        time.sleep(0.05)


STEPS = (
    "Change the first organiser's password",
    "Describe the hub",
    "Adopt the charter",
    "Set up email",
    "Connect with a neighbouring hub",
    "Plan the first event",
    "Keep the key to members' details off the server",
)


def test_a_secretary_sets_up_a_new_hub_in_the_browser_and_the_network_sees_it(
    hubs: tuple[Hub, Hub], mail_server: MailServer, person: Callable[[int], Page]
) -> None:
    a, b = hubs
    first_a = parse_organiser(a.init_output)
    first_b = parse_organiser(b.init_output)
    secretary = person(NARROW)
    neighbour = person(WIDE)

    # 1. The first-run password; nothing on the checklist is done yet.
    log_in(secretary, a.url, first_a.email, first_a.password)
    checklist = checklist_of(secretary, a.url)
    expect(checklist).to_contain_text("0 of 7 done")
    for title in STEPS:
        expect(checklist.get_by_role("link", name=title)).to_be_visible()
    check_page(secretary, "checklist-start")

    # 2. A password of the secretary's own: changing it ends the session.
    checklist.get_by_role("link", name=STEPS[0]).click()
    secretary.get_by_label("Current password").fill(first_a.password)
    secretary.get_by_label("New password").fill("the secretary's own password")
    secretary.get_by_role("button", name="Change password").click()
    secretary.wait_for_url("**/login")
    log_in(secretary, a.url, first_a.email, "the secretary's own password")
    step_done(secretary, a.url, STEPS[0])

    # 3. The hub profile, with a town picked from the list.
    checklist_of(secretary, a.url).get_by_role("link", name=STEPS[1]).click()
    expect(secretary.get_by_role("heading", level=1)).to_have_text("Hub profile")
    secretary.get_by_label("About the hub").fill("Neighbours who organise by the river.")
    secretary.get_by_label("Area the hub covers").fill("York and the villages around it")
    secretary.get_by_label("Region").select_option("Yorkshire and The Humber")
    town = secretary.get_by_label("Nearest town")
    town.fill("Yor")
    assert "York" in town.evaluate("t => [...t.list.options].map(o => o.value)")
    town.fill("York")
    secretary.get_by_label("Where the hub meets").fill("Friends Meeting House, Tuesdays 7pm")
    secretary.get_by_label("Public contact").fill("hello@riverside.example.org")
    secretary.get_by_label("Time zone").fill("Europe/London")
    secretary.get_by_role("button", name="Save and publish").click()
    expect(secretary.get_by_role("status").first).to_be_visible()
    expect(secretary.get_by_label("Nearest town")).to_have_value("York")
    check_page(secretary, "profile")
    step_done(secretary, a.url, STEPS[1])

    # 4. The charter, as the software ships it.
    checklist_of(secretary, a.url).get_by_role("link", name=STEPS[2]).click()
    secretary.get_by_role("textbox", name="Version").fill("1")
    secretary.get_by_role("button", name="Adopt this version").click()
    expect(secretary.get_by_role("status")).to_contain_text("Version 1 of the charter is adopted")
    step_done(secretary, a.url, STEPS[2])

    # 5. Email, against a real mail server; the test email arrives.
    checklist_of(secretary, a.url).get_by_role("link", name=STEPS[3]).click()
    secretary.get_by_label("Mail server").fill("127.0.0.1")
    secretary.get_by_label("Port").fill(str(mail_server.port))
    secretary.get_by_label("Security").select_option("none")
    secretary.get_by_label("From address").fill("hub@riverside.example.org")
    secretary.get_by_role("button", name="Save").click()
    expect(secretary.get_by_role("status")).to_contain_text("Email settings saved")
    secretary.get_by_role("button", name="Send me a test").click()
    expect(secretary.get_by_role("status")).to_contain_text("Test email sent")
    wait_for_mail(mail_server, first_a.email)
    step_done(secretary, a.url, STEPS[3])

    # 6. Peering: B's organiser makes an invite on B's peers page; A's secretary pastes it.
    log_in(neighbour, b.url, first_b.email, first_b.password)
    follow_menu(neighbour, "Peers")
    neighbour.get_by_role("button", name="Make an invite").click()
    invite = neighbour.get_by_role("status").locator("code").inner_text()
    assert invite.startswith("hubnet://invite?"), invite
    checklist_of(secretary, a.url).get_by_role("link", name=STEPS[4]).click()
    secretary.get_by_label("Invite").fill(invite)
    secretary.get_by_role("button", name="Add peer").click()
    expect(secretary.get_by_role("status")).to_contain_text("Peered with Hillside")
    # The neighbour by name; its node id only under "Technical details".
    expect(secretary.get_by_role("table")).to_contain_text("Hillside")
    expect(secretary.get_by_text(b.node_id)).to_be_hidden()
    step_done(secretary, a.url, STEPS[4])
    checklist = checklist_of(secretary, a.url)
    expect(checklist).to_contain_text("5 of 7 done")
    for title in STEPS[:5]:
        expect(checklist).to_contain_text(f"{title} (done)")

    # 7. The first event; then whoever runs the server moves the key to members'
    # details onto a USB stick: with that every step is done, and the checklist, its
    # work over, leaves the dashboard.
    checklist_of(secretary, a.url).get_by_role("link", name=STEPS[5]).click()
    secretary.get_by_label("Title").fill("Riverside's first open meeting")
    secretary.get_by_label("Starts on").fill("2030-03-05")
    secretary.locator("#start_time").fill("19:00")
    secretary.locator("#end_time").fill("21:00")
    secretary.get_by_role("textbox", name="Place (address)").fill("Friends Meeting House")
    secretary.get_by_role("button", name="Create event").click()
    expect(secretary.get_by_role("heading", level=1)).to_contain_text(
        "Riverside's first open meeting"
    )
    expect(checklist_of(secretary, a.url)).to_contain_text("6 of 7 done")
    moved = run_cli(
        "key", "file", "--data-dir", str(a.data_dir), str(a.data_dir.parent / "usb.key")
    )
    assert moved.returncode == 0, moved.stderr
    checklist_of(secretary, a.url)
    expect(secretary.get_by_role("region", name="Getting the hub ready")).to_have_count(0)
    check_page(secretary, "checklist-end")

    # 8. News, from the navigation.
    follow_menu(secretary, "Hub news")
    secretary.get_by_label("Headline").fill("Riverside is open")
    secretary.get_by_label("The news").fill("Our first meeting is on **5 March**.")
    secretary.get_by_role("button", name="Publish").click()
    expect(secretary.get_by_role("status")).to_contain_text("Announcement published")

    # 9. A member invited by link, who follows it in a browser of their own.
    follow_menu(secretary, "Invitations")
    secretary.get_by_label("Their name").fill("Dee Okafor")
    secretary.get_by_role("button", name="Make an invitation link").click()
    link = secretary.locator("code").filter(has_text="/invite/").inner_text()
    assert re.fullmatch(re.escape(a.url) + r"/invite/[A-Za-z0-9_-]+", link), link
    invitee = person(NARROW)
    invitee.goto(link)
    expect(invitee.get_by_label("Your name")).to_have_value("Dee Okafor")
    scroll_width = invitee.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= NARROW, f"the invitation is {scroll_width} px wide on a phone"
    invitee.get_by_label("Email address").fill("dee@example.org")
    invitee.get_by_label("Choose a password").fill("dee's own password")
    invitee.get_by_label("I sign the charter.").check()
    invitee.get_by_label("I accept the privacy notice.").check()
    invitee.get_by_role("button", name="Join").click()
    expect(invitee.get_by_role("heading", level=1, name="Welcome, Dee Okafor")).to_be_visible()

    # On hub B: its organiser places B on the map through B's own profile page...
    follow_menu(neighbour, "Hub profile")
    neighbour.get_by_label("Region").select_option("South West")
    neighbour.get_by_label("Nearest town").fill("Bristol")
    neighbour.get_by_role("button", name="Save and publish").click()
    expect(neighbour.get_by_label("Nearest town")).to_have_value("Bristol")

    # ...then finds the network's hubs: A with its new profile, both hubs on the map.
    follow_menu(neighbour, "Hubs")
    hub_map = neighbour.get_by_role("figure").get_by_role("group")
    riverside_pin = hub_map.get_by_role("link", name="Riverside, York and the villages around it")
    reload_until(neighbour, lambda: riverside_pin.count() == 1, "Riverside on Hillside's map")
    expect(hub_map.get_by_role("link", name=re.compile("^Hillside"))).to_have_count(1)
    region = neighbour.get_by_role("region", name="Yorkshire and The Humber")
    expect(region.get_by_role("link", name="Riverside", exact=True)).to_be_visible()
    expect(region).to_contain_text("York and the villages around it")
    expect(region).to_contain_text("Neighbours who organise by the river.")
    expect(region).to_contain_text("Meets at: Friends Meeting House, Tuesdays 7pm")
    check_page(neighbour, "hubs")

    # ...and A's news on B's dashboard.
    follow_menu(neighbour, "Home")
    news = neighbour.get_by_role("article").filter(has_text="Riverside is open")
    reload_until(neighbour, lambda: news.count() == 1, "Riverside's news on Hillside's dashboard")
    expect(news).to_contain_text("Our first meeting is on 5 March.")
    expect(news).to_contain_text("From Riverside")
