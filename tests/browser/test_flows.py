"""What people see as they join, work the hub and leave, in a real browser against real nodes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.browser.helpers import Applicant, Organiser, apply_to_join, log_in
from tests.integration.network import Hub, found_network, wait_for

EVIL_TITLE = "<script>alert(1)</script>"


def expect_login_refused(page: Page, text: str) -> None:
    expect(page.get_by_role("alert")).to_contain_text(text)
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()


def applications_waiting(page: Page) -> Locator:
    """The part of the Members page under the heading "Applications waiting (N)"."""
    heading = page.get_by_role("heading", level=2, name=re.compile(r"^Applications waiting"))
    return heading.locator("xpath=following-sibling::*[1]")


def member_counts(page: Page, hub_url: str) -> list[str]:
    """The Members page's section headings as an organiser sees them: "Members (2)" and so on."""
    page.goto(hub_url + "/organise/members")
    return page.get_by_role("heading", level=2).all_inner_texts()


@pytest.fixture(scope="module")
def northgate(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A second running hub, "Northgate", peered with Riverside (`hub`).

    The two found one network: a hub takes only its network's members' messages.
    """
    other = Hub(tmp_path_factory.mktemp("northgate"), "Northgate")
    found_network([hub, other])
    other.start()
    try:
        hub.peer_with(other)
        yield other
    finally:
        other.stop()


def test_applicant_is_approved_uses_their_account_and_leaves(
    hub: Hub,
    organiser_account: Organiser,
    page: Page,
    new_page: Callable[[], Page],
    tmp_path: Path,
) -> None:
    ann = Applicant("Ann Lee", "ann@example.org", "07700 900123", "ann's first password")
    apply_to_join(page, hub.url, ann)
    expect(page.get_by_role("status")).to_contain_text("Thank you for applying")

    log_in(page, hub.url, ann.email, ann.password)
    expect_login_refused(page, "Your application is waiting for the membership secretary.")

    organiser = new_page()
    log_in(organiser, hub.url, organiser_account.email, organiser_account.password)
    organiser.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    expect(applications_waiting(organiser)).to_contain_text(ann.name)
    expect(applications_waiting(organiser)).to_contain_text(ann.email)
    organiser.get_by_role("button", name=f"Approve {ann.name}").click()
    expect(organiser.get_by_role("status")).to_have_text(f"{ann.name}: approved.")
    expect(applications_waiting(organiser)).not_to_contain_text(ann.name)
    organiser.get_by_role("button", name="Log out").click()
    expect(organiser.get_by_role("link", name="Log in")).to_be_visible()

    log_in(page, hub.url, ann.email, ann.password)
    expect(page.get_by_role("heading", level=1, name=f"Welcome, {ann.name}")).to_be_visible()

    # A new password logs Ann out everywhere; only the new one works after that.
    new_password = "ann's second password"
    page.get_by_role("link", name="My account").click()
    page.get_by_label("Current password").fill(ann.password)
    page.get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(hub.url + "/login")
    page.goto(hub.url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    log_in(page, hub.url, ann.email, ann.password)
    expect_login_refused(page, "That email address and password do not match.")
    log_in(page, hub.url, ann.email, new_password)
    expect(page.get_by_role("heading", level=1, name=f"Welcome, {ann.name}")).to_be_visible()

    page.get_by_role("link", name="My account").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="download my data (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == "my-hubnet-data.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["member"]["email"] == ann.email
    assert data["member"]["name"] == ann.name

    page.get_by_label("Yes, I want to leave").check()
    page.get_by_role("button", name="Leave and erase my data").click()
    expect(page.get_by_role("status")).to_contain_text("You have left the hub")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()  # logged out

    log_in(page, hub.url, ann.email, new_password)
    expect_login_refused(page, "That email address and password do not match.")


def test_form_sent_without_its_csrf_token_is_refused_and_changes_nothing(
    hub: Hub, organiser_account: Organiser, page: Page, new_page: Callable[[], Page]
) -> None:
    organiser = new_page()
    log_in(organiser, hub.url, organiser_account.email, organiser_account.password)
    before = member_counts(organiser, hub.url)

    page.goto(hub.url + "/join")  # the visitor now has a CSRF cookie, which page.request sends
    response = page.request.post(
        hub.url + "/join",
        form={
            "name": "Carl Mint",
            "email": "carl@example.org",
            "password": "carl's password",
            "sign_charter": "yes",
            "accept_privacy": "yes",
        },
    )
    assert response.status == 403
    assert "This form could not be accepted" in response.text()

    assert member_counts(organiser, hub.url) == before
    expect(organiser.get_by_role("main")).not_to_contain_text("Carl Mint")


def test_remote_announcement_title_shows_as_text_never_as_script(
    hub: Hub, northgate: Hub, organiser_account: Organiser, page: Page
) -> None:
    northgate.cli("announce", "--title", EVIL_TITLE, "Meeting moved to the library.")
    wait_for(
        "Riverside to hold Northgate's announcement",
        lambda: (
            EVIL_TITLE in hub.cli("log", "--kind", "announcement", "--origin", northgate.node_id)
        ),
    )
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    log_in(page, hub.url, organiser_account.email, organiser_account.password)
    page.goto(hub.url + "/dashboard")

    heading = page.get_by_role("heading", level=3, name=EVIL_TITLE, exact=True)
    expect(heading).to_be_visible()
    assert heading.inner_text() == EVIL_TITLE
    card = page.locator("article").filter(has=heading)
    expect(card).to_contain_text("Meeting moved to the library.")
    expect(card).to_contain_text("From Northgate")
    assert page.locator("main script").count() == 0
    assert dialogs == [], f"the page opened dialogs: {dialogs}"
