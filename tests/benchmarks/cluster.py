"""Real `hubnet run` processes on 127.0.0.1 for the federation benchmarks, and a signed client.

Nodes are started and stopped in parallel (each is a Python process that takes
a second or so of CPU to start), and always stopped, even when a benchmark fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from crypto.ed25519 import SigningKey
from crypto.httpsig import sign_request
from crypto.nodeid import NodeId, node_id_from_public_key
from node.accounts.permissions import OPERATOR
from node.federation.invites import parse_invite
from node.network.actions import NetworkActions
from node.node import Node
from node.store.outcomes import Status
from protocol import federation as wire
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.network import NetworkWitness
from tests.integration.network import Hub, found_network, free_port

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


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children still running (a node's signature workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return cpu_seconds(pid) + sum(tree_cpu_seconds(int(c)) for c in children)


async def until_quiet(pid: int, step: float = 0.5, idle: float = 0.02) -> float:
    """Wait until a process (with its children) uses under `idle` of a core; its CPU
    seconds then. What a node does after answering (projections, relaying) is counted."""
    last = tree_cpu_seconds(pid)
    while True:
        await asyncio.sleep(step)
        now = tree_cpu_seconds(pid)
        if now - last < idle * step:
            return now
        last = now


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


async def init_hubs(root: Path, names: list[str], founders: Sequence[str] = ()) -> list[Hub]:
    """`hubnet init` for each name, in parallel; then the hubs found one network together,
    with the node ids in `founders` (keys the benchmark signs with) as further founders.

    Hubs take only their network's members' messages (docs/PROTOCOL.md §14.5).
    """
    hubs = await asyncio.to_thread(_in_parallel, lambda i: Hub(root, names[i]), len(names))
    await asyncio.to_thread(found_network, hubs, "Benchmark network", founders)
    return hubs


@contextlib.asynccontextmanager
async def running(hubs: list[Hub], env: dict[str, str] | None = None) -> AsyncIterator[list[Hub]]:
    """`hubnet run` for each hub (with `env` added to its environment), in parallel;
    all stopped on exit."""
    started: list[Hub] = []

    def start(i: int) -> Hub:
        hub = hubs[i]
        hub.start(env)
        started.append(hub)
        return hub

    try:
        await asyncio.to_thread(_in_parallel, start, len(hubs))
        yield hubs
    finally:
        await asyncio.to_thread(stop_hubs, started)


@contextlib.asynccontextmanager
async def running_hubs(
    root: Path,
    names: list[str],
    founders: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> AsyncIterator[list[Hub]]:
    """`init_hubs`, then `running`: the hubs of one network, all stopped on exit."""
    hubs = await init_hubs(root, names, founders)
    async with running(hubs, env):
        yield hubs


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


@dataclass
class Log:
    """A synthetic hub's log as a benchmark writes it: its key and its head."""

    key: SigningKey
    seq: int = 0
    prev: MessageId | None = None

    @property
    def node_id(self) -> NodeId:
        return node_id_from_public_key(self.key.public_key)

    def write(self, kind: str, body: object, ts_ms: int) -> Message:
        """The log's next message."""
        message = create_message(self.key, kind, body, self.seq + 1, self.prev, ts_ms)
        self.seq, self.prev = message.seq, message.id
        return message


async def found_alone(hub: Hub, name: str) -> None:
    """`hub` founds a network of its own in which one sponsor admits a newcomer."""
    await asyncio.to_thread(hub.cli, "network", "found", "--name", name, "--sponsors-needed", "1")


async def admit_by_sponsoring(node: Node, logs: Sequence[Log]) -> None:
    """Make hubs that asked to join (their `network.join` is held) members of `node`'s
    network, founded by `found_alone`, as it would grow: `node` sponsors each, as its
    organiser would with `hubnet network sponsor`, and a sponsorship counts once a
    majority of the members of the moment witnessed it (PROTOCOL.md §14.2, §14.4). So
    each hub, once admitted, writes a witness of `node`'s sponsorships, and those let
    in the next ones: about twice as many members each round. For more hubs than a
    founding statement may name (100). Each log then goes on after its witness.
    """
    network = node.membership.network
    assert network is not None, "the node belongs to no network"
    before = asyncio.all_tasks()
    actions = NetworkActions(node.messages, node.membership)
    await node.membership.refresh()
    for log in logs:
        await actions.sponsor(log.node_id, by=OPERATOR)
    await node.witnessing.witness()
    head = await node.messages.head(node.node_id)
    assert head is not None
    cited = NetworkWitness(
        network=network, origins=(node.node_id,), seqs=(head.seq,), ids=(head.id,)
    )
    waiting = {log.node_id: log for log in logs}
    ts = node.clock()
    while waiting:
        await node.membership.refresh()
        admitted = [waiting.pop(h) for h in list(waiting) if h in node.membership.members]
        if not admitted:
            raise RuntimeError(f"{len(waiting)} of {len(logs)} sponsored hubs are not members")
        ts = max(ts + 1, node.clock())
        witnesses = [log.write("network.witness", cited, ts).wire for log in admitted]
        report = await node.messages.ingest(witnesses)
        if report.count(Status.STORED) != len(witnesses):
            raise RuntimeError(f"witnesses not all stored: {report}")
    # The node rebuilds what it shows as members come in (listeners of its roster):
    # let that finish before the caller goes on or closes the node.
    await asyncio.gather(*(asyncio.all_tasks() - before - {asyncio.current_task()}))


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
