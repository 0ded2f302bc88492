"""Web page figures: requests a second and latency at 50 concurrent clients.

The public page and a logged-in member's dashboard of one real node process,
beside a bare aiohttp handler (tests/benchmarks/bare.py) measured in the same
run on the same machine, so the ratio holds on a busy machine.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from tests.benchmarks.cluster import running_hubs
from tests.benchmarks.common import Table
from tests.integration.network import free_port

CLIENTS = 50


async def _load(
    session: aiohttp.ClientSession,
    url: str | Callable[[int], str],
    seconds: float,
    clients: int = CLIENTS,
) -> tuple[float, float, float]:
    """(requests a second, p50 ms, p99 ms) for CLIENTS clients asking as fast as they can.

    `url` may be a function of the request's number, for a different address each time.
    """
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    address = url if callable(url) else lambda _: url
    numbers = itertools.count()

    async def client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with session.get(address(next(numbers))) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url} answered {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return (
        len(latencies) / elapsed,
        latencies[len(latencies) // 2],
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )


async def _logged_in_session(url: str, email: str, password: str) -> aiohttp.ClientSession:
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


async def run(table: Table, root: Path, quick: bool, log: Callable[[str], None]) -> None:
    seconds = 3.0 if quick else 8.0
    port = free_port()
    bare = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.bare", str(port)])
    try:
        async with running_hubs(root, ["Webhub"]) as [hub]:
            email = re.search(r"organiser email: (\S+)", hub.init_output)
            password = re.search(r"organiser password: (\S+)", hub.init_output)
            assert email and password, "hubnet init did not print the organiser account"
            session = await _logged_in_session(hub.url, email.group(1), password.group(1))
            try:
                for _ in range(50):  # the bare server may still be starting
                    try:
                        await (await session.get(f"http://127.0.0.1:{port}/")).read()
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                log(f"web: {CLIENTS} clients, {seconds:.0f} s per page…")
                bare_rate, _, bare_p99 = await _load(session, f"http://127.0.0.1:{port}/", seconds)
                rows = [
                    ("public page /", hub.url + "/"),
                    ("member dashboard", hub.url + "/dashboard"),
                ]
                table.add(f"web: bare aiohttp handler, {CLIENTS} clients", bare_rate, unit="req/s")
                table.add("  bare handler p99", bare_p99, unit="ms")
                for name, url in rows:
                    rps, p50, p99 = await _load(session, url, seconds)
                    table.add(
                        f"web: {name}, {CLIENTS} clients",
                        rps,
                        unit="req/s",
                        target="≥ 1/3 of bare",
                        met=rps >= bare_rate / 3,
                    )
                    table.add(f"  {name} p50", p50, unit="ms")
                    table.add(f"  {name} p99", p99, unit="ms", target="< 100 ms", met=p99 < 100)
            finally:
                await session.close()
    finally:
        bare.terminate()
        bare.wait(10)
