"""A secretary runs the hub from the browser: posts news, sets up email (the test email
arrives at a real SMTP server, aiosmtpd), invites someone by link; the invitee, in a
browser of their own, follows it, signs the charter, chooses a password and is in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    NARROW,
    WIDTHS,
    Organiser,
    check_accessibility,
    log_in,
    screenshot,
    set_width,
    unlabelled_fields,
)
from tests.integration.network import Hub, free_port
from tests.unit.test_notices import MailServer


@pytest.fixture(scope="module")
def mail_server() -> Iterator[MailServer]:
    server = MailServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def check_widths(page: Page, name: str) -> None:
    """Nothing wider than the screen at both widths (a screenshot of each); axe-clean and
    every field labelled (checked once, on the phone's width: the markup is the same)."""
    for width in WIDTHS:
        set_width(page, width)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{page.url} is {overflow} px wide at {width} px"
        screenshot(page, name)
        if width == NARROW:
            check_accessibility(page)
            assert unlabelled_fields(page) == []


def test_secretary_posts_news_sets_up_email_and_invites_a_member_who_joins(
    hub: Hub,
    organiser_account: Organiser,
    page: Page,
    new_page: Callable[[], Page],
    mail_server: MailServer,
) -> None:
    log_in(page, hub.url, organiser_account.email, organiser_account.password)
    checklist = page.get_by_role("region", name="Getting the hub ready")
    expect(checklist).to_contain_text("Set up email (to do)")
    expect(checklist).to_contain_text("Change the first organiser's password (done)")
    check_widths(page, "hub-office-dashboard")
    set_width(page, NARROW)

    # News, from the navigation (folded into a menu on a phone).
    page.locator("details.menu > summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hub news").click()
    page.get_by_label("Headline").fill("Library meeting")
    page.get_by_label("The news").fill("Thursday at **7pm**, all welcome.")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Announcement published")
    check_widths(page, "hub-office-news")
    page.goto(hub.url + "/dashboard")
    expect(page.get_by_role("article").filter(has_text="Library meeting")).to_contain_text(
        "Thursday at 7pm"
    )

    # Email, with a test that arrives.
    page.goto(hub.url + "/organise/email")
    page.get_by_label("Mail server").fill("127.0.0.1")
    page.get_by_label("Port").fill(str(mail_server.port))
    page.get_by_label("Security").select_option("none")
    page.get_by_label("Password").fill("mail server secret")
    page.get_by_label("From address").fill("hub@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Email settings saved")
    expect(page.get_by_label("Password")).to_have_value("")
    assert "mail server secret" not in page.content()
    page.get_by_role("button", name="Send me a test").click()
    expect(page.get_by_role("status")).to_contain_text("Test email sent")
    deadline = time.monotonic() + 10
    while not any(organiser_account.email in to for to, _ in mail_server.inbox.messages):
        assert time.monotonic() < deadline, "the test email did not arrive"
        time.sleep(0.05)
    check_widths(page, "hub-office-email")
    page.goto(hub.url + "/dashboard")
    expect(page.get_by_role("region", name="Getting the hub ready")).to_contain_text(
        "Set up email (done)"
    )

    # An invitation by link, handed over on paper (or its QR code).
    page.goto(hub.url + "/organise/invitations")
    page.get_by_label("Their name").fill("Dee Okafor")
    page.get_by_role("button", name="Make an invitation link").click()
    link = page.locator("code").filter(has_text="/invite/").inner_text()
    assert re.fullmatch(re.escape(hub.url) + r"/invite/[A-Za-z0-9_-]+", link), link
    expect(page.get_by_role("img", name="The same invitation link as a QR code")).to_be_visible()
    expect(page.get_by_role("article")).to_contain_text("Dee Okafor")
    check_widths(page, "hub-office-invitations")

    invitee = new_page()
    set_width(invitee, NARROW)
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_contain_text("You are invited to join")
    expect(invitee.get_by_label("Your name")).to_have_value("Dee Okafor")
    check_widths(invitee, "hub-office-invited")
    invitee.get_by_label("Email address").fill("dee@example.org")
    invitee.get_by_label("Choose a password").fill("dee's own password")
    invitee.get_by_label("I sign the charter.").check()
    invitee.get_by_label("I accept the privacy notice.").check()
    invitee.get_by_role("button", name="Join").click()
    expect(invitee.get_by_role("heading", level=1, name="Welcome, Dee Okafor")).to_be_visible()
    expect(invitee.get_by_role("status")).to_have_text(
        "Welcome to the hub, Dee Okafor: you are a member now."
    )
    # The link worked once.
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("This invitation cannot be used")
    page.goto(hub.url + "/organise/invitations")
    expect(page.get_by_role("heading", name="Open invitations (0)")).to_be_visible()
