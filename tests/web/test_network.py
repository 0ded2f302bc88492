"""Who is in the network, as members see it (PROTOCOL.md §14): a hub that is not a
member cannot put anything on this hub's pages, hubs outside cannot sway a motion,
a vote dated before the close but written after it does not count, and a hub that
leaves drops off the calendar and the campaigns while its messages are kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node.accounts.permissions import Role
from node.store.outcomes import IngestReport
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.assembly import DelegateMandate
from protocol.kinds.campaign import Campaign
from protocol.kinds.discussion import Comment
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import Announcement, HubProfile
from protocol.kinds.network import NetworkJoin, NetworkLeave, NetworkWitness
from tests.assembly import DAY, LogHub
from tests.helpers import ManualClock, key_from
from tests.web.conftest import Site, clocked_site, make_member, open_site
from tests.web.test_assembly import CLOSES, NOW, members, witnessed

STRANGER = key_from(40)  # not named in the network's founding statement
UNSIGNED_FOUNDER = key_from(31)  # named, but its signature on the statement is not held


# -- hubs ---------------------------------------------------------------------------------


class Hub:
    """Another hub's log on the real clock, written here and handed to the node."""

    def __init__(self, key: SigningKey, joined: Message | None = None) -> None:
        self.key = key
        self.node_id = node_id_from_public_key(key.public_key)
        self.seq = joined.seq if joined else 0
        self.prev: MessageId | None = joined.id if joined else None

    def write(self, kind: str, body: Any) -> Message:
        self.seq += 1
        message = create_message(self.key, kind, body, self.seq, self.prev, int(time.time() * 1000))
        self.prev = message.id
        return message


async def member(site: Site, key: SigningKey, name: str) -> Hub:
    """A hub that signed the network's founding statement, so a member, with its profile."""
    [joined] = await site.admit(key)
    hub = Hub(key, joined)
    assert stored(await ingest(site, hub.write("hub.profile", profile(name))))
    return hub


def profile(name: str) -> HubProfile:
    return HubProfile(name=name, url="https://hub.example", region="North West")


async def ingest(site: Site, *messages: Message) -> IngestReport:
    return await site.node.messages.ingest([m.wire for m in messages])


def stored(report: IngestReport) -> bool:
    return all(o.status.value == "stored" for o in report.outcomes)


def event(title: str) -> EventDetails:
    starts = int(time.time()) + 30 * DAY
    return EventDetails(
        title=title,
        starts=starts,
        ends=starts + 3600,
        timezone="Europe/London",
        type="public-meeting",
        visibility="public",
        place="The old library",
    )


async def page(site: Site, path: str) -> str:
    response = await site.client.get(path)
    assert response.status == 200, path
    return await response.text()


@pytest.fixture
async def quick(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Site]:
    """The site on the system's clock, witnessing members' decisions as they arrive."""
    yield await open_site(tmp_path, aiohttp_client, monkeypatch, HUBNET_WITNESS_DELAY_MS="0")


@pytest.fixture
async def assembly(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    """The site on a clock at NOW, witnessing members' decisions as they arrive (as
    test_assembly's `hub`, whose member hubs with delegates these tests use)."""
    yield await clocked_site(
        tmp_path, aiohttp_client, monkeypatch, ManualClock(NOW * 1000), HUBNET_WITNESS_DELAY_MS="0"
    )


# -- (a) a hub that is not a member puts nothing on the pages --------------------------------


@pytest.mark.parametrize("outsider", [STRANGER, UNSIGNED_FOUNDER], ids=["stranger", "unsigned"])
async def test_a_hub_that_is_not_a_member_is_refused_and_shown_nowhere(
    site: Site, outsider: SigningKey
) -> None:
    news = await site.node.messages.append("announcement", Announcement(text="Rally on Sunday"))
    # A member does each of these, and it shows: the pages below are not simply empty.
    north = await member(site, key_from(3), "Northgate")
    assert stored(
        await ingest(
            site,
            north.write("event", event("Northgate picket")),
            north.write(
                "campaign", Campaign(title="Clean air", summary="Fewer cars.", status="active")
            ),
            north.write("announcement", Announcement(text="Northgate news")),
            north.write("comment", Comment(subject=news.id, author="north_jo", text="See you")),
        )
    )
    hub = Hub(outsider)
    network = site.node.membership.network
    assert network is not None
    admission = [
        hub.write("hub.profile", profile("Outsiders")),
        hub.write("network.join", NetworkJoin(network=network)),
    ]
    rest = [
        hub.write("event", event("Outsiders' march")),
        hub.write("campaign", Campaign(title="Outsiders win", summary="Join us.", status="active")),
        hub.write("announcement", Announcement(text="Outsiders' news")),
        hub.write("comment", Comment(subject=news.id, author="out_al", text="Outsiders say hi")),
    ]
    report = await ingest(site, *admission, *rest)

    kept, refused = report.outcomes[:2], report.outcomes[2:]
    assert [o.status.value for o in kept] == ["stored", "stored"]
    assert all(o.status.value == "refused" for o in refused), refused
    assert all((o.reason or "").startswith("not-member:") for o in refused), refused
    for message in admission:
        assert await site.node.messages.get(message.id) is not None
    for message in rest:
        assert await site.node.messages.get(message.id) is None
    assert not site.node.membership.is_member(hub.node_id)

    calendar = await page(site, "/calendar")
    assert "Northgate picket" in calendar and "Outsiders" not in calendar
    campaigns = await page(site, "/campaigns")
    assert "Clean air" in campaigns and "Outsiders" not in campaigns
    await site.login("organiser@example.org")
    dashboard = await page(site, "/dashboard")
    assert "Northgate news" in dashboard and "Outsiders" not in dashboard
    await site.node.discussion.comments.catch_up()
    discussion = await page(site, f"/discuss/{news.id.hex()}")
    assert "See you" in discussion and "Outsiders" not in discussion


# -- (b) hubs outside the network cannot sway a motion ---------------------------------------


async def test_hubs_outside_the_network_do_not_change_a_decided_motion(
    assembly: tuple[Site, ManualClock],
) -> None:
    site, clock = assembly
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=1)
    assert stored(
        await ingest(
            site,
            *north.first,
            north.own_mandate,
            motion,
            *south.first,
            south.own_mandate,
            south.second(motion, at=NOW + 60),
            north.vote(motion, north.own_mandate, "For", NOW + 120),
            south.vote(motion, south.own_mandate, "For", NOW + 180),
        )
    )
    await witnessed(site, north, south)
    clock.advance((CLOSES - NOW) * 1000 + 1000)
    url = f"/network/motions/{motion.id.hex()}"
    before = await page(site, url)
    assert "decided: For" in before and "(final)" in before and "2 votes cast." in before

    # Six new keys: each says who it is and asks to join, then, as if it were a hub with
    # a delegate, votes Against (dated before the close) and witnesses all six votes.
    sybils = [LogHub(n) for n in range(41, 47)]
    network = site.node.membership.network
    assert network is not None
    asks, sways = [], []
    for n, sybil in enumerate(sybils):
        asks.append(
            sybil.send("hub.profile", HubProfile(name=f"Sock {n}", url="http://s.example"), NOW)
        )
        asks.append(sybil.send("network.join", NetworkJoin(network=network), NOW))
        mandate = sybil.mandate(at=NOW - DAY, name=f"Sock {n} delegate")
        sways += [mandate, sybil.vote(motion, mandate, "Against", NOW + 200)]
    votes = [m for m in sways if m.kind == "delegate.vote"]
    for sybil in sybils:
        body = NetworkWitness(
            network=network,
            origins=tuple(sorted(v.origin for v in votes)),
            seqs=tuple(v.seq for v in sorted(votes, key=lambda v: v.origin)),
            ids=tuple(v.id for v in sorted(votes, key=lambda v: v.origin)),
        )
        sways.append(sybil.send("network.witness", body, NOW + 300))
    report = await ingest(site, *asks, *sways)

    by_id = {o.id: o for o in report.outcomes}
    assert all(by_id[m.id].status.value == "stored" for m in asks)
    for m in sways:
        outcome = by_id[m.id]
        assert outcome.status.value == "refused" and (outcome.reason or "").startswith(
            "not-member:"
        ), (m.kind, outcome)
    await site.node.membership.refresh()
    assert not any(site.node.membership.is_member(s.node_id) for s in sybils)
    assert await page(site, url) == before


# -- (c) a vote written after the close, dated before it --------------------------------------


async def test_a_vote_written_after_the_close_and_dated_before_it_is_not_counted(
    assembly: tuple[Site, ManualClock],
) -> None:
    site, clock = assembly
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=1)
    assert stored(
        await ingest(site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate)
    )
    member_id = await make_member(site.node, "del@example.org")
    await site.node.members.grant(member_id, Role.DELEGATE, ends_at=(NOW + 365 * DAY) * 1000)
    await site.node.messages.append(
        "delegate.mandate",
        DelegateMandate(delegate="Dee", body="national", starts=NOW - DAY, ends=NOW + 365 * DAY),
    )
    await site.login("del@example.org")
    url = f"/network/motions/{motion.id.hex()}"
    await site.post(f"{url}/second")
    await witnessed(site, north)
    await site.post(f"{url}/vote", {"choice": "For"})
    assert stored(await ingest(site, north.vote(motion, north.own_mandate, "Against", NOW + 60)))
    await witnessed(site, north, south)
    clock.advance((CLOSES - NOW) * 1000 + 1000)

    # After the close, Southbank signs a For vote dated before it (the vote would decide
    # the motion) and a witness of its own, dated before the close too: its word alone.
    network = site.node.membership.network
    assert network is not None
    late = south.vote(motion, south.own_mandate, "For", CLOSES - 3600)
    own_word = south.send(
        "network.witness",
        NetworkWitness(
            network=network,
            origins=(south.node_id,),
            seqs=(late.seq,),
            ids=(late.id,),
        ),
        CLOSES - 3000,
    )
    assert stored(await ingest(site, late, own_word))
    await witnessed(site, north)  # the honest hubs see it now, after the close

    result = await page(site, url)
    assert "no option reached a simple majority" in result and "(final)" in result
    assert "2 votes cast." in result
    row = result.split(late.id.hex()[:16])[1].split("</tr>")[0]
    assert (
        "<strong>no</strong>: not witnessed before the close by a majority of the "
        "network&#39;s hubs (1 of 3; 2 needed)"
    ) in row


# -- (d) a hub that leaves ---------------------------------------------------------------------


async def test_a_hub_that_leaves_drops_off_the_calendar_and_campaigns(quick: Site) -> None:
    site = quick
    north = await member(site, key_from(3), "Northgate")
    south = await member(site, key_from(4), "Southbank")
    posted = [
        north.write("event", event("Northgate picket")),
        north.write(
            "campaign", Campaign(title="Clean air", summary="Fewer cars.", status="active")
        ),
        south.write("event", event("Southbank fair")),
        south.write("campaign", Campaign(title="Open the baths", summary="Swim.", status="active")),
        north.write("announcement", Announcement(text="Northgate news")),
    ]
    assert stored(await ingest(site, *posted))
    calendar, campaigns = await page(site, "/calendar"), await page(site, "/campaigns")
    assert "Northgate picket" in calendar and "Southbank fair" in calendar
    assert "Clean air" in campaigns and "Open the baths" in campaigns
    await site.login("organiser@example.org")
    assert "Northgate news" in await page(site, "/dashboard")

    network = site.node.membership.network
    assert network is not None
    leave = north.write("network.leave", NetworkLeave(network=network, reason="Merging"))
    assert stored(await ingest(site, leave))
    # Two of the three hubs witness the leave: this node by itself, and Southbank's.
    await site.witnessed(leave)
    assert site.node.membership.is_member(north.node_id)  # one witness is not a majority
    assert stored(await ingest(site, south.write("network.witness", await site.in_step())))

    async with asyncio.timeout(10):
        while True:
            await site.node.membership.refresh()
            calendar, campaigns = await page(site, "/calendar"), await page(site, "/campaigns")
            if "Northgate picket" not in calendar and "Clean air" not in campaigns:
                break
            await asyncio.sleep(0.05)
    assert not site.node.membership.is_member(north.node_id)
    assert "Southbank fair" in calendar and "Open the baths" in campaigns
    async with asyncio.timeout(10):  # the dashboard shows it until the roster moves
        while "Northgate news" in await page(site, "/dashboard"):
            await asyncio.sleep(0.2)
    for message in [*posted, leave]:
        assert await site.node.messages.get(message.id) is not None  # kept in the store


async def test_a_witness_cites_only_the_logs_whose_decisions_arrived(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A log that moved only by its hub's own witnesses is not cited again: under the old
    rule every witness cited every member, and 1,000 hubs stored 82 GB a day of them."""
    # Witnessed here by hand: the node's own loop would wait a minute.
    site = await open_site(tmp_path, aiohttp_client, monkeypatch, HUBNET_WITNESS_DELAY_MS="60000")
    node = site.node
    north = await member(site, key_from(3), "Northgate")
    south = await member(site, key_from(4), "Southbank")
    since_start = await node.witnessing.witness()
    cited = {origin for w in since_start for origin in w.body.origins}
    assert {north.node_id, south.node_id, node.node_id} <= cited  # every head that moved

    assert stored(await ingest(site, south.write("network.witness", await site.in_step())))
    now = int(time.time())
    mandate = DelegateMandate(delegate="Sam", body="national", starts=now, ends=now + 365 * DAY)
    decision = north.write("delegate.mandate", mandate)
    assert stored(await ingest(site, decision))
    [witness] = await node.witnessing.witness()
    assert witness.body.origins == (north.node_id,)
    assert node.membership.witnesses.covers(node.node_id, decision, 2**62) is not None
    assert await node.witnessing.witness() == []  # no decision since
