"""Two real hub nodes: a motion tabled on Riverside reaches Northgate's delegate as a
notice and an email (through a real SMTP server), then as a reminder a day before the
close while the hub has not voted; the delegate's sealed vote is revealed by the node
itself after the close and counts on both hubs. An organisation's endorsement of the
charter recorded on Riverside shows on Northgate's endorsements page, with its badge.

The nodes run under libfaketime with one shared clock file (tests/integration/
test_assembly.py's Clock), so the test moves the network's time by days.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from crypto.nodeid import NodeId
from node import config as settings
from node.accounts.permissions import Role
from node.network.actions import NetworkActions, founding_statement
from node.node import Node
from protocol.kinds.assembly import DelegateMandate
from tests.integration.network import Hub, free_port, wait_for
from tests.integration.test_assembly import (
    DAY,
    LIBFAKETIME,
    PASSWORD,
    Browser,
    Clock,
    Members,
    cli,
    held,
)
from tests.unit.test_notices import MailServer


async def _seat(data_dir: Path, name: str, founders: list[NodeId]) -> None:
    """The hub signs the network's founding statement (as `hubnet network found` does),
    then, as an election ends: a member in the delegate role and the signed mandate."""
    # The cheapest password hashing the node accepts: the delegates log in quickly.
    node = await Node.open(
        settings.load(data_dir, {"argon2_memory_kib": 19456, "argon2_time_cost": 2})
    )
    try:
        await NetworkActions(node.messages, node.membership).found(
            founding_statement("Test network", founders)
        )
        member = await node.members.apply(
            name=name,
            email=f"{name.lower()}@example.org",
            password=PASSWORD,
            signed_charter=True,
            accepted_privacy=True,
            status="active",
        )
        await node.members.grant(member.id, Role.DELEGATE)
        now = int(time.time())
        mandate = DelegateMandate(
            delegate=name, body="national", starts=now - 60, ends=now + 400 * DAY
        )
        await node.messages.append("delegate.mandate", mandate)
    finally:
        await node.close()


@pytest.fixture(scope="module")
def network(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Hub, Hub, Clock, MailServer]]:
    """Both tests share the two hubs: starting them is most of the time."""
    tmp_path = tmp_path_factory.mktemp("delegates")
    if not LIBFAKETIME.exists():
        pytest.fail(f"{LIBFAKETIME} is missing: `make test` installs Debian's faketime package")
    clock = Clock(tmp_path / "faketime")
    mail = MailServer(free_port())
    mail.start()
    with ThreadPoolExecutor(2) as pool:  # `hubnet init` mostly waits: both at once
        a, b = pool.map(lambda name: Hub(tmp_path, name), ("Riverside", "Northgate"))
    founders = [NodeId(a.node_id), NodeId(b.node_id)]

    async def seat_both() -> None:
        await asyncio.gather(_seat(a.data_dir, "Ria", founders), _seat(b.data_dir, "Nat", founders))

    asyncio.run(seat_both())
    email = {
        "HUBNET_SMTP_HOST": "127.0.0.1",
        "HUBNET_SMTP_PORT": str(mail.port),
        "HUBNET_SMTP_SECURITY": "none",
        "HUBNET_SMTP_FROM": "northgate@example.org",
    }
    with ThreadPoolExecutor(2) as pool:
        list(
            pool.map(lambda h: h[0].start(env=h[1]), ((a, clock.env), (b, {**clock.env, **email})))
        )
    try:
        b.peer_with(a)
        yield a, b, clock, mail
    finally:
        a.stop()
        b.stop()
        mail.stop()


def notices(browser: Browser) -> str:
    return html.unescape(browser.get("/notices"))


def mails_to(mail: MailServer, address: str) -> list[str]:
    return [
        str(make_header(decode_header(m["Subject"])))
        for to, m in mail.inbox.messages
        if any(address in t for t in to)
    ]


def test_delegate_is_told_reminded_and_their_sealed_vote_counts_on_both_hubs(
    network: tuple[Hub, Hub, Clock, MailServer],
) -> None:
    a, b, clock, mail = network
    ria, nat = Browser(a, "ria@example.org"), Browser(b, "nat@example.org")

    url, page = ria.post(
        "/network/motions",
        {
            "body": "national",
            "title": "Back the rent strike",
            "text": "The network backs the tenants' rent strike.",
            "options_kind": "for-against",
            "seconds_needed": "1",
            "closes": clock.field(3 * DAY),
            "rule": "majority",
            "quorum_percent": "50",
            "sealed": "yes",
        },
    )
    motion_id = url.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{64}", motion_id), page
    path = f"/network/motions/{motion_id}"

    # Northgate's delegate is told, in the app and by email.
    wait_for("Northgate to hold the motion", lambda: held(b, clock, motion_id))
    tabled = "Riverside tabled a motion in the National assembly: “Back the rent strike”."
    wait_for("Nat's notice of the motion", lambda: tabled in notices(nat))
    wait_for("Nat's email", lambda: any(tabled[:40] in s for s in mails_to(mail, "nat@")))
    page = html.unescape(nat.get("/network/delegate"))
    assert "Motions asking for seconds (1)" in page and "Back the rent strike" in page

    # Nat seconds it: it opens for votes, and Nat is told so.
    assert "This hub has seconded the motion." in nat.post(f"{path}/second")[1]
    wait_for(
        "the vote to open for Nat",
        lambda: "“Back the rent strike” (National assembly) is open for your vote" in notices(nat),
    )

    # Less than a day before the close, unvoted: a reminder, once.
    clock.forward(2 * DAY + 120)
    nat = Browser(b, "nat@example.org")  # two days on, the session has lapsed
    reminder = "Reminder: “Back the rent strike” (National assembly) closes on"
    wait_for("Nat's reminder", lambda: reminder in notices(nat))
    wait_for("the reminder by email", lambda: len(mails_to(mail, "nat@")) == 3)
    assert notices(nat).count(reminder) == 1

    # Nat casts a sealed vote; both hubs witness it before the close.
    assert "This hub&#39;s vote is cast: For." in nat.post(f"{path}/vote", {"choice": "For"})[1]

    def witnessed(hub: Hub) -> bool:
        out = cli(hub, clock, "motion", "verify", motion_id)
        return "turnout:  1 of 2" in out and "not witnessed" not in out

    for hub in (a, b):
        wait_for(f"{hub.name} to hold Nat's vote, witnessed", lambda h=hub: witnessed(h))

    # The close passes: Northgate's node reveals the vote by itself, and both count it.
    clock.forward(DAY + 120)
    for hub in (a, b):
        wait_for(
            f"{hub.name} to count the revealed vote",
            lambda h=hub: "outcome:  decided: For" in cli(h, clock, "motion", "verify", motion_id),
            timeout=60,
        )
    public = html.unescape(urllib.request.urlopen(a.url + path, timeout=30).read().decode())
    assert "decided: For" in public and "not revealed" not in public


def test_an_endorsement_recorded_on_one_hub_shows_on_the_other_with_its_badge(
    network: tuple[Hub, Hub, Clock, MailServer],
) -> None:
    a, b, _, _ = network
    organiser = Members(a).organiser()
    url, page = organiser.post(
        "/network/charter/endorsements",
        {
            "organisation": "Northern Renters' Union",
            "kind": "union",
            "date": "2026-03-01",
            "website": "https://renters.example.org",
            "statement": "Homes are for living in.",
        },
    )
    endorsement = urllib.parse.urlparse(url).path.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{64}", endorsement), page

    def listed() -> bool:
        listing = html.unescape(
            urllib.request.urlopen(b.url + "/network/charter/endorsements").read().decode()
        )
        return "Northern Renters' Union" in listing and "recorded by Riverside" in listing

    wait_for("Northgate to list the endorsement", listed)
    with urllib.request.urlopen(f"{b.url}/charter/endorsements/{endorsement}/badge.svg") as badge:
        assert badge.headers["Content-Type"].startswith("image/svg+xml")
        svg = html.unescape(badge.read().decode())
    assert (
        '<title id="badge-title">Northern Renters\' Union endorses the Test network charter</title>'
        in svg
    )
