"""Three real hub nodes elect their delegates, decide a network motion, and every
node counts the same result.

Everything goes through the pages members use, over HTTP: people apply and are
approved, each hub's interim group opens the delegate election, a member stands,
members vote, and the node puts the winner in office and signs the mandate. One
hub's members later recall their delegate by a recall vote and elect another,
who votes again for the hub. The nodes run under Debian's libfaketime with one
shared clock file, so the test moves the network's time by days (elections,
the motion's close) while the nodes, and the CLI reading their stores, agree on
what time it is.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.network import Hub, found_network, wait_for
from tests.integration.procs import run_cli

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
DAY = 86_400
PASSWORD = "a long enough password"


class Clock:
    """The nodes' clock: real time plus an offset the test sets, read by every
    node process (and CLI run) through libfaketime."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.path.write_text("+0\n", encoding="ascii")

    def forward(self, seconds: int) -> None:
        self.offset += seconds
        self.path.write_text(f"+{self.offset}\n", encoding="ascii")

    def field(self, seconds_from_now: int) -> str:
        """A datetime-local form value (the hub's zone, Europe/London, to the minute),
        as the node reads it."""
        london = zoneinfo.ZoneInfo("Europe/London")
        moment = dt.datetime.fromtimestamp(time.time() + self.offset + seconds_from_now, london)
        return moment.strftime("%Y-%m-%dT%H:%M")

    @property
    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
        }


class Browser:
    """A person's browser: cookies, the CSRF field, forms posted as the pages post them."""

    def __init__(self, hub: Hub, email: str | None = None, password: str = PASSWORD) -> None:
        self.url = hub.url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        if email is not None:
            self.post("/login", {"email": email, "password": password})

    def get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=30) as response:
            return str(response.read().decode())

    def post(self, path: str, data: dict[str, str] | None = None) -> tuple[str, str]:
        token = re.search(r'name="csrf" value="([^"]+)"', self.get("/join"))
        assert token
        body = urllib.parse.urlencode({"csrf": token.group(1), **(data or {})}).encode()
        with self.opener.open(self.url + path, data=body, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def status(self, path: str, data: dict[str, str]) -> int:
        try:
            self.post(path, data)
        except urllib.error.HTTPError as exc:
            return exc.code
        return 200


class Members:
    """One hub's people: the organiser from `hubnet init` and members who join."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.organiser_password = hub.init_output.split("organiser password: ")[1].split()[0]

    def organiser(self) -> Browser:
        return Browser(self.hub, "organiser@localhost", self.organiser_password)

    def join(self, name: str) -> str:
        """Apply through /join and be approved by the organiser; the member's email."""
        email = f"{name.lower()}@example.org"
        Browser(self.hub).post(
            "/join",
            {
                "name": name,
                "email": email,
                "password": PASSWORD,
                "sign_charter": "yes",
                "accept_privacy": "yes",
            },
        )
        organiser = self.organiser()
        page = organiser.get("/organise/members")
        found = re.search(
            re.escape(email) + r"</td>.*?/organise/members/(\d+)/approve", page, re.DOTALL
        )
        assert found, f"{name}'s application is not on {self.hub.name}'s members page"
        organiser.post(f"/organise/members/{found.group(1)}/approve")
        return email

    def as_member(self, email: str) -> Browser:
        return Browser(self.hub, email)


def open_election(hub: Members, clock: Clock) -> str:
    """The interim group opens the delegate election: nominations for a day, then
    voting for a day. The election's page address."""
    url, page = hub.organiser().post(
        "/elections/new",
        {
            "role": "delegate",
            "method": "plurality",
            "nominations_close": clock.field(DAY),
            "voting_opens": clock.field(DAY),
            "voting_closes": clock.field(2 * DAY),
        },
    )
    assert "/elections/new" not in url, page
    return urllib.parse.urlparse(url).path


def vote_for(browser: Browser, election: str, name: str) -> None:
    page = browser.get(election)
    choice = re.search(r'name="choice" value="(\d+)" required> ' + re.escape(name), page)
    assert choice, f"{name} is not a candidate on {election}"
    _, page = browser.post(f"{election}/vote", {"choice": choice.group(1)})
    assert "Your vote is cast" in page


def delegate_of(hub: Hub, clock: Clock, name: str) -> None:
    """Wait until the hub has signed a mandate naming `name` (the node closes the
    election itself, on its periodic task or when a page is read)."""
    wait_for(
        f"{hub.name} to sign {name}'s mandate",
        lambda: name in cli(hub, clock, "log", "--kind", "delegate.mandate"),
        timeout=60,
    )


def cli(hub: Hub, clock: Clock, *words: str) -> str:
    split = 2 if words[0] == "motion" else 1
    result = run_cli(*words[:split], "--data-dir", str(hub.data_dir), *words[split:], env=clock.env)
    assert result.returncode == 0, f"hubnet {' '.join(words)}: {result.stderr}"
    return result.stdout


@pytest.fixture
def network(tmp_path: Path) -> Iterator[tuple[list[Hub], Clock]]:
    if not LIBFAKETIME.exists():
        pytest.fail(f"{LIBFAKETIME} is missing: `make test` installs Debian's faketime package")
    clock = Clock(tmp_path / "faketime")
    hubs = [Hub(tmp_path, n) for n in ("Riverside", "Northgate", "Hillfield")]
    found_network(hubs)
    for hub in hubs:
        hub.start(env=clock.env)
    try:
        a, b, c = hubs
        b.peer_with(a)
        c.peer_with(b)
        c.peer_with(a)
        yield hubs, clock
    finally:
        for hub in hubs:
            hub.stop()


def test_three_hubs_elect_delegates_decide_a_motion_and_count_the_same(
    network: tuple[list[Hub], Clock],
) -> None:
    hubs, clock = network
    _, b, c = hubs
    people = [Members(hub) for hub in hubs]
    riverside, northgate, hillfield = people

    # -- Each hub elects its delegate. ----------------------------------------------
    # Per hub: who stands, then who else joins (and votes).
    joining = {"Riverside": ("Ria", "Rob"), "Northgate": ("Nat", "Noor")}
    joining["Hillfield"] = ("Hal", "Hana", "Hugo")
    emails: dict[str, str] = {}
    elections: dict[str, str] = {}
    for hub in people:
        names = joining[hub.hub.name]
        for name in names:
            emails[name] = hub.join(name)
        elections[hub.hub.name] = open_election(hub, clock)
        _, page = hub.as_member(emails[names[0]]).post(
            f"{elections[hub.hub.name]}/nominate", {"nominee": "me", "network_name": names[0]}
        )
        assert "You are standing in this election." in page
    clock.forward(DAY + 120)
    for hub in people:
        stands, voter = joining[hub.hub.name][:2]
        vote_for(hub.as_member(emails[voter]), elections[hub.hub.name], stands)
    clock.forward(DAY + 120)
    for hub in people:
        delegate_of(hub.hub, clock, joining[hub.hub.name][0])

    # -- Riverside's delegate tables a motion; the other two hubs second it. ----------
    url, page = riverside.as_member(emails["Ria"]).post(
        "/network/motions",
        {
            "body": "national",
            "title": "Support the tenants' union",
            "text": "The network backs the tenants' union's campaign.",
            "options_kind": "for-against",
            "seconds_needed": "2",
            "closes": clock.field(30 * DAY),
            "rule": "majority",
            "quorum_percent": "50",
        },
    )
    motion_id = url.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{64}", motion_id), page
    path = f"/network/motions/{motion_id}"
    for hub in (b, c):
        wait_for(f"{hub.name} to hold the motion", lambda h=hub: held(h, clock, motion_id))
    nat, hal = northgate.as_member(emails["Nat"]), hillfield.as_member(emails["Hal"])
    assert "This hub has seconded the motion." in nat.post(f"{path}/second")[1]
    assert "This hub has seconded the motion." in hal.post(f"{path}/second")[1]
    for hub in hubs:
        wait_for(
            f"{hub.name} to see both seconds",
            lambda h=hub: "seconds:  2 of 2" in cli(h, clock, "motion", "verify", motion_id),
        )

    # -- The delegates vote. ---------------------------------------------------------
    riverside.as_member(emails["Ria"]).post(f"{path}/vote", {"choice": "For"})
    nat.post(f"{path}/vote", {"choice": "Against"})
    hal.post(f"{path}/vote", {"choice": "Against"})

    # -- Hillfield's members recall Hal by a recall vote, and elect Hana. ------------
    url, page = hillfield.organiser().post(
        "/elections/recall",
        {
            "recall_role": "delegate",
            "recall_opens": clock.field(0),
            "recall_closes": clock.field(3600),
        },
    )
    recall = urllib.parse.urlparse(url).path
    assert recall.startswith("/elections/") and "Recall vote" in page, page
    for name in ("Hana", "Hugo"):
        _, page = hillfield.as_member(emails[name]).post(f"{recall}/vote", {"choice": "yes"})
        assert "Your vote is cast" in page
    clock.forward(3600 + 120)
    wait_for(
        "Hillfield to sign the recall",
        lambda: "Recalled by a vote" in cli(c, clock, "log", "--kind", "delegate.recall"),
        timeout=60,
    )
    hal = hillfield.as_member(emails["Hal"])
    assert hal.status(f"{path}/vote", {"choice": "For"}) == 403  # no longer the delegate
    election = open_election(hillfield, clock)
    _, page = hillfield.as_member(emails["Hana"]).post(
        f"{election}/nominate", {"nominee": "me", "network_name": "Hana"}
    )
    assert "You are standing in this election." in page
    clock.forward(DAY + 120)
    vote_for(hillfield.as_member(emails["Hugo"]), election, "Hana")
    clock.forward(DAY + 120)
    delegate_of(c, clock, "Hana")
    _, page = hillfield.as_member(emails["Hana"]).post(f"{path}/vote", {"choice": "For"})

    # -- Every node holds every vote, and a majority of the hubs witnessed each one. --
    # Only then may the clock pass the close: a vote nobody witnessed before the close
    # does not count (PROTOCOL.md §14.4).
    def witnessed(hub: Hub) -> bool:
        out = cli(hub, clock, "motion", "verify", motion_id)
        return "Hana" in out and "turnout:  3 of 3" in out and "not witnessed" not in out

    for hub in hubs:
        wait_for(
            f"{hub.name} to hold every vote, witnessed", lambda h=hub: witnessed(h), timeout=90
        )

    # -- The motion closes; every node counts the same result from the same input. ----
    clock.forward(30 * DAY)

    def settled(hub: Hub) -> bool:
        out = cli(hub, clock, "motion", "verify", motion_id)
        return "outcome:  decided: For" in out and "Hana" in out and "turnout:  3 of 3" in out

    for hub in hubs:
        wait_for(f"{hub.name} to count every vote", lambda h=hub: settled(h), timeout=60)
    outputs = [cli(hub, clock, "motion", "verify", motion_id) for hub in hubs]
    digests = {re.search(r"digest:\s+([0-9a-f]{64})", out).group(1) for out in outputs}  # type: ignore[union-attr]
    assert len(digests) == 1
    for out in outputs:
        assert "SIGNATURE FAILS" not in out
        assert "replaced by this hub's later vote" in out  # Hal's Against, by Hana's For
    page = urllib.request.urlopen(b.url + path, timeout=30).read().decode()
    assert next(iter(digests)) in page and "decided: For" in page and "So far" not in page


def held(hub: Hub, clock: Clock, motion_id: str) -> bool:
    result = run_cli("motion", "verify", "--data-dir", str(hub.data_dir), motion_id, env=clock.env)
    return result.returncode == 0 and "motion:" in result.stdout
