"""Helpers for browser tests: page widths, axe-core accessibility checks, screenshots."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# The two widths every page is checked at: a small phone and a laptop.
NARROW = 375
WIDE = 1280
WIDTHS = (NARROW, WIDE)
_HEIGHTS = {NARROW: 812, WIDE: 800}

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Impacts that fail a test; "minor" and "moderate" findings are left to review.
FAILING_IMPACTS = ("serious", "critical")

_axe = Axe()  # holds the axe-core script bundled with axe-playwright-python


@dataclass(frozen=True)
class Organiser:
    """The first organiser account that `hubnet init` prints: its email and one-time password."""

    email: str
    password: str


def parse_organiser(init_output: str) -> Organiser:
    """The account in `hubnet init`'s lines "organiser email: X" and "organiser password: Y"."""
    email = re.search(r"^organiser email: (\S+)\s*$", init_output, re.MULTILINE)
    password = re.search(r"^organiser password: (\S+)\s*$", init_output, re.MULTILINE)
    assert email and password, f"`hubnet init` printed no organiser account:\n{init_output}"
    return Organiser(email.group(1), password.group(1))


def set_width(page: Page, width: int) -> None:
    """Resize the page's viewport to `width` px (a phone's or a laptop's height)."""
    page.set_viewport_size({"width": width, "height": _HEIGHTS.get(width, 800)})


def check_accessibility(page: Page) -> None:
    """Run axe-core on the page as it is now; fail listing every serious or critical violation."""
    results = _axe.run(page)
    failing = [v for v in results.response["violations"] if v["impact"] in FAILING_IMPACTS]
    if failing:
        report = "\n".join(_describe(v) for v in failing)
        pytest.fail(
            f"{len(failing)} serious or critical accessibility violation(s) on {page.url}:\n"
            + report,
            pytrace=False,
        )


def _describe(violation: dict[str, Any]) -> str:
    lines = [f"- {violation['id']} ({violation['impact']}): {violation['help']}"]
    lines += [
        f"    at {', '.join(str(t) for t in node['target'])}: {node.get('html', '')}"
        for node in violation["nodes"]
    ]
    lines.append(f"    see {violation['helpUrl']}")
    return "\n".join(lines)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/screenshots/{name}-{width}.png; its path."""
    viewport = page.viewport_size
    assert viewport is not None, "the page has no fixed viewport to name the screenshot by"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{viewport['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Fill in and send the login form, as a person would; the page shows whatever comes back."""
    page.goto(base_url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


# A field is labelled by a <label for=its id>, or by a <label> around it (the join form's
# and the leave form's checkboxes are labelled so; both are valid HTML and name the field).
_LABELLED = """field => Boolean(
    field.closest("label")
    || (field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`))
)"""


def unlabelled_fields(page: Page) -> list[str]:
    """The outer HTML of every form field on the page (bar hidden inputs) that has no <label>."""
    return [
        field.evaluate("f => f.outerHTML")
        for field in page.locator("input:not([type=hidden]), textarea, select").all()
        if not field.evaluate(_LABELLED)
    ]


@dataclass(frozen=True)
class Applicant:
    """Someone who applies to join a hub through its join page."""

    name: str
    email: str
    phone: str
    password: str


def apply_to_join(page: Page, base_url: str, person: Applicant) -> None:
    """Fill in the join form by its labels, sign the charter, accept the privacy notice, send."""
    page.goto(base_url + "/join")
    page.get_by_label("Your name").fill(person.name)
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Phone number").fill(person.phone)
    page.get_by_label("Choose a password").fill(person.password)
    page.get_by_label("I sign the charter").check()
    page.get_by_label("I accept the privacy notice").check()
    page.get_by_role("button", name="Apply to join").click()
    page.wait_for_load_state()
