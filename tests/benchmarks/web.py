"""Web page figures: requests a second and latency at 50 concurrent clients.

The public page and a logged-in member's dashboard of one real node process,
beside a bare aiohttp handler (tests/benchmarks/bare.py) measured in the same
run on the same machine, so the ratio holds on a busy machine.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp

from tests.benchmarks.cluster import running_hubs
from tests.benchmarks.common import Table
from tests.benchmarks.wrk import CONNECTIONS, BareBeside, Load, wrk
from tests.integration.network import free_port

CLIENTS = 50


async def logged_in_session(url: str, email: str, password: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CLIENTS), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    page = await (await session.get(url + "/login")).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no form token on the login page"
    response = await session.post(
        url + "/login",
        data={"csrf": match.group(1), "email": email, "password": password},
        allow_redirects=False,
    )
    if response.status != 303:
        await session.close()
        raise RuntimeError(f"could not log in: HTTP {response.status}")
    return session


def cookie_header(session: aiohttp.ClientSession) -> str:
    """The logged-in session's cookies as a browser sends them (session and form token)."""
    return "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)


async def run(table: Table, root: Path, quick: bool, log: Callable[[str], None]) -> None:
    seconds = 2.0 if quick else 5.0
    rounds = 3 if quick else 5
    port = free_port()
    bare = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.bare", str(port)])
    try:
        async with running_hubs(root, ["Webhub"]) as [hub]:
            email = re.search(r"organiser email: (\S+)", hub.init_output)
            password = re.search(r"organiser password: (\S+)", hub.init_output)
            assert email and password, "hubnet init did not print the organiser account"
            session = await logged_in_session(hub.url, email.group(1), password.group(1))
            cookie = cookie_header(session)
            await session.close()
            log(f"web: wrk, {CONNECTIONS} connections, {seconds:.0f} s per page, {rounds} rounds…")
            bare_beside = BareBeside(port, seconds)
            await bare_beside.start()
            rows = [
                ("/healthz", "/healthz", False, 0.6),
                ("/.well-known/hubnet", "/.well-known/hubnet", False, None),
                ("public page /", "/", False, 1 / 3),
                ("member's home (an organiser's)", "/dashboard", True, 0.4),
                ("member page: notices", "/notices", True, 0.4),
            ]
            # Every row in turn, ROUNDS times over, each beside the bare handler: a row's
            # figure is the median of its rounds, so one slow minute of a shared machine
            # moves it little.
            loads: dict[str, list[Load]] = {name: [] for name, *_ in rows}
            ratios: dict[str, list[float]] = {name: [] for name, *_ in rows}
            for _ in range(rounds):
                for name, path, member, _share in rows:
                    url, sent = hub.url + path, cookie if member else None
                    load, ratio = await bare_beside.share(
                        lambda u=url, c=sent: wrk(u, seconds, cookie=c)
                    )
                    loads[name].append(load)
                    ratios[name].append(ratio)
            for name, _path, _member, share in rows:
                ratio = statistics.median(ratios[name])
                table.add(
                    f"web: {name}",
                    statistics.median(load.rate for load in loads[name]),
                    unit="req/s",
                    target=f"≥ {share:.2f} of bare" if share else "",
                    met=ratio >= share if share else None,
                )
                table.add(
                    f"  {name}: share of bare beside it, median of {rounds}"
                    f" ({min(ratios[name]):.2f}-{max(ratios[name]):.2f})",
                    ratio,
                    unit="×",
                )
                p99 = statistics.median(load.p99_ms for load in loads[name])
                table.add(f"  {name} p99", p99, unit="ms", target="< 100 ms", met=p99 < 100)
            bare_beside.add_rows(table)
    finally:
        bare.terminate()
        bare.wait(10)
