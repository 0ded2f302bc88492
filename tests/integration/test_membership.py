"""Who is in the network, on real node processes (PROTOCOL.md §14).

A hub that asks to join is shown nowhere until members sponsor it; keys that are
not members cannot put events, mandates or votes on any hub, nor have them passed
on; and a member cannot slip a vote in after the close by dating it before.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crypto.ed25519 import SigningKey
from crypto.keyfile import load_key
from crypto.nodeid import NodeId, node_id_from_public_key
from node import config as settings
from node.clock import system_clock
from node.federation.client import FederationClient, PeerRefused
from node.federation.invites import parse_invite
from node.node import Node
from protocol.envelope import Message, MessageId, create_message
from protocol.federation import PushResult
from protocol.kinds.assembly import DelegateMandate, DelegateVote, Motion
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import HubProfile
from tests.integration.network import Hub, start_hubs, wait_for

DAY = 86_400
# Nothing listens here: the outsiders' own address, which the hubs never reach.
NOWHERE = "http://127.0.0.1:9"


@dataclass
class Network:
    root: Path
    hubs: list[Hub] = field(default_factory=list)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """Riverside - Northgate - Hillfield: one network of three, peered in a line."""
    net = Network(tmp_path_factory.mktemp("membership"))
    try:
        net.hubs = start_hubs(
            net.root, ("Riverside", None), ("Northgate", None), ("Hillfield", None)
        )
        a, b, c = net.hubs
        b.peer_with(a)
        c.peer_with(b)
        yield net
    finally:
        for hub in net.hubs:
            hub.stop()


# -- helpers ---------------------------------------------------------------------


def write(hub: Hub, *items: tuple[str, Any]) -> list[Message]:
    """Sign and store messages in `hub`'s own log, as another process on its machine."""

    async def run() -> list[Message]:
        node = await Node.open(settings.load(hub.data_dir))
        try:
            return [await node.messages.append(kind, body) for kind, body in items]
        finally:
            await node.close()

    return asyncio.run(run())


def push(url: str, key: SigningKey, messages: Sequence[Message]) -> list[PushResult]:
    """POST messages to a hub in a request signed with `key`, as its node would."""

    async def run() -> list[PushResult]:
        async with aiohttp.ClientSession() as session:
            client = FederationClient(session, key, _id(key), system_clock)
            return await client.push(url, [m.wire for m in messages])

    return asyncio.run(run())


def peer_by_invite(hub: Hub, key: SigningKey, name: str) -> None:
    """`key` accepts an invite from `hub`: the hub then takes it for a peer."""
    invite = parse_invite(hub.peer_cli("invite", "--no-qr").splitlines()[0])

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            client = FederationClient(session, key, _id(key), system_clock)
            card = await client.peering(invite.url, invite.token, NOWHERE, name)
            assert card.node_id == hub.node_id

    asyncio.run(run())


def _id(key: SigningKey) -> NodeId:
    return node_id_from_public_key(key.public_key)


def refused_not_member(hub: Hub) -> float:
    """How many messages `hub` refused because their hub is not a member."""
    with urllib.request.urlopen(hub.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(r'^hubnet_messages_refused_total\{reason="not-member"\} (\S+)$', text, re.M)
    return float(found[1]) if found else 0.0


def roster(hub: Hub) -> str:
    return hub.cli("network", "roster")


def members(hub: Hub) -> str:
    """The members part of `hubnet network roster`."""
    return roster(hub).split("members:", 1)[1].split("asking to join:")[0].split("digest:")[0]


def asking(hub: Hub) -> str:
    """The part of `hubnet network roster` listing hubs that asked to join."""
    _, _, asked = roster(hub).partition("asking to join:")
    return asked.split("digest:")[0]


def roster_digest(hub: Hub) -> str:
    found = re.search(r"^digest: ([0-9a-f]{64})$", roster(hub), re.M)
    assert found, roster(hub)
    return found[1]


def verify(hub: Hub, motion: Message) -> str:
    return hub.cli("motion", "verify", motion.id.hex())


def without_digest(out: str) -> str:
    """`hubnet motion verify` but its digest, which also names the witnesses held."""
    return "\n".join(line for line in out.splitlines() if not line.startswith("digest:"))


def get(hub: Hub, path: str) -> str:
    with urllib.request.urlopen(hub.url + path, timeout=10) as response:
        return str(response.read().decode())


def mandate(name: str) -> DelegateMandate:
    now = int(time.time())
    return DelegateMandate(delegate=name, body="national", starts=now - 60, ends=now + 365 * DAY)


def motion(title: str, closes: int) -> Motion:
    return Motion(
        body="national",
        title=title,
        text=f"{title}: the network decides.",
        options=("For", "Against"),
        seconds_needed=0,
        closes=closes,
        rule="majority",
        quorum_percent=50,
    )


def event(title: str) -> EventDetails:
    starts = int(time.time()) + 7 * DAY
    return EventDetails(
        title=title,
        starts=starts,
        ends=starts + 7200,
        timezone="Europe/London",
        type="public-meeting",
        visibility="public",
        place="The Community Centre",
    )


# -- joining ---------------------------------------------------------------------


def test_newcomer_is_shown_only_once_two_members_sponsor_it(network: Network) -> None:
    a, b, c = network.hubs[:3]
    newcomer = Hub(network.root, "Dunmore").start()  # belongs to no network yet
    network.hubs.append(newcomer)
    newcomer.peer_with(a)  # accepts Riverside's invite: asks to join Riverside's network
    refused = refused_not_member(a)
    newcomer.announce("Dunmore hub opens its doors")

    for hub in (a, b, c):
        wait_for(f"{hub.name} to see Dunmore ask", lambda h=hub: newcomer.node_id in asking(h))
    wait_for("Riverside to refuse Dunmore's announcement", lambda: refused_not_member(a) > refused)
    for hub in (a, b, c):
        assert "Dunmore hub opens its doors" not in hub.texts()
        assert newcomer.node_id not in members(hub)

    b.cli("network", "sponsor", newcomer.node_id)
    c.cli("network", "sponsor", newcomer.node_id)
    for hub in (a, b, c):
        wait_for(
            f"{hub.name} to show Dunmore's announcement",
            lambda h=hub: "Dunmore hub opens its doors" in h.texts(),
        )
    everyone = (a, b, c, newcomer)
    for hub in everyone:
        wait_for(f"{hub.name} to count Dunmore in", lambda h=hub: newcomer.node_id in members(h))
    wait_for(
        "every hub to print the same roster digest",
        lambda: len({roster_digest(h) for h in everyone}) == 1,
    )


# -- keys that are not members ---------------------------------------------------


def test_keys_outside_the_network_change_nothing_and_are_not_passed_on(
    network: Network,
) -> None:
    a, b, c = network.hubs[:3]
    # A motion Riverside tables and Northgate votes on: what the outsiders try to move.
    [ria] = write(a, ("delegate.mandate", mandate("Ria")))
    [tabled] = write(
        a, ("motion", motion("Back the tenants' union", closes=int(time.time()) + 30 * DAY))
    )
    [nat] = write(b, ("delegate.mandate", mandate("Nat")))
    write(b, ("delegate.vote", DelegateVote(motion=tabled.id, mandate=nat.id, choice="For")))
    assert ria.id != nat.id

    def votes_counted(hub: Hub) -> bool:
        out = verify(hub, tabled)
        return "turnout:  1 of 2" in out and "not witnessed" not in out

    for hub in (a, b, c):
        wait_for(f"{hub.name} to count Northgate's vote", lambda h=hub: votes_counted(h))
    before = [without_digest(verify(hub, tabled)) for hub in (a, b, c)]

    # Six fresh keys: three become Riverside's peers by invite, three push as strangers.
    keys = [SigningKey.generate() for _ in range(6)]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda i: peer_by_invite(a, keys[i], f"Intruder {i}"), range(3)))
    for i, key in enumerate(keys):
        profile = create_message(
            key, "hub.profile", HubProfile(name=f"Intruder {i}", url=NOWHERE), 1, None, _now()
        )
        rally = create_message(key, "event", event(f"Intruder rally {i}"), 2, profile.id, _now())
        office = create_message(
            key, "delegate.mandate", mandate(f"Intruder {i}"), 3, rally.id, _now()
        )
        ballot = DelegateVote(motion=tabled.id, mandate=office.id, choice="Against")
        vote = create_message(key, "delegate.vote", ballot, 4, office.id, _now())
        if i >= 3:  # not a peer: it may ask to peer and nothing more (PROTOCOL.md §9)
            with pytest.raises(PeerRefused) as refused:
                push(a.url, key, [profile, rally, office, vote])
            assert refused.value.status == 403 and refused.value.reason.startswith("not-peer")
            continue
        results = push(a.url, key, [profile, rally, office, vote])
        assert results[0].status == "stored", results
        for result in results[1:]:
            assert result.status == "refused", results
            assert (result.reason or "").startswith("not-member"), results

    # A member's event, written after the outsiders': it shows two hops away...
    write(a, ("event", event("Riverside tenants meeting")))
    for hub in (a, b, c):
        wait_for(
            f"{hub.name}'s calendar to show Riverside's event",
            lambda h=hub: "Riverside tenants meeting" in get(h, "/calendar"),
        )
    # ...and the peered outsiders' profiles are passed on, as a hub asking to join needs.
    for key in keys[:3]:
        wait_for("Hillfield to hold the profile", lambda k=key: "hub.profile" in _log(c, _id(k)))
    for hub in (a, b, c):
        for page in (get(hub, "/calendar"), get(hub, "/calendar.ics")):
            assert "Intruder" not in page
        for key in keys[:3]:
            held = _log(hub, _id(key)).splitlines()
            assert len(held) == 1 and "hub.profile" in held[0], held
        for key in keys[3:]:
            assert _log(hub, _id(key)).strip() == "", "a stranger's message was stored"
    after = [without_digest(verify(hub, tabled)) for hub in (a, b, c)]
    assert after == before
    for out in after:
        assert "Intruder" not in out and "1 of 2" in out


def _log(hub: Hub, origin: str) -> str:
    return hub.cli("log", "--origin", origin, "--limit", "1000")


def _now() -> int:
    return int(time.time() * 1000)


# -- a vote signed after the close, dated before it --------------------------------


def test_vote_written_after_the_close_and_dated_before_does_not_count(
    network: Network,
) -> None:
    a, b, c = network.hubs[:3]
    closes = int(time.time()) + 20
    [ria] = write(a, ("delegate.mandate", mandate("Ria")))
    [tabled] = write(a, ("motion", motion("Open the library on Sundays", closes=closes)))
    for hub, name, choice in ((b, "Nat", "For"), (c, "Hal", "Against")):
        [held] = write(hub, ("delegate.mandate", mandate(name)))
        ballot = DelegateVote(motion=tabled.id, mandate=held.id, choice=choice)
        write(hub, ("delegate.vote", ballot))

    def witnessed(hub: Hub) -> bool:
        out = verify(hub, tabled)
        return "turnout:  2 of 3" in out and "not witnessed" not in out

    for hub in (a, b, c):
        wait_for(f"{hub.name} to count both votes", lambda h=hub: witnessed(h))
    wait_for("the close", lambda: time.time() > closes + 1, timeout=40)
    wait_for(
        "every node to count the same input",
        lambda: len({_digest(verify(h, tabled)) for h in (a, b, c)}) == 1,
    )
    before = [verify(hub, tabled) for hub in (a, b, c)]
    for out in before:
        assert "phase:    closed" in out and "outcome:  no-decision" in out, out

    # Riverside signs a vote for the motion now, dated five seconds before the close,
    # at the next seq of its own log, and pushes it as itself to its peer Northgate,
    # which passes it on; Riverside's own node fetches it back by pull.
    key = load_key(a.data_dir / "node.key")
    seq, prev = _head(a)
    ballot = DelegateVote(motion=tabled.id, mandate=ria.id, choice="For")
    late = create_message(key, "delegate.vote", ballot, seq + 1, prev, (closes - 5) * 1000)
    [result] = push(b.url, key, [late])
    assert result.status == "stored", result

    shown = f"{late.id.hex()[:16]}  delegate.vote"
    for hub in (a, b, c):
        wait_for(f"{hub.name} to hold the late vote", lambda h=hub: shown in verify(h, tabled))
    for hub, earlier in zip((a, b, c), before, strict=True):
        out = verify(hub, tabled)
        assert out.split("messages:")[0] == earlier.split("messages:")[0]  # the same result
        [line] = [line for line in out.splitlines() if shown in line]
        assert "not counted: not witnessed before the close" in line, line
    assert len({_digest(verify(h, tabled)) for h in (a, b, c)}) == 1
    page = get(b, f"/network/motions/{tabled.id.hex()}")
    assert late.id.hex()[:16] in page and "not witnessed before the close" in page


def _digest(out: str) -> str:
    found = re.search(r"^digest:\s+([0-9a-f]{64})", out, re.M)
    assert found, out
    return found[1]


def _head(hub: Hub) -> tuple[int, MessageId]:
    """The seq and id of the last message in `hub`'s own log."""
    with sqlite3.connect(f"file:{hub.data_dir / 'hubnet.db'}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT seq, id FROM messages WHERE origin = ? ORDER BY seq DESC LIMIT 1",
            (hub.node_id,),
        ).fetchone()
    return int(row[0]), MessageId(bytes(row[1]))
