"""Pages members read on a phone, in a real browser: an election's ballot with what the
role does and each candidate's statement, the charter as prose, the account page's
fields at full width, and the pages in Welsh once a member chooses Cymraeg. Screenshots
at 375 and 1280 px go to test-artifacts/."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect

from node import config as settings
from node.accounts.permissions import ROLE_DESCRIPTIONS, Role
from node.governance import tally
from node.node import Node
from tests.browser.helpers import NARROW, WIDE, check_accessibility, log_in, screenshot, set_width
from tests.integration.network import Hub, found_network

PASSWORD = "a password for the browser tests"
DAY_MS = 86_400_000
STATEMENTS = {
    "Ann Lee": "Receipts for every penny, online for every member to see.",
    "Bo Chen": "I ran the food bank's books for three years. I will keep them simple.",
}


async def _prepare(hub: Hub) -> str:
    """Members, and an election for treasurer opened eight days ago whose candidates
    stood with statements; voting is open now and closes in two days. Its id."""
    now = int(time.time() * 1000)
    # The cheapest password hashing the node accepts: the accounts are made quickly.
    config = settings.load(hub.data_dir, {"argon2_memory_kib": 19456, "argon2_time_cost": 2})
    node = await Node.open(config, clock=lambda: now - 8 * DAY_MS)
    try:
        people = {}
        for name in ("Olu Okafor", *STATEMENTS):
            first = name.split()[0].lower()
            people[name] = await node.members.apply(
                name=name, email=f"{first}@example.org", password=PASSWORD,
                signed_charter=True, accepted_privacy=True, status="active",
            )  # fmt: skip
        await node.members.grant(people["Olu Okafor"].id, Role.SECRETARY)
        secretary = await node.members.get(people["Olu Okafor"].id)
        assert secretary is not None
        past = now - 8 * DAY_MS
        election = await node.governance.open_election(
            Role.TREASURER, tally.INSTANT_RUNOFF, past + 7 * DAY_MS, past + 7 * DAY_MS,
            now + 2 * DAY_MS, by=secretary,
        )  # fmt: skip
        for name, statement in STATEMENTS.items():
            member = await node.members.get(people[name].id)
            assert member is not None
            await node.governance.nominate(election.id, member.id, member, statement=statement)
        return election.id
    finally:
        await node.close()


@pytest.fixture(scope="module")
def election_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, str]]:
    hub = Hub(tmp_path_factory.mktemp("member-pages"), "Riverside")
    found_network([hub])
    # Playwright's loop counts as running on this thread (conftest.py): use another.
    with ThreadPoolExecutor(1) as thread:
        election_id = thread.submit(asyncio.run, _prepare(hub)).result()
    hub.start()
    try:
        yield hub, election_id
    finally:
        hub.stop()


def _fits(page: Page) -> None:
    """Nothing is cut off: the page is no wider than the window."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]


def test_a_ballot_shows_the_role_and_each_candidates_statement_on_a_phone(
    election_hub: tuple[Hub, str], page: Page
) -> None:
    hub, election_id = election_hub
    set_width(page, NARROW)
    log_in(page, hub.url, "olu@example.org", PASSWORD)
    page.goto(f"{hub.url}/elections/{election_id}")
    expect(page.get_by_role("heading", name="What the treasurer / fundraiser does")).to_be_visible()
    expect(page.get_by_text(ROLE_DESCRIPTIONS[Role.TREASURER])).to_be_visible()
    expect(page.locator("#time-left")).to_have_text("Voting closes in 2 days.")
    for name, statement in STATEMENTS.items():
        ranking = page.get_by_label(name)
        expect(ranking).to_be_visible()
        # The statement is read out with the candidate's ranking field.
        expect(ranking).to_have_accessible_description(statement)
    _fits(page)
    check_accessibility(page)
    screenshot(page, "election-ballot")
    set_width(page, WIDE)
    check_accessibility(page)
    screenshot(page, "election-ballot")


def test_the_charter_reads_as_prose_and_account_fields_are_full_width(
    election_hub: tuple[Hub, str], page: Page
) -> None:
    hub, _ = election_hub
    set_width(page, NARROW)
    page.goto(f"{hub.url}/charter")
    charter = page.locator(".prose.charter")
    expect(charter.get_by_role("listitem")).to_have_count(6)
    assert charter.evaluate("e => getComputedStyle(e).fontFamily") == page.evaluate(
        "getComputedStyle(document.body).fontFamily"
    )
    _fits(page)
    check_accessibility(page)
    screenshot(page, "charter")
    log_in(page, hub.url, "ann@example.org", PASSWORD)
    page.goto(f"{hub.url}/account")
    name = page.get_by_label("Network name")
    box = name.bounding_box()
    assert box is not None and box.get("width", 0) > 300 and box.get("height", 0) >= 40
    name.fill("Ann Lee")
    page.get_by_role("button", name="Save my network name").click()
    expect(page.get_by_label("Network name")).to_have_value("Ann Lee")
    expect(page.locator("#display_name-error")).to_contain_text("no spaces")
    _fits(page)
    check_accessibility(page)
    screenshot(page, "account-network-name")


def test_a_member_chooses_cymraeg_and_the_next_page_is_in_welsh(
    election_hub: tuple[Hub, str], page: Page
) -> None:
    hub, election_id = election_hub
    set_width(page, NARROW)
    log_in(page, hub.url, "bo@example.org", PASSWORD)
    page.goto(f"{hub.url}/account")
    page.get_by_label("Language of my pages").select_option("cy")
    page.get_by_role("button", name="Save my language").click()
    expect(page.get_by_role("status")).to_have_text("Mae eich iaith wedi'i chadw.")
    assert page.locator("html").get_attribute("lang") == "cy"
    expect(page.get_by_role("heading", name="Fy nghyfrif", exact=True)).to_be_visible()
    page.goto(f"{hub.url}/elections/{election_id}")
    expect(page.locator("#time-left")).to_have_text("Pleidleisio'n cau mewn 2 ddiwrnod.")
    _fits(page)
    check_accessibility(page)
    screenshot(page, "election-ballot-cymraeg")
