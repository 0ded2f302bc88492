"""The network's assembly pages through the real app: bodies, motions, seconds, votes,
sealed votes and reveals, results, recalls, and the refusals, with a clock the test moves."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.accounts.permissions import Role
from node.governance import tally
from protocol.envelope import Message
from protocol.kinds.assembly import DelegateMandate
from protocol.kinds.hub import HubProfile
from tests.assembly import DAY, LogHub
from tests.helpers import ManualClock
from tests.web.conftest import Site, acting, clocked_site, make_member

NOW = 1_767_225_600  # seconds; the test's clock starts here
CLOSES = NOW + 14 * DAY


class Remote(LogHub):
    """Another member hub, whose signed messages reach this node as if through a peer.

    Its log starts after `joined`, its signature on the network's founding statement
    (seq 1), which made it a member: see `members`.
    """

    def __init__(self, n: int, joined: Message, name: str) -> None:
        super().__init__(n)
        assert joined.origin == self.node_id
        self.seq, self.prev = joined.seq, joined.id
        self.first = [
            self.send("hub.profile", HubProfile(name=name, url="http://127.0.0.1:9"), NOW - DAY)
        ]
        self.own_mandate = self.mandate(at=NOW - DAY, name=f"{name} delegate")

    async def witness(self, site: Site) -> Message:
        """This hub's node witnesses what it holds, in step with the site: as a node
        does a moment after members' decisions reach it (PROTOCOL.md §14.4)."""
        witness = self.send("network.witness", await site.in_step(), site.node.clock() // 1000)
        await ingest(site, witness)
        await site.node.membership.refresh()
        return witness


async def members(site: Site, *hubs: tuple[int, str]) -> list[Remote]:
    """Hubs of the site's network (tests/assembly's LogHub keys), each a member already."""
    keys = [LogHub(n).key for n, _ in hubs]
    joined = await site.admit(*keys, ts=(NOW - 2 * DAY) * 1000)
    return [Remote(n, j, name) for (n, name), j in zip(hubs, joined, strict=True)]


async def witnessed(site: Site, *by: Remote) -> None:
    """The network's nodes witness what has arrived: this node by itself (it writes its
    witness a moment after members' decisions arrive), and each hub in `by`, in step."""
    await site.witnessed()
    for hub in by:
        await hub.witness(site)


@pytest.fixture
async def hub(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    """The site on a clock at NOW, witnessing members' decisions as soon as they arrive."""
    yield await clocked_site(
        tmp_path, aiohttp_client, monkeypatch, ManualClock(NOW * 1000), HUBNET_WITNESS_DELAY_MS="0"
    )


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
    """What this hub has signed, in order, but the witnesses its node writes by itself."""
    return [
        m.kind
        for m in await site.node.messages.log(site.node.node_id, 0, 1000)
        if m.kind != "network.witness"
    ]


async def test_network_page_lists_bodies_and_delegates(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    [north] = await members(site, (1, "Northgate"))
    await ingest(site, *north.first, north.own_mandate)
    await elect(site)
    page = await (await site.client.get("/network")).text()
    assert "National assembly" in page
    assert "Northgate delegate" in page and "Dee" in page


async def test_network_hubs_page_names_each_hubs_delegate(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    [north] = await members(site, (1, "Northgate"))
    await ingest(site, *north.first, north.own_mandate)
    await site.login("organiser@example.org")
    page = await (await site.client.get("/network/hubs")).text()
    assert "Delegate to the network: Northgate delegate" in page


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
        ({"closes": "next week"}, "Give the closing date and time (Europe/London time)."),
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
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=2)
    await ingest(site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate)
    await elect(site)
    await site.login("del@example.org")
    url = f"/network/motions/{motion.id.hex()}"

    refused = await site.post(f"{url}/vote", {"choice": "For"})
    assert refused.status == 400 and "not been seconded yet" in await refused.text()

    assert "This hub has seconded the motion." in await (await site.submit(f"{url}/second")).text()
    again = await site.post(f"{url}/second")
    assert again.status == 400 and "already seconded" in await again.text()
    await ingest(site, south.second(motion, at=NOW + 60))
    # The mandates and seconds count once a majority of the three hubs (two) have
    # witnessed them: this node does by itself, and so does Northgate's.
    await witnessed(site, north)

    page = await (await site.submit(f"{url}/vote", {"choice": "Against"})).text()
    assert "This hub&#39;s vote is cast: Against." in page
    await ingest(site, north.vote(motion, north.own_mandate, "For", NOW + 120))
    await ingest(site, south.vote(motion, south.own_mandate, "For", NOW + 180))
    await witnessed(site, south)
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
    [north] = await members(site, (1, "Northgate"))
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
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=1)
    second = south.second(motion, at=NOW + 10)
    vote = south.vote(motion, south.own_mandate, "Against", NOW + 20)
    await ingest(site, *south.first, south.own_mandate, second, vote)
    listing = await (await site.client.get("/network/motions")).text()
    assert "2 seconds or votes cite a motion this node does not hold yet" in listing
    await ingest(site, *north.first, north.own_mandate, motion)
    await witnessed(site, north)  # Northgate had Southbank's messages too
    page = await (await site.client.get(f"/network/motions/{motion.id.hex()}")).text()
    assert "So far: decided: Against" in page


async def sealed_vote_cast(hub: tuple[Site, ManualClock]) -> tuple[Site, Remote, str]:
    """Northgate tables a sealed motion; this hub seconds it and votes Against, and both
    hubs (two of two: the majority) witness it all before the close."""
    site, _ = hub
    [north] = await members(site, (1, "Northgate"))
    motion = north.motion(at=NOW, closes=NOW + DAY, seconds_needed=1, sealed=True)
    await ingest(site, *north.first, north.own_mandate, motion)
    await elect(site)
    await site.login("del@example.org")
    url = f"/network/motions/{motion.id.hex()}"
    await site.post(f"{url}/second")
    await witnessed(site, north)
    await site.post(f"{url}/vote", {"choice": "Against"})
    await witnessed(site, north)
    return site, north, url


async def test_sealed_vote_hides_the_choice_until_revealed_after_the_close(
    hub: tuple[Site, ManualClock],
) -> None:
    site, north, url = await sealed_vote_cast(hub)
    _, clock = hub
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

    # Here the delegate reveals by hand, before the node would by itself (tested below).
    await site.node.auto_reveal.stop()
    clock.advance(DAY * 1000 + 1000)
    await site.logout()
    public = await (await site.client.get(url)).text()
    assert "not revealed: counts as abstention" in public
    await site.login("del@example.org")
    revealed = await site.post(f"{url}/reveal")
    assert revealed.status == 303 and revealed.headers["Location"] == url
    page = await (await site.client.get(url)).text()
    assert "This hub&#39;s vote is revealed." in page
    await witnessed(site, north)  # a reveal counts once witnessed, as a vote does
    page = await (await site.client.get(url)).text()
    assert "So far: decided: Against" in page  # still in the reveal window
    assert "(voting closed; sealed votes are revealed until " in page
    assert "1 vote cast." in page

    clock.advance(7 * DAY * 1000)
    page = await (await site.client.get(url)).text()
    assert "decided: Against" in page and "So far" not in page
    assert "(final)" in page


async def test_node_reveals_its_sealed_vote_by_itself_after_the_close(
    hub: tuple[Site, ManualClock],
) -> None:
    site, north, url = await sealed_vote_cast(hub)
    _, clock = hub
    clock.advance(DAY * 1000 + 1000)
    # Nobody asks: the node opens its own vote at its next look (every few seconds).
    async with asyncio.timeout(15):
        while not any(
            m.kind == "delegate.reveal"
            for m in await site.node.messages.log(site.node.node_id, 0, 100)
        ):
            await asyncio.sleep(0.1)
    await witnessed(site, north)
    await site.logout()
    page = await (await site.client.get(url)).text()
    assert "So far: decided: Against" in page and "1 vote cast." in page
    assert "not revealed" not in page
    await site.login("del@example.org")
    again = await site.post(f"{url}/reveal")
    assert again.status == 400 and "already revealed" in await again.text()


async def test_members_recall_vote_ends_the_mandate_and_the_delegate_role(
    hub: tuple[Site, ManualClock],
) -> None:
    site, clock = hub
    governance = site.node.governance
    # The delegate is elected as a hub elects one, so the recall below is the one
    # path there is: a vote of the hub's members, never one officer's decision.
    dee = await acting(site.node, await make_member(site.node, "del@example.org"))
    ann = await acting(site.node, await make_member(site.node, "ann@example.org"))
    organiser = await acting(site.node, 1)  # the founder: the interim steering group
    now = clock()
    election = await governance.open_election(
        Role.DELEGATE, tally.PLURALITY, now + 60_000, now + 60_000, now + 120_000, by=organiser
    )
    await governance.nominate(election.id, dee.id, by=dee, network_name="Dee")
    clock.advance(61_000)
    await governance.vote(election.id, ann, (str(dee.id),))
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

    # The clock of the part that opens recalls (node/governance/elections.py).
    governance._elections._clock = clock_that_ticks
    recall = await governance.open_recall(Role.DELEGATE, now, now + 60_000, by=organiser)
    governance._elections._clock = clock
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
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=0)
    # Southbank votes citing Northgate's mandate: a mandate counts only for its own hub.
    forged = south.vote(motion, north.own_mandate, "Against", NOW + 10)
    await ingest(
        site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate, forged
    )
    await witnessed(site, south)  # the mandates count: the vote cites one, of another hub
    page = await (await site.client.get(f"/network/motions/{motion.id.hex()}")).text()
    assert "another hub&#39;s mandate" in page
    assert "decided" not in page.split("Every hub")[0].split("<h2>Result</h2>")[1]
