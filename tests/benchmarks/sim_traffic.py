"""A day of a hub network's traffic, as real signed messages of the real kinds.

Before the day (the setup, held by every hub when the day starts and not counted in
it): the founding statement, requests to join and sponsorships (the roster: every hub
a member), each hub's delegate mandate for the national body, and one witness by each
hub of all of that. During the day each hub writes, at random times between 07:00 and
19:30: one event and one update of it, five comments on other hubs' events and
announcements (four in five from its own region), one announcement, and with some
chance a new hub profile, a campaign update or an endorsement of another hub's
campaign. Hub 0 tables a national motion at 09:00 (closing at 21:00), three hubs second
it, and nine hubs in ten vote on it between 10:00 and 19:00. At 20:00 every hub signs
the witness that the tally at the close relies on (simulation.py models the many
witnesses the node writes besides, see sim_witness.py).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, node_id_from_public_key
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.assembly import DelegateMandate, DelegateVote, Motion, MotionSecond
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate
from protocol.kinds.discussion import Comment
from protocol.kinds.event import EventDetails, EventUpdate
from protocol.kinds.hub import Announcement, HubProfile
from protocol.kinds.network import (
    MAX_WITNESS_HEADS,
    NetworkFound,
    NetworkJoin,
    NetworkSponsor,
    NetworkWitness,
    network_id,
)
from protocol.log import Head
from tests.benchmarks.sim_topology import REGIONS, Topology

HOUR_MS = 3_600_000
DAY_START_MS = 1_767_600_000_000  # 2026-01-05T08:00:00Z; the day runs 24 h from here…
SETUP_MS = DAY_START_MS - 24 * HOUR_MS  # …and the setup a day before
CLOSE_MS = DAY_START_MS + 21 * HOUR_MS
WITNESS_MS = DAY_START_MS + 20 * HOUR_MS
MAX_FOUNDERS = 100  # NetworkFound.founders holds at most 100: the rest join
# The kinds every hub keeps under selective replication; the rest stay in their region.
NETWORK_WIDE = frozenset(
    {
        "motion",
        "motion.second",
        "delegate.mandate",
        "delegate.recall",
        "delegate.vote",
        "delegate.reveal",
        "network.found",
        "network.join",
        "network.sponsor",
        "network.leave",
        "network.witness",
        "campaign",
        "campaign.update",
        "campaign.endorse",
    }
)
DECISIONS = frozenset({"motion", "motion.second", "delegate.vote"})  # node/network/witness.py

_WORDS = [
    "community",
    "meeting",
    "library",
    "housing",
    "repair",
    "cafe",
    "tenants",
    "union",
    "food",
    "bank",
    "volunteers",
    "rota",
    "leaflets",
    "council",
    "budget",
    "park",
    "clean-up",
    "youth",
    "club",
    "transport",
    "bus",
    "route",
    "hall",
    "childcare",
    "advice",
    "surgery",
    "climate",
    "energy",
    "bills",
    "workshop",
]


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(count))


@dataclass
class Hub:
    index: int
    region: int
    key: SigningKey
    node_id: NodeId
    seq: int = 0
    prev: MessageId | None = None
    mandate: Message | None = None
    campaign: Message | None = None

    def send(self, kind: str, body: Any, at_ms: int) -> Message:
        self.seq += 1
        message = create_message(self.key, kind, body, self.seq, self.prev, at_ms)
        self.prev = message.id
        return message

    @property
    def head(self) -> Head | None:
        return Head(self.seq, self.prev) if self.prev is not None else None


@dataclass
class World:
    topology: Topology
    hubs: list[Hub]
    network: bytes
    setup: list[Message]  # held by every hub when the day starts
    day: list[Message] = field(default_factory=list)  # in order of creation
    motion: Message | None = None
    events: dict[int, Message] = field(default_factory=dict)  # hub -> its event today
    by_region: dict[int, list[Message]] = field(default_factory=dict)  # to comment on
    anywhere: list[Message] = field(default_factory=list)
    final_witnesses: list[Message] = field(default_factory=list)  # signed at 20:00

    def origin_of(self, m: Message) -> int:
        """The index of the hub that wrote `m`."""
        if not self._index:
            self._index.update((h.node_id, h.index) for h in self.hubs)
        return self._index[m.origin]

    _index: dict[NodeId, int] = field(default_factory=dict, repr=False)


def make_hubs(topology: Topology) -> list[Hub]:
    hubs = []
    for i in range(topology.size):
        key = SigningKey(sha256(b"simulated hub %d" % i))
        hubs.append(Hub(i, topology.region[i], key, node_id_from_public_key(key.public_key)))
    return hubs


def witness_bodies(network: bytes, heads: dict[NodeId, Head]) -> list[NetworkWitness]:
    """Witnesses citing `heads`, at most MAX_WITNESS_HEADS each (node/network/witness.py)."""
    origins = sorted(heads)
    return [
        NetworkWitness(
            network=network,
            origins=tuple(chunk),
            seqs=tuple(heads[o].seq for o in chunk),
            ids=tuple(heads[o].id for o in chunk),
        )
        for chunk in (
            origins[i : i + MAX_WITNESS_HEADS] for i in range(0, len(origins), MAX_WITNESS_HEADS)
        )
    ]


def setup(topology: Topology) -> World:
    hubs = make_hubs(topology)
    founders = sorted(hubs[: min(MAX_FOUNDERS, len(hubs))], key=lambda h: h.node_id)
    statement = NetworkFound(
        name="Simulated network",
        charter=sha256(b"charter"),
        founders=tuple(h.node_id for h in founders),
        sponsors_needed=1,
        regions=REGIONS,
    )
    network = network_id(statement)
    messages = [h.send("network.found", statement, SETUP_MS) for h in founders]
    for hub in hubs[len(founders) :]:
        messages.append(hub.send("network.join", NetworkJoin(network=network), SETUP_MS))
        sponsor = founders[hub.index % len(founders)]
        body = NetworkSponsor(network=network, hub=hub.node_id)
        messages.append(sponsor.send("network.sponsor", body, SETUP_MS + 1000))
    for hub in hubs:
        mandate = DelegateMandate(
            delegate=f"Delegate{hub.index}",
            body="national",
            starts=SETUP_MS // 1000,
            ends=SETUP_MS // 1000 + 365 * 86_400,
        )
        hub.mandate = hub.send("delegate.mandate", mandate, SETUP_MS + 2000)
        messages.append(hub.mandate)
    if len(hubs) > 1:
        launched = hubs[1].send(
            "campaign",
            Campaign(
                title="Save the libraries", summary=words(random.Random(1), 60), status="active"
            ),
            SETUP_MS + 3000,
        )
        hubs[1].campaign = launched
        messages.append(launched)
    heads = {h.node_id: h.head for h in hubs if h.head is not None}
    for hub in hubs:
        for witness in witness_bodies(network, heads):
            messages.append(hub.send("network.witness", witness, SETUP_MS + 60_000))
    return World(topology, hubs, network, messages)


def plan_day(world: World, seed: int = 2) -> list[tuple[int, Hub, Callable[[], tuple[str, Any]]]]:
    """Each hub's writes for the day, as (time, hub, body maker), in time order.

    Bodies are made when written, so a comment can name a message written before it.
    """
    rng = random.Random(seed)
    hubs = world.hubs
    plan: list[tuple[int, Hub, Callable[[], tuple[str, Any]]]] = []

    def at(lo_h: float, hi_h: float) -> int:
        return DAY_START_MS + int(rng.uniform(lo_h, hi_h) * HOUR_MS)

    for hub in hubs:
        event_time = at(7, 12)

        def event(hub: Hub = hub) -> tuple[str, Any]:
            return "event", EventDetails(
                title=f"Open meeting at hub {hub.index}",
                starts=DAY_START_MS // 1000 + 7 * 86_400,
                ends=DAY_START_MS // 1000 + 7 * 86_400 + 7200,
                timezone="Europe/London",
                type="public-meeting",
                visibility="public",
                description=words(rng, 90),
                place=f"Community hall, {REGIONS[hub.region]}",
            )

        def event_update(hub: Hub = hub) -> tuple[str, Any]:
            _, body = event(hub)
            fields = {f.name: getattr(body, f.name) for f in dataclasses.fields(body)}
            return "event.update", EventUpdate(**fields, event=world.events[hub.index].id)

        plan.append((event_time, hub, event))
        plan.append((at(12.5, 19), hub, event_update))
        plan.append((at(7, 19), hub, lambda: ("announcement", Announcement(text=words(rng, 120)))))
        if rng.random() < 0.2:
            profile = HubProfile(
                name=f"Hub {hub.index}",
                url=f"https://hub{hub.index}.example.org",
                region=REGIONS[hub.region],
                description=words(rng, 40),
            )
            plan.append((at(7, 19), hub, _ready("hub.profile", profile)))
        for _ in range(5):

            def comment(hub: Hub = hub) -> tuple[str, Any]:
                local = world.by_region.get(hub.region, [])
                subject = rng.choice(local if local and rng.random() < 0.8 else world.anywhere)
                return "comment", Comment(
                    subject=subject.id, author=f"member{rng.randrange(50)}", text=words(rng, 30)
                )

            plan.append((at(9, 19.5), hub, comment))
        campaign = hubs[1].campaign if len(hubs) > 1 else None
        if campaign is not None and rng.random() < 0.1:
            kind, body = (
                ("campaign.update", CampaignUpdate(campaign=campaign.id, text=words(rng, 60)))
                if hub.index == 1
                else ("campaign.endorse", CampaignEndorse(campaign=campaign.id))
            )
            plan.append((at(7, 19), hub, _ready(kind, body)))
    plan.sort(key=lambda p: (p[0], p[1].index))
    return plan


def write_day(world: World, seed: int = 2) -> None:
    """Sign the day's messages (all but the 20:00 witnesses) into `world.day`."""
    rng = random.Random(seed + 1)
    hubs = world.hubs
    plan = plan_day(world, seed)
    motion_at = DAY_START_MS + 9 * HOUR_MS
    plan.append((motion_at, hubs[0], lambda: ("motion", _motion())))
    for i in range(1, min(4, len(hubs))):
        plan.append((motion_at + i * 600_000, hubs[i], lambda: ("motion.second", _second(world))))
    for hub in hubs:
        if rng.random() < 0.9 or hub.index < 3:
            when = DAY_START_MS + int(rng.uniform(10, 19) * HOUR_MS)

            def vote(hub: Hub = hub) -> tuple[str, Any]:
                return "delegate.vote", _vote(world, hub, rng)

            plan.append((when, hub, vote))
    plan.sort(key=lambda p: (p[0], p[1].index))
    for when, hub, make in plan:
        kind, body = make()
        message = hub.send(kind, body, when)
        world.day.append(message)
        if kind == "motion":
            world.motion = message
        if kind == "event":
            world.events[hub.index] = message
        if kind in ("event", "announcement"):
            world.by_region.setdefault(hub.region, []).append(message)
            world.anywhere.append(message)


def _ready(kind: str, body: Any) -> Callable[[], tuple[str, Any]]:
    return lambda: (kind, body)


def _motion() -> Motion:
    return Motion(
        body="national",
        title="Join the national day of action",
        text="The network joins the national day of action on libraries on 1 May.",
        options=("For", "Against", "Abstain"),
        seconds_needed=2,
        closes=CLOSE_MS // 1000,
        rule="majority",
        quorum_percent=50,
    )


def _second(world: World) -> MotionSecond:
    assert world.motion is not None
    return MotionSecond(motion=world.motion.id)


def _vote(world: World, hub: Hub, rng: random.Random) -> DelegateVote:
    assert world.motion is not None and hub.mandate is not None
    choice = rng.choices(("For", "Against", "Abstain"), (6, 3, 1))[0]
    return DelegateVote(motion=world.motion.id, mandate=hub.mandate.id, choice=choice)
