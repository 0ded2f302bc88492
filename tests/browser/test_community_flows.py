"""Search, the library and the mutual aid board, in a real browser against a real node."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Organiser
from tests.browser.helpers import check_accessibility, log_in
from tests.integration.network import Hub


def test_search_finds_a_resource_by_a_word_in_its_description(
    hub: Hub, organiser_account: Organiser, page: Page, tmp_path: Path
) -> None:
    leaflet = tmp_path / "deposits.pdf"
    leaflet.write_bytes(b"%PDF-1.4\n% tenancy deposits\n%%EOF\n")
    log_in(page, hub.url, organiser_account.email, organiser_account.password)
    page.goto(hub.url + "/library")
    page.get_by_label("File", exact=True).set_input_files(str(leaflet))
    page.get_by_label("Title", exact=True).fill("Getting your deposit back")
    page.get_by_label("Description").fill("What landlords must do with a tenancy deposit")
    page.get_by_label("Tags").fill("housing, leaflet")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", level=1, name="Getting your deposit back")).to_be_visible()

    page.goto(hub.url + "/search")
    page.get_by_role("searchbox", name="Search for").fill("landlords")
    page.get_by_role("button", name="Search", exact=True).click()
    result = page.get_by_role("link", name="Getting your deposit back")
    expect(result).to_be_visible()
    check_accessibility(page)
    result.click()
    expect(page.get_by_role("link", name="Download deposits.pdf")).to_be_visible()


def test_a_member_posts_to_the_mutual_aid_board_and_marks_it_fulfilled(
    hub: Hub, organiser_account: Organiser, page: Page
) -> None:
    log_in(page, hub.url, organiser_account.email, organiser_account.password)
    page.get_by_role("link", name="Mutual aid").click()
    page.get_by_label("offering help").check()
    page.get_by_label("Title").fill("Spare cot and baby clothes")
    page.get_by_label("Details").fill("Collect from the community centre on Saturday.")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Your post is on the board.")
    post = page.get_by_role("heading", level=3, name="Offer: Spare cot and baby clothes")
    expect(post).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Mark fulfilled").click()
    expect(page.get_by_role("status")).to_contain_text("Your post is closed.")
    expect(post).to_have_count(0)
