"""Home and navigation in Chromium: at a phone's width the menu folds and opens without
script, the current section is marked, both roles' home pages pass axe, and a refresh
after voting shows the page again instead of sending the vote again."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    NARROW,
    WIDE,
    Applicant,
    Organiser,
    apply_to_join,
    check_accessibility,
    log_in,
    screenshot,
    set_width,
)
from tests.integration.network import Hub

ANN = Applicant("Ann Lee", "ann@example.org", "", "ann's password for home")


def _main_nav(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("navigation", name="Main")


def _fits(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"


def test_home_and_navigation_at_both_widths_for_an_organiser_and_a_member(
    hub: Hub, organiser_account: Organiser, page: Page
) -> None:
    page.set_viewport_size({"width": WIDE, "height": 800})
    apply_to_join(page, hub.url, ANN)
    expect(page.get_by_role("status")).to_contain_text("Thank you for applying")
    log_in(page, hub.url, organiser_account.email, organiser_account.password)

    # The organiser's home: the application waiting, under its own heading.
    organise = page.get_by_role("region", name="For organisers")
    expect(
        organise.get_by_role("link", name="1 application to join waiting for you")
    ).to_be_visible()
    nav = _main_nav(page)
    expect(nav.get_by_role("list", name="Organise")).to_be_visible()
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    for width in (NARROW, WIDE):
        set_width(page, width)
        screenshot(page, "home-organiser")
        check_accessibility(page)
    _fits(page)

    # On a phone the menu is folded into one line, and opens with no script at all.
    set_width(page, NARROW)
    _fits(page)
    menu = page.locator("details.menu")
    expect(menu.get_by_role("link", name="Budget")).to_be_hidden()
    header = page.locator("header.site").bounding_box()
    assert header is not None and header["height"] < 160, header
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="Budget")).to_be_visible()
    screenshot(page, "home-menu-open")
    check_accessibility(page)
    # "Overview" in the Network group opens the network's overview, not its motions.
    menu.get_by_role("list", name="Network").get_by_role("link", name="Overview").click()
    expect(page).to_have_url(hub.url + "/network")
    set_width(page, WIDE)
    expect(
        _main_nav(page).get_by_role("link", name="Overview")
    ).to_have_attribute("aria-current", "page")  # fmt: skip

    # Approve Ann, then see her home: no organisers' group or section.
    page.goto(hub.url + "/organise/members")
    page.get_by_role("button", name=f"Approve {ANN.name}").click()
    expect(page.get_by_role("status")).to_have_text(f"{ANN.name}: approved.")
    page.context.clear_cookies()
    log_in(page, hub.url, ANN.email, ANN.password)
    expect(page.get_by_role("heading", level=1, name=f"Welcome, {ANN.name}")).to_be_visible()
    expect(page.get_by_role("region", name="For organisers")).to_have_count(0)
    expect(_main_nav(page).get_by_role("list", name="Organise")).to_have_count(0)
    expect(page.get_by_role("region", name="What needs you")).to_contain_text(
        "Nothing needs you right now"
    )
    for width in (NARROW, WIDE):
        set_width(page, width)
        screenshot(page, "home-member")
        check_accessibility(page)
    _fits(page)


def test_a_refresh_after_voting_shows_the_page_and_sends_nothing(
    hub: Hub, organiser_account: Organiser, page: Page
) -> None:
    page.set_viewport_size({"width": WIDE, "height": 800})
    log_in(page, hub.url, organiser_account.email, organiser_account.password)
    page.goto(hub.url + "/polls")
    page.get_by_label("Title").fill("Paint the hall green?")
    page.get_by_label("The proposal").fill("Green, like the park.")
    page.get_by_label("Yes, no or abstain").check()
    page.get_by_label("Quorum").fill("0")
    closes = datetime.now(UTC) + timedelta(days=3)
    page.get_by_label("Closes").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Open the poll").click()
    expect(page.get_by_role("status")).to_have_text("Your proposal is open for votes.")
    expect(page).to_have_url(re.compile(r"/polls/\d+$"))

    page.goto(hub.url + "/dashboard")
    votes = page.get_by_role("region", name="What needs you")
    votes.get_by_role("link", name="Poll: Paint the hall green?").click()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.get_by_role("status").first).to_contain_text("Your vote is recorded.")
    expect(page).to_have_url(re.compile(r"/polls/\d+$"))  # a GET page, not …/vote

    # A refresh loads the poll again: no form is sent (the browser would ask first),
    # no second vote is refused, and the line saying what happened was shown once.
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    response = page.reload()
    assert response is not None and response.request.method == "GET" and response.ok
    assert asked == []
    expect(page.get_by_text("Your vote is recorded.")).to_have_count(0)
    expect(page.get_by_text("You have already voted")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("You have voted in this poll.")
    page.goto(hub.url + "/dashboard")
    expect(page.get_by_role("link", name="Poll: Paint the hall green?")).to_have_count(0)
