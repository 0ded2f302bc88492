"""A hub's first year, in a real browser against a real `hubnet run` whose clock moves.

The node runs under Debian's libfaketime (LD_PRELOAD): the test writes an offset
such as "+604800" to the file named by FAKETIME_TIMESTAMP_FILE, and with
FAKETIME_NO_CACHE=1 every clock read in the node process sees it at once. The
node's own code has no test hook for time; Chromium and the test keep real time.
Sessions expire as the clock jumps (a week at most), so people log in again.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    Applicant,
    apply_to_join,
    check_accessibility,
    log_in,
    parse_organiser,
    screenshot,
)
from tests.integration.network import Hub

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
DAY = 86_400
ANN = Applicant("Ann Lee", "ann@example.org", "", "ann's password here")
BOB = Applicant("Bob Ray", "bob@example.org", "", "bob's password here")
CAT = Applicant("Cat Moss", "cat@example.org", "", "cat's password here")
ORGANISER_PASSWORD = "the founder's own password"


class Clock:
    """The node process's clock: real time plus an offset the test sets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.set(0)

    def set(self, seconds: int) -> None:
        self.offset = seconds
        self.path.write_text(f"+{seconds}\n", encoding="ascii")

    def forward(self, seconds: int) -> None:
        self.set(self.offset + seconds)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(time.time() + self.offset, tz=dt.UTC)


@pytest.fixture(scope="module")
def timed_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Clock]]:
    if not LIBFAKETIME.exists():
        pytest.fail(f"{LIBFAKETIME} is missing: `make test` installs Debian's faketime package")
    root = tmp_path_factory.mktemp("year")
    clock = Clock(root / "faketime")
    hub = Hub(root, "Riverside")
    hub.start(
        env={
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(clock.path),
            "FAKETIME_NO_CACHE": "1",
        }
    )
    try:
        yield hub, clock
    finally:
        hub.stop()


def nav(page: Page, name: str | re.Pattern[str]) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def as_person(page: Page, hub: Hub, email: str, password: str) -> None:
    """Log in afresh (a jump in time ends every session)."""
    page.context.clear_cookies()
    log_in(page, hub.url, email, password)
    expect(page.get_by_role("heading", level=1, name=re.compile("^Welcome"))).to_be_visible()


def open_election(page: Page, hub: Hub, role: str, method: str) -> str:
    page.goto(hub.url + "/elections/new")
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_label(method).check()
    page.get_by_role("button", name="Open the election").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Election: {role}")
    return page.url


def test_a_hub_elects_its_officers_and_a_year_later_the_chair_stands_down(
    timed_hub: tuple[Hub, Clock], new_page: Callable[[], Page]
) -> None:
    hub, clock = timed_hub
    founder = parse_organiser(hub.init_output)
    organiser = new_page()
    member = new_page()

    # -- The hub is founded: its organiser steers as the interim group. -------------
    log_in(organiser, hub.url, founder.email, founder.password)
    organiser.goto(hub.url + "/account")
    organiser.get_by_label("Current password").fill(founder.password)
    organiser.get_by_label("New password").fill(ORGANISER_PASSWORD)
    organiser.get_by_role("button", name="Change password").click()
    organiser.wait_for_url("**/login")
    for person in (ANN, BOB, CAT):
        apply_to_join(member, hub.url, person)
    as_person(organiser, hub, founder.email, ORGANISER_PASSWORD)
    nav(organiser, "Members")
    for person in (ANN, BOB, CAT):
        organiser.get_by_role("button", name=f"Approve {person.name}").click()
        expect(organiser.get_by_role("status")).to_have_text(f"{person.name}: approved.")
    nav(organiser, "Roles")
    expect(organiser.get_by_role("heading", name="Interim steering group")).to_be_visible()
    expect(organiser.get_by_role("main")).to_contain_text("Organiser")
    member.goto(hub.url + "/")
    expect(member.get_by_role("main")).to_contain_text("founder acts as an interim steering group")

    # -- The first elections open, and members stand. -------------------------------
    chair = open_election(organiser, hub, "Chair", "Instant-runoff")
    secretary = open_election(organiser, hub, "Secretary", "Plurality")
    delegate = open_election(organiser, hub, "Delegate to the network", "Plurality")

    as_person(member, hub, ANN.email, ANN.password)
    expect(member.get_by_role("navigation", name="Main")).to_contain_text("3 unread")
    member.goto(chair)
    member.get_by_role("button", name="Nominate myself").click()
    expect(member.get_by_role("status")).to_have_text("You are standing in this election.")

    organiser.goto(secretary)
    organiser.get_by_label("Member", exact=True).select_option(label=BOB.name)
    organiser.get_by_role("button", name="Nominate", exact=True).click()
    expect(organiser.get_by_role("main")).to_contain_text("Bob Ray: nominated, not yet accepted")

    as_person(member, hub, BOB.email, BOB.password)
    nav(member, re.compile("^Notices"))
    member.get_by_role("link", name=re.compile("nominated you for Secretary")).click()
    member.get_by_role("button", name="Accept the nomination").click()
    expect(member.get_by_role("status")).to_contain_text("you are a candidate")

    as_person(member, hub, CAT.email, CAT.password)
    member.goto(delegate)
    member.get_by_label("Your name for the network").fill("Cat from Riverside")
    member.get_by_role("button", name="Nominate myself").click()
    expect(member.get_by_role("main")).to_contain_text("“Cat from Riverside”")

    # -- A week on, voting opens; every member votes. --------------------------------
    clock.forward(7 * DAY + 3600)
    as_person(member, hub, ANN.email, ANN.password)
    member.goto(chair)
    expect(member.get_by_role("main")).to_contain_text("Voting open")
    member.get_by_label(ANN.name, exact=True).select_option("1")
    member.get_by_role("button", name="Cast my vote").click()
    expect(member.get_by_role("status")).to_contain_text("Your vote is cast")
    expect(member.get_by_role("main")).to_contain_text("You have voted")
    screenshot(member, "election-voted")
    check_accessibility(member)
    member.goto(secretary)
    member.get_by_label(BOB.name).check()
    member.get_by_role("button", name="Cast my vote").click()
    expect(member.get_by_role("status")).to_contain_text("Your vote is cast")
    member.goto(delegate)
    member.get_by_label(CAT.name).check()
    member.get_by_role("button", name="Cast my vote").click()
    expect(member.get_by_role("status")).to_contain_text("Your vote is cast")

    # -- Voting closes: the new holders take office, with nobody visiting a page. ------
    clock.forward(7 * DAY + 3600)
    mandate = ""
    for _ in range(100):  # the node's periodic task closes the elections by itself
        mandate = hub.cli("log", "--kind", "delegate.mandate")
        if mandate.strip():
            break
        time.sleep(0.5)
    assert "Cat from Riverside" in mandate, mandate
    as_person(organiser, hub, founder.email, ORGANISER_PASSWORD)
    nav(organiser, "Roles")
    roles = organiser.get_by_role("region", name="Current roles")
    expect(roles.get_by_role("row", name=re.compile("^Chair Ann Lee"))).to_be_visible()
    expect(roles.get_by_role("row", name=re.compile("^Secretary Bob Ray"))).to_be_visible()
    expect(
        roles.get_by_role("row", name=re.compile("^Delegate to the network Cat Moss"))
    ).to_be_visible()
    expect(organiser.get_by_role("heading", name="Interim steering group")).to_have_count(0)
    expect(
        organiser.get_by_role("navigation", name="Main").get_by_role("link", name="Members")
    ).to_have_count(0)
    organiser.goto(chair)
    expect(organiser.get_by_role("main")).to_contain_text("Ann Lee was elected")
    screenshot(organiser, "election-result")
    check_accessibility(organiser)
    organiser.goto(hub.url + "/")
    expect(organiser.get_by_role("main")).to_contain_text("Chair: filled, until")
    expect(organiser.get_by_role("main")).not_to_contain_text("interim steering group")

    # -- Eleven months on, the secretary opens the next election for chair. ----------
    clock.forward(335 * DAY)
    as_person(member, hub, BOB.email, BOB.password)
    member.goto(hub.url + "/elections/new")
    member.get_by_label("Role", exact=True).select_option(label="Chair")
    member.get_by_label("Plurality").check()
    # The form reads the hub's zone (Europe/London: the hub chose none).
    london = zoneinfo.ZoneInfo("Europe/London")
    nominations_close = (clock.now() + dt.timedelta(days=40)).astimezone(london)
    voting_closes = (clock.now() + dt.timedelta(days=47)).astimezone(london)
    member.get_by_label("Nominations close").fill(nominations_close.strftime("%Y-%m-%dT%H:%M"))
    member.get_by_label("Voting opens", exact=True).fill(
        nominations_close.strftime("%Y-%m-%dT%H:%M")
    )
    member.get_by_label("Voting closes", exact=True).fill(voting_closes.strftime("%Y-%m-%dT%H:%M"))
    member.get_by_role("button", name="Open the election").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Election: Chair")
    next_chair = member.url

    # -- A year after taking office, the chair stands down and may not stand again. -----
    clock.forward(30 * DAY)
    as_person(member, hub, ANN.email, ANN.password)
    nav(member, "Roles")
    roles = member.get_by_role("region", name="Current roles")
    expect(roles.get_by_role("row", name=re.compile("^Chair Vacant"))).to_be_visible()
    expect(member.get_by_role("region", name="Past terms")).to_contain_text("Ann Lee")
    nav(member, re.compile("^Notices"))
    expect(member.get_by_role("main")).to_contain_text("Your term as Chair ended on")
    member.goto(next_chair)
    member.get_by_role("button", name="Nominate myself").click()
    alert = member.get_by_role("alert")
    expect(alert).to_contain_text("You held the role of Chair until")
    expect(alert).to_contain_text("so you can stand for it again from")
    expect(member.get_by_role("main")).to_contain_text("Nobody is nominated yet.")
    screenshot(member, "election-refused")
    # The delegate's term ended too: the hub told the network.
    assert "The delegate's term ended." in hub.cli("log", "--kind", "delegate.recall")
