"""A budget round as people run it, in a real browser against a real hub: the treasurer
records income and opens a round, two members propose and approve, and the result and the
ledger show what was funded, what was skipped and why.

The hub runs on the real clock. To move through a round's windows without waiting days,
the test moves the round's times back in the hub's database (`shift_round`), which is
what the clock moving forward would look like to the hub: it caches nothing, and decides
a round on the first read after voting has closed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import closing

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    Applicant,
    Organiser,
    apply_to_join,
    check_accessibility,
    log_in,
    screenshot,
    set_width,
)
from tests.integration.network import Hub

DAY_MS = 24 * 3_600_000
ANN = Applicant("Ann Lee", "ann@example.org", "", "ann's password here")
BOB = Applicant("Bob Okafor", "bob@example.org", "", "bob's password here")


def shift_round(hub: Hub, title: str, ms: int) -> None:
    """Move every time of the round named `title` `ms` into the past."""
    with closing(sqlite3.connect(hub.data_dir / "hubnet.db", timeout=10)) as db:
        changed = db.execute(
            "UPDATE budget_rounds SET opened_at = opened_at - :ms,"
            " proposals_close_at = proposals_close_at - :ms,"
            " voting_open_at = voting_open_at - :ms, voting_close_at = voting_close_at - :ms"
            " WHERE title = :title",
            {"ms": ms, "title": title},
        ).rowcount
        db.commit()
    assert changed == 1


def nav(page: Page, name: str) -> None:
    """Follow a link of the main menu, unfolding it first on a phone."""
    menu = page.locator("details.menu")
    if menu.is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def propose(page: Page, round_title: str, title: str, text: str, cost: str) -> None:
    nav(page, "Budget")
    page.get_by_role("link", name=round_title).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("What it is for").fill(text)
    page.get_by_label("Cost in pounds").fill(cost)
    page.get_by_role("button", name="Add my proposal").click()
    expect(page.get_by_role("status")).to_have_text(f"Your proposal “{title}” has been added.")


def approve(page: Page, round_title: str, titles: list[str], total: str) -> None:
    """Add proposals one at a time (each a small form: no script), watch the running
    total, check the choices, then send them once."""
    nav(page, "Budget")
    page.get_by_role("link", name=round_title).click()
    for title in titles:
        page.get_by_role("button", name=f"Add {title}").click()
        expect(page.get_by_role("button", name=f"Remove {title}")).to_be_visible()
    expect(page.get_by_role("region", name="Your choices")).to_contain_text(
        f"Your choices: {total} of the round's £100.00 ({len(titles)} proposals)"
    )
    page.get_by_role("link", name="Check and send my approvals").click()
    expect(page.get_by_role("region", name="Your approvals")).to_contain_text(
        re.compile(rf"Total\s*{re.escape(total)} of £100.00")
    )
    page.get_by_role("button", name="Send my approvals").click()
    expect(page.get_by_role("status").first).to_contain_text("Your approvals are recorded")
    expect(page.get_by_role("button", name="Send my approvals")).to_have_count(0)


@pytest.mark.timeout(240)  # three people and a dozen pages: about 75 s here, with setup
def test_a_budget_round_from_income_to_result(
    hub: Hub, organiser_account: Organiser, page: Page, new_page: Callable[[], Page]
) -> None:
    for person in (ANN, BOB):
        apply_to_join(new_page(), hub.url, person)
    treasurer = page  # the founder, in the interim steering group, acts as treasurer
    log_in(treasurer, hub.url, organiser_account.email, organiser_account.password)
    nav(treasurer, "Members")
    for person in (ANN, BOB):
        treasurer.get_by_role("button", name=f"Approve {person.name}").click()
        expect(treasurer.get_by_role("status")).to_have_text(f"{person.name}: approved.")

    # The treasurer records income.
    nav(treasurer, "Funds")
    treasurer.get_by_label("Type", exact=True).select_option("income")
    treasurer.get_by_label("Amount in pounds").fill("150")
    treasurer.get_by_label("Category").fill("Donations")
    treasurer.get_by_label("Note", exact=True).fill("Jumble sale takings")
    treasurer.get_by_role("button", name="Record entry").click()
    expect(treasurer.get_by_role("status")).to_have_text("Entry 1 recorded.")
    expect(treasurer.locator(".figures")).to_contain_text("Balance£150.00")

    # …and opens a round with £100 of it (the form suggests two weeks, then a week).
    nav(treasurer, "Budget")
    expect(treasurer.get_by_text("Available to put into a round: £150.00")).to_be_visible()
    treasurer.get_by_label("Name of the round").fill("Spring round")
    treasurer.get_by_label("Amount in pounds").fill("100")
    treasurer.get_by_role("button", name="Open the round").click()
    expect(treasurer.get_by_role("heading", level=1, name="Spring round")).to_be_visible()
    expect(treasurer.get_by_role("main")).to_contain_text("£100.00 to spend. Taking proposals")

    ann, bob = new_page(), new_page()
    log_in(ann, hub.url, ANN.email, ANN.password)
    log_in(bob, hub.url, BOB.email, BOB.password)
    propose(ann, "Spring round", "Seeds for the garden", "Seeds and **compost**.", "60")
    propose(bob, "Spring round", "Hall hire", "For the winter meetings.", "50")
    propose(bob, "Spring round", "Zine printing", "Two hundred copies.", "30")
    expect(bob.locator("article strong")).to_have_text("compost")  # Markdown, cleaned

    # Proposals have closed; voting is open (the windows start on the next whole minute).
    shift_round(hub, "Spring round", 14 * DAY_MS + 2 * 60_000)
    approve(ann, "Spring round", ["Seeds for the garden", "Hall hire"], "£110.00")
    # Bob, on a phone, sees his choices and their total before he sends them.
    set_width(bob, 375)
    nav(bob, "Budget")
    bob.get_by_role("link", name="Spring round").click()
    bob.get_by_role("button", name="Add Seeds for the garden").click()
    bob.get_by_role("button", name="Add Zine printing").click()
    expect(bob.get_by_role("region", name="Your choices")).to_contain_text("£90.00")
    check_accessibility(bob)
    screenshot(bob, "budget-choices")
    bob.get_by_role("link", name="Check and send my approvals").click()
    check_accessibility(bob)
    screenshot(bob, "budget-review")
    set_width(bob, 1280)
    check_accessibility(bob)
    screenshot(bob, "budget-review")
    bob.get_by_role("button", name="Send my approvals").click()
    expect(bob.get_by_role("status").first).to_contain_text("Your approvals are recorded")
    expect(bob.get_by_role("main")).to_contain_text("2 members have sent approvals so far.")

    shift_round(hub, "Spring round", 7 * DAY_MS)  # voting has closed
    nav(treasurer, "Budget")
    expect(treasurer.get_by_role("main")).to_contain_text("Decided: voting closed")
    treasurer.get_by_role("link", name="Spring round").click()
    result = treasurer.get_by_role("region", name="Result")
    rows = result.get_by_role("row")
    expect(rows).to_have_count(4)
    # Seeds: 2 approvals. Hall and Zine: 1 each, so the cheaper Zine goes first.
    expect(rows.nth(1)).to_contain_text(
        re.compile(r"1\s*Seeds for the garden\s*£60.00\s*2\s*funded")
    )
    expect(rows.nth(2)).to_contain_text(re.compile(r"2\s*Zine printing\s*£30.00\s*1\s*funded"))
    expect(rows.nth(3)).to_contain_text(
        re.compile(r"3\s*Hall hire\s*£50.00\s*1\s*skipped: £10.00 left, costs £50.00")
    )
    expect(treasurer.get_by_role("main")).to_contain_text("£90.00 funded, £10.00 left over")
    screenshot(treasurer, "budget-result")
    check_accessibility(treasurer)
    # On a phone each row is a card: the proposal's name, then what was decided about it
    # (its cost, funded or not), then the rest (its place in the order, its approvals).
    set_width(treasurer, 375)
    first = result.get_by_role("row").nth(1)
    tops = {
        label: first.locator(selector).bounding_box()["y"]  # type: ignore[index]
        for label, selector in (
            ("name", "th"), ("cost", "td[data-label=Cost]"), ("result", "td[data-label=Result]"),
            ("order", "td[data-label=Order]"), ("approvals", "td[data-label=Approvals]"),
        )
    }  # fmt: skip
    assert tops["name"] < tops["cost"] < tops["result"] < tops["order"] < tops["approvals"], tops
    check_accessibility(treasurer)
    screenshot(treasurer, "budget-result")

    # The funded proposals are commitments in the ledger, which every member sees.
    nav(ann, "Funds")
    entries = ann.get_by_role("region", name="Ledger entries")
    expect(entries).to_contain_text("Spring round: Seeds for the garden")
    expect(entries).to_contain_text("Spring round: Zine printing")
    expect(entries).not_to_contain_text("Hall hire")
    figures = ann.locator(".figures")
    expect(figures).to_contain_text("Balance£150.00")
    expect(figures).to_contain_text("Committed, not yet paid£90.00")
    expect(figures).to_contain_text("Available£60.00")
    expect(ann.get_by_role("button", name="Record entry")).to_have_count(0)
    screenshot(ann, "funds-member")
