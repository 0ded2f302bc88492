"""The network's assembly pages through the real app: bodies, motions, seconds, votes,
sealed votes and reveals, results, recalls, and the refusals, with a clock the test moves."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import config as settings
from node.accounts.permissions import Role
from node.appkeys import NODE
from node.governance import tally
from node.setup import init_data_dir
from protocol.envelope import Message
from protocol.kinds.assembly import DelegateMandate
from protocol.kinds.hub import HubProfile
from tests.assembly import DAY, LogHub
from tests.helpers import ManualClock
from tests.web.conftest import FAST_HASHING, PASSWORD, Site, make_member
from web.app import create_app

NOW = 1_767_225_600  # seconds; the test's clock starts here
CLOSES = NOW + 14 * DAY


class Remote(LogHub):
    """Another hub, whose signed messages reach this node as if through a peer."""

    def __init__(self, n: int, name: str) -> None:
        super().__init__(n)
        self.first = [
            self.send("hub.profile", HubProfile(name=name, url="http://127.0.0.1:9"), NOW - DAY)
        ]
        self.own_mandate = self.mandate(at=NOW - DAY, name=f"{name} delegate")


@pytest.fixture
async def hub(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(name, value)
    data_dir = tmp_path / "riverside"
    await init_data_dir(data_dir, "Riverside", "http://127.0.0.1:8080", "organiser@example.org")
    clock = ManualClock(NOW * 1000)
    client = await aiohttp_client(create_app(settings.load(data_dir), clock))
    node = client.app[NODE]
    await node.members.set_password(1, PASSWORD)
    yield Site(client, node), clock


async def ingest(site: Site, *messages: Message) -> None:
    report = await site.node.messages.ingest([m.wire for m in messages])
    assert all(o.status.value in ("stored", "duplicate", "held") for o in report.outcomes), report


async def elect(site: Site, email: str = "del@example.org", name: str = "Dee") -> Message:
    """As the elections do: the delegate role for a term, and the signed mandate."""
    member_id = await make_member(site.node, email)
    await site.node.members.grant(member_id, Role.DELEGATE, ends_at=(NOW + 365 * DAY) * 1000)
    return await site.node.messages.append(
        "delegate.mandate",
        DelegateMandate(delegate=name, body="national", starts=NOW - DAY, ends=NOW + 365 * DAY),
    )


def motion_form(**changes: str) -> dict[str, str]:
    return {
        "body": "national",
        "title": "Join the day of action",
        "text": "The network joins the **day of action**.",
        "options_kind": "for-against",
        "seconds_needed": "2",
        "closes": "2026-01-15T00:00",
        "rule": "majority",
        "quorum_percent": "50",
    } | changes


def motion_id_of(response: Any) -> str:
    match = re.fullmatch(r"/network/motions/([0-9a-f]{64})", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


async def kinds(site: Site) -> list[str]:
    return [m.kind for m in await site.node.messages.log(site.node.node_id, 0, 1000)]


async def test_network_page_lists_bodies_and_delegates(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    north = Remote(1, "Northgate")
    await ingest(site, *north.first, north.own_mandate)
    await elect(site)
    page = await (await site.client.get("/network")).text()
    assert "National assembly" in page
    assert "Northgate delegate" in page and "Dee" in page


async def test_secretary_tables_a_motion_and_its_rules_are_explained(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    await make_member(site.node, "sec@example.org", Role.SECRETARY)
    await site.login("sec@example.org")
    response = await site.post("/network/motions", motion_form(rule="two-thirds", sealed="yes"))
    assert response.status == 303
    page = await (await site.client.get(response.headers["Location"])).text()
    assert "<strong>day of action</strong>" in page
    assert "two thirds: the winning option needs at least two thirds" in page
    assert "Votes are sealed" in page and "Seconded by 0 hubs; 2 needed" in page
    listing = await (await site.client.get("/network/motions")).text()
    assert "Open to second (1)" in listing and "Join the day of action" in listing


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"title": ""}, "Title must be 1 to 200 characters"),
        ({"closes": "2025-12-01T00:00"}, "The voting window must close in the future."),
        ({"closes": "next week"}, "Give the closing date and time (UTC)."),
        ({"quorum_percent": "150"}, "Quorum_percent must be between 0 and 100"),
        ({"options_kind": "choices", "choices": "Only one"}, "Give at least two choices"),
        ({"options_kind": "choices", "choices": "A\nA"}, "Options must differ"),
        ({"body": "region:Nowhere"}, "Choose the body the motion is for."),
    ],
)
async def test_bad_motion_is_refused_with_the_reason_and_nothing_is_signed(
    hub: tuple[Site, ManualClock], changes: dict[str, str], error: str
) -> None:
    site, _ = hub
    await make_member(site.node, "sec@example.org", Role.SECRETARY)
    await site.login("sec@example.org")
    before = await kinds(site)
    response = await site.post("/network/motions", motion_form(**changes))
    assert response.status == 400
    assert error in (await response.text()).replace("&#39;", "'")
    assert await kinds(site) == before


async def test_plain_member_cannot_table_second_or_vote(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    assert (await site.post("/network/motions", motion_form())).status == 403
    zero = "00" * 32
    assert (await site.post(f"/network/motions/{zero}/second")).status == 403
    assert (await site.post(f"/network/motions/{zero}/vote", {"choice": "For"})).status == 403


async def test_delegate_seconds_and_votes_on_another_hubs_motion(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    north, south = Remote(1, "Northgate"), Remote(2, "Southbank")
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=2)
    await ingest(site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate)
    await elect(site)
    await site.login("del@example.org")
    url = f"/network/motions/{motion.id.hex()}"

    refused = await site.post(f"{url}/vote", {"choice": "For"})
    assert refused.status == 400 and "not been seconded yet" in await refused.text()

    assert "This hub has seconded the motion." in await (await site.post(f"{url}/second")).text()
    again = await site.post(f"{url}/second")
    assert again.status == 400 and "already seconded" in await again.text()
    await ingest(site, south.second(motion, at=NOW + 60))

    page = await (await site.post(f"{url}/vote", {"choice": "Against"})).text()
    assert "This hub&#39;s vote is cast: Against." in page
    await ingest(site, north.vote(motion, north.own_mandate, "For", NOW + 120))
    await ingest(site, south.vote(motion, south.own_mandate, "For", NOW + 180))
    page = await (await site.client.get(url)).text()
    assert "So far: decided: For" in page
    assert "(voting open until " in page and "3 votes cast." in page
    assert "Dee" in page and "Northgate delegate" in page and "Every signature checks." in page
    digest = re.search(r'<code class="digest">([0-9a-f]{64})</code>', page)
    assert digest is not None

    bad = await site.post(f"{url}/vote", {"choice": "Maybe"})
    assert bad.status == 400 and "Choose one of the motion" in await bad.text()

    record = await (await site.client.get(f"/network/hubs/{site.node.node_id}")).text()
    assert "Join the national day of action" in record and "Against" in record


async def test_secretary_without_a_delegate_cannot_second(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    north = Remote(1, "Northgate")
    motion = north.motion(at=NOW, closes=CLOSES)
    await ingest(site, *north.first, north.own_mandate, motion)
    await make_member(site.node, "sec@example.org", Role.SECRETARY)
    await site.login("sec@example.org")
    response = await site.post(f"/network/motions/{motion.id.hex()}/second")
    assert response.status == 400
    assert "no mandate in force" in await response.text()
    assert "motion.second" not in await kinds(site)


async def test_vote_arriving_before_its_motion_is_kept_then_counted(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    north, south = Remote(1, "Northgate"), Remote(2, "Southbank")
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=1)
    second = south.second(motion, at=NOW + 10)
    vote = south.vote(motion, south.own_mandate, "Against", NOW + 20)
    await ingest(site, *south.first, south.own_mandate, second, vote)
    listing = await (await site.client.get("/network/motions")).text()
    assert "2 seconds or votes cite a motion this node does not hold yet" in listing
    await ingest(site, *north.first, north.own_mandate, motion)
    page = await (await site.client.get(f"/network/motions/{motion.id.hex()}")).text()
    assert "So far: decided: Against" in page


async def test_sealed_vote_hides_the_choice_until_revealed_after_the_close(
    hub: tuple[Site, ManualClock],
) -> None:
    site, clock = hub
    north = Remote(1, "Northgate")
    motion = north.motion(at=NOW, closes=NOW + DAY, seconds_needed=1, sealed=True)
    await ingest(site, *north.first, north.own_mandate, motion)
    await elect(site)
    await site.login("del@example.org")
    url = f"/network/motions/{motion.id.hex()}"
    await site.post(f"{url}/second")
    await site.post(f"{url}/vote", {"choice": "Against"})
    [vote] = [
        m
        for m in await site.node.messages.log(site.node.node_id, 0, 100)
        if m.kind == "delegate.vote"
    ]
    assert (
        vote.body.choice is None and vote.body.commitment is not None
    )  # nothing but a hash leaves
    early = await site.post(f"{url}/reveal")
    assert early.status == 400 and "after the close" in await early.text()

    clock.advance(DAY * 1000 + 1000)
    await site.logout()
    public = await (await site.client.get(url)).text()
    assert "not revealed: counts as abstention" in public
    await site.login("del@example.org")
    page = await (await site.post(f"{url}/reveal")).text()
    assert "This hub&#39;s vote is revealed." in page
    assert "So far: decided: Against" in page  # still in the reveal window
    assert "(voting closed; sealed votes are revealed until " in page
    assert "1 vote cast." in page

    clock.advance(7 * DAY * 1000)
    page = await (await site.client.get(url)).text()
    assert "decided: Against" in page and "So far" not in page
    assert "(final)" in page


async def test_members_recall_vote_ends_the_mandate_and_the_delegate_role(
    hub: tuple[Site, ManualClock],
) -> None:
    site, clock = hub
    governance = site.node.governance
    # The delegate is elected as a hub elects one, so the recall below is the one
    # path there is: a vote of the hub's members, never one officer's decision.
    dee = await make_member(site.node, "del@example.org")
    ann = await make_member(site.node, "ann@example.org")
    now = clock()
    election = await governance.open_election(
        Role.DELEGATE, tally.PLURALITY, now + 60_000, now + 60_000, now + 120_000, by=1
    )
    await governance.nominate(election.id, dee, by=dee, network_name="Dee")
    clock.advance(61_000)
    await governance.vote(election.id, ann, (str(dee),))
    clock.advance(61_000)
    await governance.tick()
    assert (await kinds(site))[-1] == "delegate.mandate"

    await make_member(site.node, "sec@example.org", Role.SECRETARY)
    await site.login("sec@example.org")
    network = await (await site.client.get("/network")).text()
    assert "Dee, to the National assembly" in network
    assert 'href="/elections/new#recall-heading">Open a recall vote' in network
    assert (await site.post("/network/recall", {"body": "national"})).status == 404
    now = clock()
    # A real clock moves on between two readings: the recall, which closes nominations
    # "now", was once refused when a millisecond passed inside open_recall.
    ticking = clock.now_ms

    def clock_that_ticks() -> int:
        nonlocal ticking
        ticking += 1
        return ticking

    governance._clock = clock_that_ticks
    recall = await governance.open_recall(Role.DELEGATE, now, now + 60_000, by=1)
    governance._clock = clock
    clock.now_ms = ticking  # where the ticking clock got to
    await governance.vote(recall.id, ann, ("yes",))
    clock.advance(61_000)
    await governance.tick()
    assert (await kinds(site))[-1] == "delegate.recall"
    [delegate] = [
        m for m in await site.node.members.by_status("active") if m.email == "del@example.org"
    ]
    assert Role.DELEGATE not in delegate.roles
    network = await (await site.client.get("/network")).text()
    assert "No hub has a delegate in office for this body." in network
    assert "Open a recall vote" not in network


async def test_unknown_motion_is_not_found(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    assert (await site.client.get("/network/motions/" + "ab" * 32)).status == 404
    assert (await site.client.get("/network/motions/nothex")).status == 404
    assert (await site.client.get("/network/hubs/not-a-node")).status == 404


async def test_forged_mandate_from_another_hub_is_not_counted(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    north, south = Remote(1, "Northgate"), Remote(2, "Southbank")
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=0)
    # Southbank votes citing Northgate's mandate: a mandate counts only for its own hub.
    forged = south.vote(motion, north.own_mandate, "Against", NOW + 10)
    await ingest(
        site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate, forged
    )
    page = await (await site.client.get(f"/network/motions/{motion.id.hex()}")).text()
    assert "another hub&#39;s mandate" in page
    assert "decided" not in page.split("Every hub")[0].split("<h2>Result</h2>")[1]
