"""The browser-test helpers themselves: they catch what they are meant to catch."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import (
    NARROW,
    SCREENSHOTS,
    Organiser,
    check_accessibility,
    parse_organiser,
    screenshot,
    set_width,
)

ACCESSIBLE = """<!doctype html><html lang="en"><head><title>Riverside</title></head>
<body><main><h1>Riverside</h1><img src="data:," alt="The hall"></main></body></html>"""

# An image with no text alternative (critical) and a button with no name (critical).
INACCESSIBLE = """<!doctype html><html lang="en"><head><title>Riverside</title></head>
<body><main><h1>Riverside</h1><img src="data:,"><button></button></main></body></html>"""


def test_accessibility_check_passes_a_clean_page(page: Page) -> None:
    page.set_content(ACCESSIBLE)
    check_accessibility(page)


def test_accessibility_check_lists_every_serious_violation(page: Page) -> None:
    page.set_content(INACCESSIBLE)
    with pytest.raises(pytest.fail.Exception) as failure:
        check_accessibility(page)
    report = str(failure.value)
    assert "image-alt (critical)" in report and "button-name (critical)" in report
    assert "at img:" in report and "at button:" in report


def test_screenshot_is_named_by_page_width(page: Page) -> None:
    page.set_content(ACCESSIBLE)
    set_width(page, NARROW)
    path = screenshot(page, "helpers-check")
    assert path == SCREENSHOTS / "helpers-check-375.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    path.unlink()


def test_organiser_account_is_read_from_init_output() -> None:
    out = (
        "Created hub node 'Riverside' in data/riverside\n"
        "node id: aaaa\n"
        "organiser email: organiser@riverside.example\n"
        "organiser password: correct-horse-42\n"
    )
    assert parse_organiser(out) == Organiser("organiser@riverside.example", "correct-horse-42")


def test_missing_organiser_account_says_what_init_printed() -> None:
    with pytest.raises(AssertionError, match="printed no organiser account"):
        parse_organiser("node id: aaaa\n")
