"""Two hubs elect their delegates, who table, second and vote on a network motion in a browser.

Riverside and Northgate are real `hubnet run` processes under Debian's libfaketime,
sharing one FAKETIME_TIMESTAMP_FILE so that their clocks agree as the test moves
them on (see test_year.py). Each hub elects its delegate to the network through its
election pages; the delegates then use the network pages as a delegate would, and
each hub's result page must show the same outcome counted from the same messages.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import (
    Applicant,
    apply_to_join,
    check_accessibility,
    log_in,
    parse_organiser,
    screenshot,
)
from tests.browser.test_year import LIBFAKETIME, Clock
from tests.integration.network import Hub, found_network, wait_for

DAY = 86_400
WEEK_AND_AN_HOUR = 7 * DAY + 3600
TITLE = "Back the tenants' union's rent strike"
TEXT = "The network backs the tenants' union's rent strike and asks every hub to host a meeting."
# How long a page is reloaded while it waits for a message from the other hub.
FEDERATION_SECONDS = 30


@dataclass(frozen=True)
class Side:
    """One hub with its people: the member who stands as delegate, and a member who does not."""

    hub: Hub
    delegate: Applicant
    network_name: str
    member: Applicant

    def mandate_published(self) -> bool:
        return self.network_name in self.hub.cli("log", "--kind", "delegate.mandate")


@pytest.fixture(scope="module")
def two_hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub, Clock]]:
    if not LIBFAKETIME.exists():
        pytest.fail(f"{LIBFAKETIME} is missing: `make test` installs Debian's faketime package")
    root = tmp_path_factory.mktemp("motions")
    clock = Clock(root / "faketime")
    env = {
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(clock.path),
        "FAKETIME_NO_CACHE": "1",
    }

    with ThreadPoolExecutor(2) as pool:  # init and start-up mostly wait: run both at once
        made = list(pool.map(lambda name: Hub(root, name), ("Riverside", "Northgate")))
    # The two hubs found one network: only its members' decisions count.
    found_network(made)
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(hub.start, env) for hub in made]
    started = [f.result() for f in futures if f.exception() is None]
    try:
        assert len(started) == 2, [f.exception() for f in futures]
        riverside, northgate = started
        # Peering runs the CLI on real time: do it before the clock moves.
        northgate.peer_with(riverside)
        yield riverside, northgate, clock
    finally:
        for hub in started:
            hub.stop()


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def as_person(page: Page, hub: Hub, person: Applicant) -> None:
    """Log in afresh (a jump in time ends every session)."""
    page.context.clear_cookies()
    log_in(page, hub.url, person.email, person.password)
    expect(page.get_by_role("heading", level=1, name=re.compile("^Welcome"))).to_be_visible()


def reload_until(page: Page, locator: Locator, what: str) -> None:
    """Reload the page until `locator` shows: another hub's message has to arrive first."""
    deadline = time.monotonic() + FEDERATION_SECONDS
    while True:
        try:
            expect(locator).to_be_visible(timeout=1000)
            return
        except AssertionError as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"{page.url}: still waiting for {what}") from exc
        page.reload()


def open_delegate_election(page: Page, side: Side) -> str:
    """The founder approves both applicants and opens the election of a delegate."""
    founder = parse_organiser(side.hub.init_output)
    page.context.clear_cookies()
    log_in(page, side.hub.url, founder.email, founder.password)
    nav(page, "Members")
    for person in (side.delegate, side.member):
        page.get_by_role("button", name=f"Approve {person.name}").click()
        expect(page.get_by_role("status")).to_have_text(f"{person.name}: approved.")
    nav(page, "Elections")
    page.get_by_role("link", name="Open an election or a recall vote").click()
    page.get_by_label("Role", exact=True).select_option(label="Delegate to the network")
    page.get_by_label("Plurality").check()
    page.get_by_role("button", name="Open the election").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Election: Delegate to the network")
    return page.url


def stand(page: Page, side: Side, election: str) -> None:
    as_person(page, side.hub, side.delegate)
    page.goto(election)
    page.get_by_label("Your name for the network").fill(side.network_name)
    page.get_by_role("button", name="Nominate myself").click()
    expect(page.get_by_role("main")).to_contain_text(f"“{side.network_name}”")


def vote_in_election(page: Page, side: Side, election: str, voter: Applicant) -> None:
    as_person(page, side.hub, voter)
    page.goto(election)
    page.get_by_label(side.delegate.name).check()
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.get_by_role("status")).to_contain_text("Your vote is cast")


def motion_in_list(page: Page, section: str) -> Locator:
    """The motion's entry in the list under one heading ("Open to second", "Results", ...)."""
    heading = page.get_by_role("heading", level=2, name=re.compile(f"^{section} \\(\\d+\\)$"))
    return (
        heading.locator("xpath=following-sibling::*[1]")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("link", name=TITLE))
    )


def input_digest(page: Page) -> str:
    # The digest is under the result's "Technical details": open it as a member would.
    disclosure = page.locator("details").filter(has_text="Input digest:")
    if not disclosure.evaluate("details => details.open"):
        disclosure.get_by_text("Technical details").click()
    text = page.get_by_role("paragraph").filter(has_text="Input digest:").inner_text()
    found = re.search(r"Input digest: ([0-9a-f]{64})\b", text)
    assert found, f"no input digest on {page.url}: {text!r}"
    return found.group(1)


def test_two_hubs_elect_delegates_who_table_second_and_decide_a_motion(
    two_hubs: tuple[Hub, Hub, Clock], new_page: Callable[[], Page]
) -> None:
    riverside, northgate, clock = two_hubs
    sides = (
        Side(
            riverside,
            Applicant("Ria Stone", "ria@example.org", "", "ria's password here"),
            "Ria from Riverside",
            Applicant("Sam Holt", "sam@example.org", "", "sam's password here"),
        ),
        Side(
            northgate,
            Applicant("Nat Byrne", "nat@example.org", "", "nat's password here"),
            "Nat from Northgate",
            Applicant("Noor Ali", "noor@example.org", "", "noor's password here"),
        ),
    )
    page = new_page()  # whoever is at the keyboard: each step logs its person in

    # -- Each hub: two members join, and one stands as delegate to the network. ------
    elections = []
    for side in sides:
        apply_to_join(page, side.hub.url, side.delegate)
        apply_to_join(page, side.hub.url, side.member)
        election = open_delegate_election(page, side)
        stand(page, side, election)
        elections.append(election)

    # -- A week on, voting opens and both members vote for the candidate. ------------
    clock.forward(WEEK_AND_AN_HOUR)
    for side, election in zip(sides, elections, strict=True):
        for voter in (side.delegate, side.member):
            vote_in_election(page, side, election, voter)

    # -- Another week on, voting closes: reading the page closes the election. ------
    clock.forward(WEEK_AND_AN_HOUR)
    for side, election in zip(sides, elections, strict=True):
        as_person(page, side.hub, side.member)
        page.goto(election)
        expect(page.get_by_role("main")).to_contain_text(f"{side.delegate.name} was elected")
        wait_for(f"{side.hub.name} to publish its delegate's mandate", side.mandate_published)
    ria, nat = sides

    # -- Riverside's delegate tables a motion. ---------------------------------------
    delegate = new_page()
    as_person(delegate, riverside, ria.delegate)
    nav(delegate, "Motions")
    expect(delegate.get_by_role("heading", level=1)).to_have_text("Network motions")
    delegate.get_by_role("link", name="Table a motion").click()
    expect(delegate.get_by_role("heading", level=1)).to_have_text("Table a motion")
    check_accessibility(delegate)
    closes = clock.now() + dt.timedelta(days=3)
    delegate.get_by_label("For", exact=True).select_option(label="National assembly")
    delegate.get_by_label("Title").fill(TITLE)
    delegate.get_by_label("Text").fill(TEXT)
    delegate.get_by_label("For, Against, Abstain").check()
    delegate.get_by_label("Seconds needed").fill("1")
    # The form reads the hub's zone (Europe/London: the hub chose none).
    local = closes.astimezone(zoneinfo.ZoneInfo("Europe/London"))
    delegate.get_by_label("Voting closes").fill(local.strftime("%Y-%m-%dT%H:%M"))
    delegate.get_by_label("Decision rule").select_option(label="Simple majority of votes cast")
    delegate.get_by_label("Quorum").fill("50")
    delegate.get_by_role("button", name="Table the motion").click()
    expect(delegate.get_by_role("heading", level=1)).to_have_text(TITLE)
    main = delegate.get_by_role("main")
    expect(main).to_contain_text("National assembly · tabled by Riverside")
    expect(main).to_contain_text(TEXT)
    expect(main).to_contain_text("It goes to the vote once 1 hub other than the one that tabled")
    expect(main).to_contain_text("(waiting for seconds until ")
    expect(main).to_contain_text("; not final)")
    screenshot(delegate, "motion-tabled")
    # A hub cannot second its own motion, and nobody votes before it is seconded.
    expect(delegate.get_by_role("button", name=re.compile("Second"))).to_have_count(0)
    expect(delegate.get_by_role("button", name="Vote", exact=True)).to_have_count(0)
    motion_path = delegate.url.removeprefix(riverside.url)
    assert re.fullmatch(r"/network/motions/[0-9a-f]{64}", motion_path), delegate.url

    # -- Northgate's delegate finds it open to second, and seconds it. ---------------
    seconder = new_page()
    as_person(seconder, northgate, nat.delegate)
    nav(seconder, "Motions")
    waiting = motion_in_list(seconder, "Open to second")
    reload_until(seconder, waiting, "Riverside's motion to arrive")
    expect(waiting).to_contain_text("National assembly, tabled by Riverside")
    expect(waiting).to_contain_text("Seconded by 0 hubs; 1 needed.")
    waiting.get_by_role("link", name=TITLE).click()
    expect(seconder.get_by_role("heading", level=1)).to_have_text(TITLE)
    seconder.get_by_role("button", name="Second this motion for our hub").click()
    expect(seconder.get_by_role("status")).to_have_text("This hub has seconded the motion.")
    # The second counts once most of the network's hubs (here both) have witnessed it.
    reload_until(
        seconder,
        seconder.get_by_role("heading", name="Cast our hub's vote"),
        "both hubs to witness the second",
    )
    main = seconder.get_by_role("main")
    expect(main).to_contain_text("(voting open until ")
    expect(main).to_contain_text("Seconded by 1 hub; 1 needed.")
    expect(seconder.get_by_role("button", name="Second this motion for our hub")).to_have_count(0)

    # -- Both delegates vote for their hubs. -----------------------------------------
    expect(seconder.get_by_role("heading", name="Cast our hub's vote")).to_be_visible()
    ballot = seconder.get_by_role("group", name=f"As {nat.network_name}, for our hub")
    # Nothing is chosen before the delegate chooses: a hub's vote has no default.
    expect(ballot.get_by_role("radio")).to_have_count(3)
    expect(ballot.get_by_role("radio", checked=True)).to_have_count(0)
    ballot.get_by_label("Abstain").check()
    seconder.get_by_role("button", name="Vote", exact=True).click()
    expect(seconder.get_by_role("status")).to_have_text("This hub's vote is cast: Abstain.")
    check_accessibility(seconder)
    screenshot(seconder, "motion-voting")

    reload_until(
        delegate,
        delegate.get_by_role("heading", name="Cast our hub's vote"),
        "Northgate's second to arrive",
    )
    expect(delegate.get_by_role("main")).to_contain_text("(voting open until ")
    ballot = delegate.get_by_role("group", name=f"As {ria.network_name}, for our hub")
    expect(ballot.get_by_role("radio")).to_have_count(3)
    ballot.get_by_label("For", exact=True).check()
    delegate.get_by_role("button", name="Vote", exact=True).click()
    expect(delegate.get_by_role("status")).to_have_text("This hub's vote is cast: For.")

    # A member who is not the delegate sees the motion in voting, but cannot act for the hub.
    member = new_page()
    as_person(member, northgate, nat.member)
    nav(member, "Motions")
    in_voting = motion_in_list(member, "In voting")
    expect(in_voting).to_contain_text("tabled by Riverside")
    expect(member.get_by_role("link", name="Table a motion")).to_have_count(0)
    in_voting.get_by_role("link", name=TITLE).click()
    expect(member.get_by_role("main")).to_contain_text("(voting open until ")
    expect(member.get_by_role("heading", name="Cast our hub's vote")).to_have_count(0)
    expect(member.get_by_role("button", name="Vote", exact=True)).to_have_count(0)
    expect(member.get_by_role("button", name=re.compile("Second"))).to_have_count(0)

    # -- Before the close, each hub has seen both votes witnessed by both hubs. -------
    # A vote counts only if most of the network's hubs witnessed it before the close
    # (PROTOCOL.md §14.4): moving the clock on sooner would leave it out.
    for side in sides:
        as_person(page, side.hub, side.member)
        page.goto(side.hub.url + motion_path)
        reload_until(
            page,
            page.get_by_role("paragraph").filter(has_text="2 of 2 hubs in the body took part"),
            f"{side.hub.name} to count both votes",
        )
        expect(page.get_by_role("main")).to_contain_text("1 vote cast.")

    # -- Past the close, both hubs count the same result from the same messages. -----
    clock.forward(3 * DAY + 3600)
    digests = []
    for side in sides:
        as_person(page, side.hub, side.member)
        nav(page, "Motions")
        result = motion_in_list(page, "Results")
        reload_until(page, result, "every vote to arrive and the motion to close")
        expect(result).to_contain_text("decided: For.")
        result.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        reload_until(
            page,
            page.get_by_role("paragraph").filter(has_text="2 of 2 hubs in the body took part"),
            "the other hub's vote to arrive",
        )
        outcome = page.get_by_role("paragraph").filter(has_text="(final)")
        expect(outcome).to_have_text("decided: For (final)")
        main = page.get_by_role("main")
        expect(main).to_contain_text("Seconded by 1 hub; 1 needed.")
        expect(main).to_contain_text("1 vote cast.")
        expect(main).to_contain_text("Every signature checks.")
        counts = page.get_by_role("region", name="Votes by option").get_by_role("cell")
        expect(counts).to_have_text(["For", "1", "Against", "0", "Abstain (not a vote cast)", "1"])
        votes = page.get_by_role("region", name="Every hub's vote")
        for name, delegate_name, choice in (
            ("Riverside", ria.network_name, "For"),
            ("Northgate", nat.network_name, "Abstain"),
        ):
            row = votes.get_by_role("row").filter(has_text=delegate_name)
            expect(row.get_by_role("rowheader")).to_have_text(name)
            # The mandate's id is folded under Technical details.
            expect(row.get_by_role("cell")).to_have_text(
                [
                    delegate_name,
                    re.compile(r"^Technical details\s*[0-9a-f]{64}$"),
                    f"{choice} voted",
                    "checks",
                ]
            )
        # The member may read the result, and nothing on it acts for the hub.
        expect(page.get_by_role("button", name="Vote", exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("Second"))).to_have_count(0)
        digests.append(input_digest(page))
    check_accessibility(page)
    screenshot(page, "motion-result")
    assert digests[0] == digests[1], f"the hubs counted different messages: {digests}"
