"""Memory through a day: one real node given a day of a large network's traffic,
compressed into minutes, with its resident memory read at every simulated hour.

What a hub in a network of about a thousand hubs receives in a day (docs/ARCHITECTURE.md,
"A thousand hubs": with full replication, every hub's events, comments and news) is
pushed to it hour by hour by 98 other hubs' logs: events, comments on them from other
hubs, and news. Between pushes its organiser opens their home, the calendar, an event's
page and its discussion, and a visitor the public page, as members do. The question is
whether the node's memory settles (caches filling to their bounds) or keeps growing.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import aiohttp

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, node_id_from_public_key
from node.network.actions import founding_statement
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.discussion import Comment
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import Announcement
from tests.benchmarks.cluster import Client, init_hubs, pid, rss_mb, running, until_quiet
from tests.benchmarks.common import T0, Table, origin_keys
from tests.benchmarks.federation import (
    CONNECTIONS,
    NETWORK,
    ORIGINS,
    UNBUDGETED,
    admitted,
    http_ingest,
    push_bodies,
)
from tests.benchmarks.web import cookie_header, logged_in_session
from tests.benchmarks.wrk import wrk

HOURS = 24
HOUR_S = 3600
# Of each origin's messages in an hour: one event in four, two comments, one news item.
PATTERN = ("event", "comment", "announcement", "comment")


class _Logs:
    """Each origin's log as it grows: the next seq and prev, and its events so far."""

    def __init__(self, keys: list[SigningKey], founds: list[Message]) -> None:
        self.keys = keys
        self.last: list[Message] = list(founds)
        self.events: list[MessageId] = []

    def write(self, i: int, kind: str, body: object, at_s: int) -> bytes:
        prev = self.last[i]
        message = create_message(
            self.keys[i],
            kind,
            body,
            prev.seq + 1,
            prev.id,
            at_s * 1000,  # type: ignore[arg-type]
        )
        self.last[i] = message
        if kind == "event":
            self.events.append(message.id)
        return message.wire


def _hour(logs: _Logs, hour: int, per_hour: int, rng: random.Random) -> list[bytes]:
    """An hour's messages, round-robin across the origins so each chain stays in order."""
    start_s = T0 // 1000 + hour * HOUR_S
    wires = []
    for n in range(per_hour):
        i, kind = n % ORIGINS, PATTERN[(n // ORIGINS) % len(PATTERN)]
        at_s = start_s + n * HOUR_S // per_hour
        if kind == "comment" and not logs.events:
            kind = "announcement"
        if kind == "event":
            starts = at_s + rng.randrange(1, 60) * 86400
            body: object = EventDetails(
                title=f"Hub {i} public meeting, day {hour}/{n}", starts=starts,
                ends=starts + 7200, timezone="Europe/London", type="public-meeting",
                visibility="public", place=f"Hall {n}",
                description="Housing, the library and the bus route: " + "come along. " * 20,
            )  # fmt: skip
        elif kind == "comment":
            body = Comment(
                subject=rng.choice(logs.events[-200:]),
                author=f"member_{i}_{n % 7}",
                text="I can bring the leaflets and a flask of tea. " * rng.randrange(1, 6),
            )
        else:
            body = Announcement(text=f"News from hub {i}: " + "the campaign goes on. " * 15)
        wires.append(logs.write(i, kind, body, at_s))
    return wires


async def run(table: Table, root: Path, quick: bool, log: Callable[[str], None]) -> None:
    per_hour = 400 if quick else 1_000  # a 1,000-hub network sends each hub ~10,000 a day
    keys = origin_keys(ORIGINS)
    origins = [node_id_from_public_key(k.public_key) for k in keys]
    [hub] = await init_hubs(root, ["Dayhub"], origins)
    statement = founding_statement(NETWORK, [NodeId(hub.node_id), *origins])
    founds = [create_message(k, "network.found", statement, 1, None, T0) for k in keys]
    logs = _Logs(keys, founds)
    rng = random.Random(20_261_202)
    email = re.search(r"organiser email: (\S+)", hub.init_output)
    password = re.search(r"organiser password: (\S+)", hub.init_output)
    assert email and password, "hubnet init did not print the organiser account"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        client = Client(session)
        async with running([hub], UNBUDGETED):
            await client.peer_with(hub)
            await admitted(client, hub, [m.wire for m in founds])
            organiser = await logged_in_session(hub.url, email.group(1), password.group(1))
            cookie = cookie_header(organiser)
            await organiser.close()
            log(f"day: {HOURS} hours of {per_hour:,} messages each into one node…")
            samples: list[float] = []
            for hour in range(HOURS):
                wires = _hour(logs, hour, per_hour, rng)
                await http_ingest(client, hub, push_bodies(wires, ORIGINS, CONNECTIONS))
                event = logs.events[-1].hex()
                for path, member in (
                    ("/dashboard", True),
                    ("/calendar", True),
                    (f"/events/{event}", True),
                    (f"/discuss/{event}", True),
                    ("/", False),
                ):
                    await wrk(
                        hub.url + path, 1.0, connections=10, cookie=cookie if member else None
                    )
                await until_quiet(pid(hub))
                samples.append(rss_mb(pid(hub)))
                if hour % 6 == 5:
                    log(f"  hour {hour + 1}: {samples[-1]:.1f} MB")
    total = HOURS * per_hour
    first, noon, last = samples[0], samples[HOURS // 2 - 1], samples[-1]
    later_growth = last - noon
    table.add(f"memory through a day of {total:,} messages and page views: after hour 1",
              first, unit="MB")  # fmt: skip
    table.add("  after hour 12", noon, unit="MB")
    table.add("  after hour 24", last, unit="MB", target="< 120 MB", met=last < 120)
    table.add(
        "  growth over the second 12 hours",
        later_growth,
        unit="MB",
        target="≤ 5 MB (steady)",
        met=later_growth <= 5,
    )
    table.add("  highest reading", max(samples), unit="MB")
    per_message = (last - first) * 1e6 / max(1, total - per_hour)
    table.add("  growth per message after hour 1", per_message, unit="bytes")
