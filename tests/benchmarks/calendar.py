"""Network calendar latency with 20,000 events from 200 hubs stored.

One real `hubnet run` process whose database already holds 200 hubs' profiles
and 100 events each (half past, half to come), the hubs made members of its
network by its sponsorship (a calendar shows members' events only), beside the bare aiohttp handler
measured in the same run. Twenty clients ask for the calendar as fast as they
can: plain, filtered by region, and "near me" (sorted by distance).
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crypto.ed25519 import SigningKey
from node import config as settings
from node.node import Node
from node.store.outcomes import Status
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import HubProfile
from protocol.kinds.network import NetworkJoin
from tests.benchmarks.cluster import Log, admit_by_sponsoring, found_alone
from tests.benchmarks.common import Table
from tests.benchmarks.wrk import CONNECTIONS, BareBeside, wrk
from tests.integration.network import Hub, free_port

CLIENTS = 20
HUBS = 200
PER_HUB = 100
REGIONS = ("North", "South", "East", "West", "Midlands")


def _key(h: int) -> SigningKey:
    return SigningKey(h.to_bytes(2, "big") * 16)


def _place(h: int) -> tuple[int, int]:
    return 50_000_000 + h * 20_000, -3_000_000 + h * 15_000


def _asking(logs: list[Log], now_s: int, network: bytes) -> list[bytes]:
    """Each hub's profile and its request to join `network`."""
    wires = []
    for h, log in enumerate(logs):
        lat, lon = _place(h)
        profile = HubProfile(
            name=f"Hub {h}", url=f"http://hub{h}.example", region=REGIONS[h % len(REGIONS)],
            lat=lat, lon=lon,
        )  # fmt: skip
        wires.append(log.write("hub.profile", profile, now_s * 1000).wire)
        wires.append(log.write("network.join", NetworkJoin(network=network), now_s * 1000).wire)
    return wires


def _events(logs: list[Log], now_s: int) -> list[bytes]:
    """Each hub's events, after what its log holds."""
    wires = []
    for h, log in enumerate(logs):
        lat, lon = _place(h)
        for i in range(PER_HUB):
            # Spread over a year either side of now: half archived, half to come.
            starts = now_s + (i - PER_HUB // 2) * 7 * 86400 + h * 3600
            body = EventDetails(
                title=f"Hub {h} meeting {i}", starts=starts, ends=starts + 7200,
                timezone="Europe/London", type="public-meeting", visibility="public",
                place=f"Hall {i}", lat=lat + i * 100, lon=lon,
            )  # fmt: skip
            wires.append(log.write("event", body, now_s * 1000).wire)
    return wires


async def _fill(hub: Hub, log: Callable[[str], None]) -> None:
    node = await Node.open(settings.load(hub.data_dir))
    try:
        assert node.membership.network is not None
        logs = [Log(_key(h)) for h in range(HUBS)]
        asking = _asking(logs, int(time.time()), node.membership.network)
        report = await node.messages.ingest(asking)
        if report.count(Status.STORED) != len(asking):
            raise RuntimeError(f"profiles and requests to join not all stored: {report}")
        await admit_by_sponsoring(node, logs)
        wires = _events(logs, int(time.time()))
        for start in range(0, len(wires), 1000):
            await node.messages.ingest(wires[start : start + 1000])
        await node.events.projection.settle()
        count = await node.db.fetchone("SELECT count(*) FROM events")
        log(f"  {count[0]:,} events from {HUBS} hubs stored")
    finally:
        await node.close()


def _new_filters() -> list[str]:
    """The calendar from a different day for each request: none asked twice in a row."""
    today = datetime.date.today()
    return [f"/calendar?from={today + datetime.timedelta(days=n - 365)}" for n in range(3650)]


async def run(table: Table, root: Path, quick: bool, log: Callable[[str], None]) -> None:
    seconds = 3.0 if quick else 8.0
    port = free_port()
    bare = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.bare", str(port)])
    hub = Hub(root, "Calendar")
    await found_alone(hub, "Calendar network")
    try:
        log(f"calendar: storing {HUBS * PER_HUB:,} events…")
        await _fill(hub, log)
        hub.start()
        log(f"calendar: wrk, {CONNECTIONS} connections, {seconds:.0f} s per page…")
        bare_beside = BareBeside(port, seconds)
        await bare_beside.start()
        # A second of load first: the node's first pages after a start (Jinja compiling
        # the templates, SQLite reading 20,000 events' pages from disk) are not what a
        # visitor waits for afterwards, and fell inside the first row's p99.
        await wrk(hub.url + "/calendar", 1.0)
        for name, path in (
            ("calendar, upcoming", "/calendar"),
            ("calendar, one region", "/calendar?region=North"),
            ("calendar, near me 100 km", "/calendar?near_lat=51.0&near_lon=-2.0&radius=100"),
            ("calendar, archive", "/calendar/past"),
        ):
            url = hub.url + path
            load, ratio = await bare_beside.share(lambda u=url: wrk(u, seconds))
            table.add(f"web: {name}, {HUBS * PER_HUB:,} events", load.rate, unit="req/s")
            table.add(f"  {name}: share of bare beside it", ratio, unit="×")
            table.add(
                f"  {name} p99", load.p99_ms, unit="ms", target="< 100 ms", met=load.p99_ms < 100
            )
        # The pages above are the same for every visitor, so after the first visit
        # they come from the node's kept renderings. A new "from" date per request
        # misses them every time: the cost of choosing and rendering a page.
        name = "calendar, a new filter every request"
        load = await wrk(hub.url, seconds, paths=_new_filters())
        table.add(f"web: {name}, {HUBS * PER_HUB:,} events", load.rate, unit="req/s")
        table.add(f"  {name} p50", load.p50_ms, unit="ms")
        table.add(f"  {name} p99", load.p99_ms, unit="ms")
        bare_beside.add_rows(table)
    finally:
        hub.stop()
        bare.terminate()
        bare.wait(10)
