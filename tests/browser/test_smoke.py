"""The hub's pages load in a real browser, read well at phone and laptop widths, and pass axe."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.helpers import WIDTHS, Organiser, check_accessibility, screenshot
from tests.integration.network import Hub


def test_public_page_names_the_hub_and_is_accessible(
    hub: Hub, page: Page, viewport: Callable[[int], None]
) -> None:
    response = page.goto(hub.url + "/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1, name="Riverside")).to_be_visible()
    expect(page).to_have_title(re.compile("Riverside"))
    check_accessibility(page)
    for width in WIDTHS:
        viewport(width)
        screenshot(page, "public")


def test_health_check_shows_in_the_browser(
    hub: Hub, page: Page, viewport: Callable[[int], None]
) -> None:
    # Proves the browser set-up against a page that every node serves.
    response = page.goto(hub.url + "/healthz")
    assert response is not None and response.status == 200
    expect(page.get_by_text('"status": "ok"')).to_be_visible()
    for width in WIDTHS:
        viewport(width)
        screenshot(page, "healthz")


def test_organiser_fixture_holds_the_account_init_printed(organiser: Organiser) -> None:
    # `hubnet init` without --organiser-email names the first organiser so.
    assert organiser.email == "organiser@localhost"
    assert len(organiser.password) >= 12
