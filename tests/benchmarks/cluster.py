"""Real `hubnet run` processes on 127.0.0.1 for the federation benchmarks, and a signed client.

Nodes are started and stopped in parallel (each is a Python process that takes
a second or so of CPU to start), and always stopped, even when a benchmark fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp

from crypto.ed25519 import SigningKey
from crypto.httpsig import sign_request
from crypto.nodeid import NodeId, node_id_from_public_key
from node.federation.invites import parse_invite
from protocol import federation as wire
from tests.integration.network import Hub, free_port

PREFIX = "/federation/v1"
# Python start-ups are CPU-bound: more than a few at once on 2 cores only queue.
_STARTERS = max(2, 2 * (os.cpu_count() or 1))


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS in /proc/<pid>/status), in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid(hub: Hub) -> int:
    assert hub.process is not None, f"{hub.name} is not running"
    return hub.process.proc.pid


def _in_parallel(fn: Callable[[int], Hub], count: int) -> list[Hub]:
    with ThreadPoolExecutor(_STARTERS) as pool:
        futures = [pool.submit(fn, i) for i in range(count)]
        hubs, errors = [], []
        for future in futures:
            try:
                hubs.append(future.result())
            except Exception as exc:
                errors.append(exc)
    if errors:
        stop_hubs(hubs)
        raise errors[0]
    return hubs


@contextlib.asynccontextmanager
async def running_hubs(
    root: Path, names: list[str], env: dict[str, str] | None = None
) -> AsyncIterator[list[Hub]]:
    """`hubnet init` and `hubnet run` for each name, in parallel; all stopped on exit."""
    started: list[Hub] = []

    def start(i: int) -> Hub:
        hub = Hub(root, names[i])
        hub.start(env)
        started.append(hub)
        return hub

    try:
        hubs = await asyncio.to_thread(_in_parallel, start, len(names))
        yield hubs
    finally:
        await asyncio.to_thread(stop_hubs, started)


def stop_hubs(hubs: list[Hub]) -> None:
    """Stop every hub; one that will not stop on SIGTERM is killed."""

    def stop(hub: Hub) -> None:
        try:
            hub.stop()
        except Exception:
            if hub.process is not None:
                hub.process.proc.kill()
                hub.process.proc.wait(10)
                hub.process = None

    with ThreadPoolExecutor(_STARTERS) as pool:
        list(pool.map(stop, hubs))


class Client:
    """A node identity of the benchmark's own that signs its federation requests."""

    def __init__(self, session: aiohttp.ClientSession, seed: bytes = b"bench-client".ljust(32)):
        self.session = session
        self.key = SigningKey(seed)
        self.node_id: NodeId = node_id_from_public_key(self.key.public_key)

    def _headers(self, method: str, target: str, body: bytes) -> dict[str, str]:
        headers = sign_request(
            self.key, self.node_id, method, target, body, created=int(time.time())
        )
        if body:
            headers["Content-Type"] = "application/msgpack"
        return headers

    async def request(self, method: str, base_url: str, target: str, body: bytes = b"") -> bytes:
        headers = self._headers(method, target, body)
        async with self.session.request(
            method, base_url + target, data=body or None, headers=headers
        ) as response:
            data = await response.read()
            if response.status != 200:
                raise RuntimeError(
                    f"{method} {base_url}{target}: HTTP {response.status}: "
                    f"{wire.decode_error(data)}"
                )
        return data

    async def push(self, base_url: str, body: bytes) -> list[wire.PushResult]:
        """POST an already encoded push body (protocol.federation.encode_push)."""
        data = await self.request("POST", base_url, f"{PREFIX}/messages", body)
        return wire.decode_push_results(data)

    async def peer_with(self, hub: Hub) -> None:
        """Become a peer of `hub` as another node would: its invite, then our signed POST.

        The URL we give is a closed port: the hub's attempts to pull from us or push
        to us fail at once and back off, which costs it next to nothing.
        """
        text = await asyncio.to_thread(hub.peer_cli, "invite", "--no-qr")
        invite = parse_invite(text.splitlines()[0])
        our_url = f"http://127.0.0.1:{free_port()}"
        body = wire.encode_peering(invite.token, our_url, "benchmark client")
        card = wire.decode_card(await self.request("POST", hub.url, f"{PREFIX}/peering", body))
        if card.node_id != hub.node_id:
            raise RuntimeError(f"{hub.url} is {card.node_id}, not {hub.node_id}")


async def message_count(session: aiohttp.ClientSession, hub: Hub) -> int:
    async with session.get(hub.url + "/healthz") as response:
        count: int = (await response.json())["messages"]
    return count


async def wait_for_counts(
    session: aiohttp.ClientSession,
    hubs: list[Hub],
    at_least: list[int],
    timeout: float,
    interval: float = 0.05,
) -> list[float]:
    """Poll /healthz until each hub holds at least its count; seconds until each did.

    A hub is polled every `interval` seconds until it arrives; a hub that has not
    arrived within `timeout` raises TimeoutError.
    """
    start = time.perf_counter()
    arrived: list[float | None] = [None] * len(hubs)
    while True:
        tick = time.perf_counter()
        waiting = [i for i, t in enumerate(arrived) if t is None]
        if not waiting:
            return [t for t in arrived if t is not None]
        counts = await asyncio.gather(*(message_count(session, hubs[i]) for i in waiting))
        now = time.perf_counter()
        for i, count in zip(waiting, counts, strict=True):
            if count >= at_least[i]:
                arrived[i] = now - start
        if now - start > timeout:
            late = [hubs[i].name for i, t in enumerate(arrived) if t is None]
            raise TimeoutError(f"after {timeout:.0f} s, {', '.join(late)} still lack messages")
        await asyncio.sleep(max(0.0, interval - (now - tick)))
