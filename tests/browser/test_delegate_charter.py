"""The delegate's page and the charter endorsement pages in a real browser, at a phone's
width and a laptop's: an organiser tables a motion and sees it waiting on the delegate's
page, records an organisation's endorsement (after a refused first try), and sees it
listed with its badge. Each page is checked with axe and screenshotted."""

from __future__ import annotations

import datetime as dt
import re
import time

from playwright.sync_api import Page, expect

from tests.browser.helpers import Organiser, log_in
from tests.browser.test_pages_a11y import check_page
from tests.integration.network import Hub, found_network, wait_for


def test_delegates_page_and_endorsements_on_phone_and_laptop(
    hub: Hub, organiser_account: Organiser, page: Page
) -> None:
    found_network([hub])  # a network of one: the hub sits in its national assembly
    wait_for("the node to see its network", lambda: "network.found" in hub.cli("log"))
    log_in(page, hub.url, organiser_account.email, organiser_account.password)

    # The interim steering group acts for the hub until it elects a delegate.
    page.goto(hub.url + "/network/motions/new")
    page.get_by_label("Title", exact=True).fill("Join the day of action for libraries")
    page.get_by_label(re.compile("^Text")).fill("The network joins the day of action.")
    page.get_by_label("Seconds needed").fill("0")
    closes = dt.datetime.fromtimestamp(time.time() + 3 * 86_400, dt.UTC)
    page.get_by_label("Voting closes").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Table the motion").click()
    page.wait_for_url(re.compile(r"/network/motions/[0-9a-f]{64}$"))

    page.goto(hub.url + "/network/delegate")
    expect(page.get_by_role("heading", level=2, name="Votes to cast (1)")).to_be_visible()
    expect(page.get_by_role("link", name="Join the day of action for libraries")).to_be_visible()
    check_page(page, "delegate")

    # A refused endorsement keeps what was typed, and says what is wrong beside the field.
    page.goto(hub.url + "/network/charter/endorsements/new")
    page.get_by_label("Organisation's name").fill("Riverside Renters' Union")
    page.get_by_label("Kind of organisation").select_option("union")
    page.get_by_label("Its website").evaluate("field => { field.type = 'text'; }")
    page.get_by_label("Its website").fill("renters.example.org")
    page.get_by_label("A short statement from it").fill("Homes are for living in.")
    page.get_by_role("button", name="Record and send to the network").click()
    expect(page.locator("#website-error")).to_contain_text("starting https://")
    expect(page.get_by_label("Organisation's name")).to_have_value("Riverside Renters' Union")
    check_page(page, "endorsement-form-refused")

    page.get_by_label("Its website").fill("https://renters.example.org")
    page.get_by_role("button", name="Record and send to the network").click()
    page.wait_for_url(re.compile(r"/network/charter/endorsements/[0-9a-f]{64}"))
    expect(page.get_by_role("status")).to_have_text("Recorded, and sent to the network's hubs.")
    badge = page.get_by_role(
        "img", name="Riverside Renters' Union endorses the Test network charter"
    )
    expect(badge).to_be_visible()
    assert badge.evaluate("img => img.complete && img.naturalWidth > 0"), "the badge did not load"
    expect(page.get_by_label(re.compile("HTML for the organisation's website"))).to_contain_text(
        "badge.svg"
    )
    check_page(page, "endorsement")

    page.goto(hub.url + "/network/charter/endorsements")
    expect(page.get_by_role("heading", level=2, name="Unions (1)")).to_be_visible()
    expect(page.get_by_text("recorded by Riverside")).to_be_visible()
    check_page(page, "endorsements")
