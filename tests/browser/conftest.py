"""Browser tests: a real hub process on loopback, and Debian's Chromium driven by Playwright.

Playwright's sync API runs its own event loop, so every test here is a plain
(sync) function: pytest-asyncio leaves those alone. Between two sync calls that
loop stays marked as running on the main thread, which breaks any async test
that runs while Playwright is alive; so the browser lives for this package only
(torn down before pytest moves on to the async tests elsewhere), and no test in
this package may be async.
Chromium is Debian's (/usr/bin/chromium, installed by `make test`); Playwright's
own browser download does not work on our machines or in CI.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.helpers import WIDE, Organiser, log_in, parse_organiser, set_width
from tests.integration import network
from tests.integration.network import Hub

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root, where Chromium's sandbox will not start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling Google's hosts, which this network
    # refuses, and misbehaves.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Fail a wait within a test's time rather than at pytest-timeout's 120 s.
ACTION_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class _StartedHub:
    hub: Hub
    init_output: str


@pytest.fixture(scope="module")
def _started_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_StartedHub]:
    # Hub() runs `hubnet init` but keeps none of its output, which holds the
    # organiser's one-time password; record it on its way through.
    outputs: list[str] = []
    run_cli = network.run_cli

    def recording_run_cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        result = run_cli(*args, **kwargs)
        if args[:1] == ("init",):
            outputs.append(result.stdout)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(network, "run_cli", recording_run_cli)
        hub = Hub(tmp_path_factory.mktemp("hubs"), "Riverside")
    hub.start()
    try:
        yield _StartedHub(hub, "".join(outputs))
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def hub(_started_hub: _StartedHub) -> Hub:
    """A running hub named "Riverside" on a loopback port (.url, .data_dir, .cli(...)).

    One per test module, for speed (init and start take about 3 s): tests in a
    module share its data, so a module whose tests change it must not depend on order.
    """
    return _started_hub.hub


@pytest.fixture(scope="module")
def organiser(_started_hub: _StartedHub) -> Organiser:
    """The hub's first organiser account, as `hubnet init` printed it.

    The password is one-time: the first login spends it, for the whole module.
    """
    return parse_organiser(_started_hub.init_output)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by all browser tests (package scope: see above)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies or storage), 1280 px wide."""
    context = browser.new_context(viewport={"width": WIDE, "height": 800})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def viewport(page: Page) -> Callable[[int], None]:
    """`viewport(width)` resizes `page` to 375 (NARROW) or 1280 (WIDE) px wide."""
    return lambda width: set_width(page, width)


# The password the `organiser_account` fixture gives the organiser.
ORGANISER_PASSWORD = "organiser password for browser tests"


@pytest.fixture(scope="module")
def organiser_account(hub: Hub, organiser: Organiser, browser: Browser) -> Organiser:
    """The organiser, with a password of the tests' choosing: log in and out as often as needed.

    Spends the one-time password from `hubnet init` on one login, then sets
    ORGANISER_PASSWORD on My account (which ends that session). So a module that
    uses this fixture must not also log in with `organiser`'s password.
    """
    context = browser.new_context()
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, hub.url, organiser.email, organiser.password)
        page.goto(hub.url + "/account")
        page.get_by_label("Current password").fill(organiser.password)
        page.get_by_label("New password").fill(ORGANISER_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        page.wait_for_url("**/login")
    finally:
        context.close()
    return Organiser(organiser.email, ORGANISER_PASSWORD)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """`new_page()`: another person's page, in a browser context of its own, 1280 px wide.

    For tests with several people in them (an applicant and an organiser);
    every context made is closed when the test ends.
    """
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": WIDE, "height": 800})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
