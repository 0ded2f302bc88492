"""Federation between real node processes on 127.0.0.1: ingest over HTTP, catch-up,
propagation through a sparse network, and memory.

Each measurement adds its rows to the table; one that fails adds a row saying
so and the others still run. Every node process and data directory is removed
whatever happens.

The nodes of each measurement found one network (a node stores only its members'
messages, docs/PROTOCOL.md §14.5), naming as founders the keys the benchmark
signs with: each key's first message is its own `network.found`, pushed before the
clock starts, so what is timed is the real path, membership gate included. The
catch-up is a new node's: B learns the origins' statements from A as it pulls, so
it refuses each origin's first page past its statement (not a member yet) and
pulls it again once its roster counts the origin.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from crypto.nodeid import NodeId, node_id_from_public_key
from node.network.actions import founding_statement
from protocol import federation as wire
from protocol.envelope import MessageId, create_message
from protocol.kinds.hub import Announcement
from tests.benchmarks.cluster import (
    Client,
    cpu_seconds,
    init_hubs,
    message_count,
    pid,
    rss_mb,
    running,
    running_hubs,
    until_quiet,
    wait_for_counts,
)
from tests.benchmarks.common import (
    T0,
    Table,
    all_core_verify_rate,
    make_messages,
    origin_keys,
)
from tests.integration.network import Hub, founded

BATCH = 500  # messages per POST /federation/v1/messages
CONNECTIONS = 4  # concurrent pushes: enough to keep a 2-core node busy
SEED = 20_251_122  # the propagation graph and the choice of announcing nodes
PEERS_EACH = 3
POLL = 0.05  # seconds between /healthz polls while waiting for arrival
SETTLE = 3.0  # seconds of quiet after the propagation network has formed
NETWORK = "Benchmark network"  # as tests.benchmarks.cluster.init_hubs founds it
# A founding statement names at most 100 hubs: nodes A and B, and these origins.
ORIGINS = 98
# Messages the all-core verify ceiling is measured on again beside the push row.
CEILING_SAMPLES = 4000
# The ingest row measures how fast a node takes messages in, not its policy: a
# peer's default budget (20,000 messages a minute, docs/OPERATIONS.md) would cap
# it at about 330 a second by design, so node A gives the benchmark's peer more.
UNBUDGETED = {
    "HUBNET_PEER_MESSAGES_PER_MINUTE": str(10**9),
    "HUBNET_PEER_BYTES_PER_MINUTE": str(2**50),
}


@dataclass(frozen=True, slots=True)
class Sizes:
    catch_up: int  # messages pushed into node A, then pulled by node B
    nodes: int  # in the propagation network
    messages: int  # timed in each propagation path

    @classmethod
    def for_run(cls, quick: bool) -> Sizes:
        return cls(10_000, 8, 5) if quick else cls(100_000, 20, 20)


# -- (a) ingest over HTTP -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngestResult:
    rate: float
    seconds: float
    node_cpu: float  # CPU seconds the node used meanwhile
    client_cpu: float  # CPU seconds this process used meanwhile


def push_bodies(wires: list[bytes], origins: int, connections: int) -> list[list[bytes]]:
    """Encoded push bodies for each connection, built before the clock starts.

    Each connection carries its own origins, in seq order, so batches never
    arrive ahead of their chain's gap (which would make the node hold them).
    """
    per_connection: list[list[bytes]] = [[] for _ in range(connections)]
    for index, envelope in enumerate(wires):
        per_connection[(index % origins) % connections].append(envelope)
    return [
        [wire.encode_push(part[i : i + BATCH]) for i in range(0, len(part), BATCH)]
        for part in per_connection
    ]


async def admitted(client: Client, hub: Hub, founds: list[bytes], timeout: float = 60) -> None:
    """Push the origins' `network.found` messages and wait until `hub` takes each origin
    as a member (it recomputes its roster just after storing them).

    A probe at seq 2 with a made-up prev is refused as not-member until then, and
    for its broken chain after: nothing is stored either way.
    """
    results = await client.push(hub.url, wire.encode_push(founds))
    bad = [r for r in results if r.status != "stored"]
    if bad:
        raise RuntimeError(f"{len(bad)} founding statements not stored, e.g. {bad[0]}")
    deadline = time.monotonic() + timeout
    for key in origin_keys(ORIGINS):
        probe = create_message(
            key, "announcement", Announcement(text="probe"), 2, MessageId(bytes(32)), T0
        )
        while True:
            [result] = await client.push(hub.url, wire.encode_push([probe.wire]))
            if result.status == "stored":
                raise RuntimeError("a probe with a made-up prev was stored")
            if not (result.reason or "").startswith("not-member:"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{hub.name} did not admit the benchmark's origins")
            await asyncio.sleep(0.1)


async def http_ingest(client: Client, hub: Hub, bodies: list[list[bytes]]) -> IngestResult:
    async def send(mine: list[bytes]) -> None:
        for body in mine:
            results = await client.push(hub.url, body)
            bad = [r for r in results if r.status != "stored"]
            if bad:
                raise RuntimeError(f"{len(bad)} of a batch not stored, e.g. {bad[0]}")

    node_cpu = cpu_seconds(pid(hub))
    own_cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(send(mine) for mine in bodies))
    seconds = time.perf_counter() - start
    count = sum(len(wire.decode_push(b)) for mine in bodies for b in mine)
    return IngestResult(
        count / seconds,
        seconds,
        cpu_seconds(pid(hub)) - node_cpu,
        time.process_time() - own_cpu,
    )


async def projection_costs(
    session: aiohttp.ClientSession, hub: Hub
) -> dict[str, tuple[int, float]]:
    """Messages applied and seconds spent by each projection that applied any, from
    the node's /metrics (which answers a request from this machine)."""
    async with session.get(f"{hub.url}/metrics") as response:
        text = await response.text()
    found: dict[str, list[float]] = {}
    for line in text.splitlines():
        for metric, index in (("messages", 0), ("seconds", 1)):
            prefix = f'hubnet_projection_{metric}_total{{projection="'
            if line.startswith(prefix):
                name, _, value = line[len(prefix) :].partition('"} ')
                found.setdefault(name, [0.0, 0.0])[index] = float(value)
    return {n: (int(c), s) for n, (c, s) in found.items() if c}


# -- (c) propagation ------------------------------------------------------------------


def regular_graph(n: int, degree: int, rng: random.Random) -> list[tuple[int, int]]:
    """A connected random graph where every node has `degree` neighbours (pairing model)."""
    while True:
        stubs = [i for i in range(n) for _ in range(degree)]
        rng.shuffle(stubs)
        edges = {tuple(sorted(p)) for p in zip(stubs[::2], stubs[1::2], strict=True)}
        if len(edges) != n * degree // 2 or any(a == b for a, b in edges):
            continue
        seen, frontier = {0}, [0]
        while frontier:
            node = frontier.pop()
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == node and y not in seen:
                        seen.add(y)
                        frontier.append(y)
        if len(seen) == n:
            return sorted((a, b) for a, b in edges)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def peer_graph(hubs: list[Hub], edges: list[tuple[int, int]]) -> None:
    """Peer each edge by invite, as organisers do: the second hub accepts the first's."""

    def peer(edge: tuple[int, int]) -> None:
        a, b = edge
        hubs[b].peer_with(hubs[a])

    def all_edges() -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(peer, edges))

    await asyncio.to_thread(all_edges)


async def propagation(
    session: aiohttp.ClientSession, client: Client, hubs: list[Hub], messages: int
) -> tuple[list[float], list[float]]:
    """Seconds for a message to reach every hub: pushed to one over HTTP, and `hubnet announce`.

    The clock starts as the push is sent, or when the announce command has
    returned (its message is committed then; the command's own start-up is not
    counted). Hubs must be peered and hold the same messages, and have founded
    their network with the client's key.
    """
    rng = random.Random(SEED)
    expected = await message_count(session, hubs[0])
    # The client's own founding statement first, everywhere: then it is a member.
    first = founded(client.key, [h.node_id for h in hubs] + [client.node_id], NETWORK)
    results = await client.push(hubs[0].url, wire.encode_push([first.wire]))
    if results[0].status != "stored":
        raise RuntimeError(f"{hubs[0].name} did not store the client's statement: {results[0]}")
    expected += 1
    await wait_for_counts(session, hubs, [expected] * len(hubs), 30, POLL)
    prev: MessageId | None = first.id
    seq = 1

    async def push_one(hub: Hub) -> float:
        nonlocal prev, seq, expected
        seq += 1
        text = f"Bench message {seq}: the food bank opens an hour early on Friday."
        message = create_message(
            client.key, "announcement", Announcement(text=text), seq, prev, int(time.time() * 1000)
        )
        prev = message.id
        expected += 1
        start = time.perf_counter()
        results = await client.push(hub.url, wire.encode_push([message.wire]))
        if results[0].status != "stored":
            raise RuntimeError(f"{hub.name} did not store the message: {results[0]}")
        answered = time.perf_counter() - start
        arrivals = await wait_for_counts(session, hubs, [expected] * len(hubs), 30, POLL)
        return answered + max(arrivals)

    async def announce_one(hub: Hub, i: int) -> float:
        nonlocal expected
        await asyncio.to_thread(hub.announce, f"Announcement {i}: repair café on Saturday.")
        expected += 1
        arrivals = await wait_for_counts(session, hubs, [expected] * len(hubs), 30, POLL)
        return max(arrivals)

    for hub in hubs[:2]:  # warm-up: links carry traffic once before the clock runs
        await push_one(hub)
    pushed = [await push_one(rng.choice(hubs)) for _ in range(messages)]
    announced = [await announce_one(rng.choice(hubs), i) for i in range(messages)]
    return pushed, announced


# -- all together -----------------------------------------------------------------------


async def _section(table: Table, name: str, body: Callable[[], Awaitable[None]]) -> None:
    try:
        await body()
    except Exception as exc:
        traceback.print_exc()
        table.failed(name, f"{type(exc).__name__}: {exc}")


async def run(table: Table, quick: bool, log: Callable[[str], None]) -> None:
    """Add the federation rows to `table`."""
    sizes = Sizes.for_run(quick)
    n = f"{sizes.catch_up:,}"
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = Client(session)
        with tempfile.TemporaryDirectory(prefix="hubnet-bench-") as tmp:
            root = Path(tmp)

            async def two_nodes() -> None:
                await ingest_and_catch_up(table, session, client, root, sizes.catch_up, n, log)

            await _section(table, "federation between two nodes", two_nodes)

            async def network() -> None:
                await network_propagation(table, session, client, root, sizes, log)

            await _section(table, "propagation", network)


async def ingest_and_catch_up(
    table: Table,
    session: aiohttp.ClientSession,
    client: Client,
    root: Path,
    count: int,
    n: str,
    log: Callable[[str], None],
) -> None:
    origins = [node_id_from_public_key(k.public_key) for k in origin_keys(ORIGINS)]
    a, b = await init_hubs(root, ["A", "B"], origins)
    statement = founding_statement(NETWORK, [NodeId(a.node_id), NodeId(b.node_id), *origins])
    log(f"signing {count:,} messages from {ORIGINS} origins, founders of A and B's network…")
    wires = make_messages(ORIGINS, math.ceil(count / ORIGINS) + 1, statement)
    founds, fill = wires[:ORIGINS], wires[ORIGINS : ORIGINS + count]
    bodies = push_bodies(fill, ORIGINS, CONNECTIONS)
    log("starting node A…")
    async with running([a], UNBUDGETED):
        await asyncio.sleep(1.0)  # let start-up allocations settle
        idle = rss_mb(pid(a))
        await client.peer_with(a)
        await admitted(client, a, founds)
        log(f"pushing {n} messages into node A over HTTP…")
        samples = fill[:CEILING_SAMPLES]
        ceiling_before = await asyncio.to_thread(all_core_verify_rate, samples)
        before = await until_quiet(pid(a))
        pushed = await http_ingest(client, a, bodies)
        push_cpu = await until_quiet(pid(a)) - before
        ceiling_after = await asyncio.to_thread(all_core_verify_rate, samples)
        ceiling = (ceiling_before + ceiling_after) / 2
        projections = await projection_costs(session, a)
        cores = pushed.node_cpu / pushed.seconds
        log(
            f"  {pushed.seconds:.1f} s; node A used {pushed.node_cpu:.1f} CPU-s ({cores:.2f} "
            f"cores), this client {pushed.client_cpu:.1f} CPU-s"
        )
        table.add(
            f"HTTP push into 1 node, {CONNECTIONS} connections × {BATCH}/POST, {n}",
            pushed.rate,
            target="≥ 0.50 × all cores",
            met=pushed.rate >= 0.50 * ceiling,
        )
        table.add(
            f"  share of the all-core ceiling beside it ({ceiling_before:,.0f} and "
            f"{ceiling_after:,.0f} /s just before and after)",
            pushed.rate / ceiling,
            unit="×",
        )
        table.add("  node's CPU use meanwhile", cores, unit=f"of {os.cpu_count()} cores")
        table.add(
            "  node's CPU-s, workers and work after the answers included", push_cpu, unit="CPU-s"
        )
        # µs/call: two decimals. Other hubs' announcements build no table but the
        # fediverse's, which reads only this hub's own: the total is then 0.
        for name, (applied, spent) in sorted(projections.items()):
            table.add(
                f"  projection {name}: µs per message applied",
                spent * 1e6 / applied,
                unit="µs/call",
            )
        spent = sum(s for _, s in projections.values())
        table.add("  all projections: µs per message pushed", spent * 1e6 / count, unit="µs/call")
        log("starting node B and peering it with A…")
        async with running([b]):
            a_count = await message_count(session, a)
            b_count = await message_count(session, b)
            b_before = await until_quiet(pid(b))
            await asyncio.to_thread(b.peer_with, a)
            [seconds] = await wait_for_counts(session, [b], [a_count + b_count], 300, 0.1)
            b_cpu = await until_quiet(pid(b)) - b_before
            log(f"  {seconds:.1f} s")
            limit = 10.0
            table.add(
                f"catch-up: new node pulls {n} from its peer, from `peer add`",
                seconds,
                unit="s",
                target=f"< {limit:.0f} s",
                met=seconds < limit,
            )
            table.add("  as a rate", a_count / seconds)
            table.add("  new node's CPU-s, workers included", b_cpu, unit="CPU-s")
            memory = [("A, pushed into", rss_mb(pid(a))), ("B, caught up", rss_mb(pid(b)))]
    table.add("memory: idle node, just started", idle, unit="MB", target="≤ 55 MB", met=idle <= 55)
    for name, value in memory:
        table.add(
            f"memory: node holding {n} ({name})",
            value,
            unit="MB",
            target="< 120 MB",
            met=value < 120,
        )


async def network_propagation(
    table: Table,
    session: aiohttp.ClientSession,
    client: Client,
    root: Path,
    sizes: Sizes,
    log: Callable[[str], None],
) -> None:
    names = [f"P{i:02d}" for i in range(sizes.nodes)]
    edges = regular_graph(sizes.nodes, PEERS_EACH, random.Random(SEED))
    log(f"starting {sizes.nodes} nodes…")
    async with running_hubs(root, names, [client.node_id]) as hubs:
        log(f"peering them along {len(edges)} random edges (seed {SEED})…")
        await peer_graph(hubs, edges)
        # Only peers may push (PROTOCOL.md §9): the client pushes to random hubs.
        for hub in hubs:
            await client.peer_with(hub)
        # Each hub's profile and founding statement (written at init) reaching all shows
        # every link works; then a moment for the start-up pulls to finish.
        await wait_for_counts(session, hubs, [2 * len(hubs)] * len(hubs), 120, 0.5)
        await asyncio.sleep(SETTLE)
        log(f"timing {sizes.messages} messages each way…")
        pushed, announced = await propagation(session, client, hubs, sizes.messages)
    limit = 2.0
    what = f"{sizes.nodes} nodes × {PEERS_EACH} peers, {sizes.messages} messages"
    for how, times in (("pushed to 1 node over HTTP", pushed), ("`hubnet announce`", announced)):
        p50, p95 = percentile(times, 50), percentile(times, 95)
        table.add(f"propagation to all, {how}: p50 ({what})", p50, unit="s")
        table.add(
            f"propagation to all, {how}: p95",
            p95,
            unit="s",
            target=f"p95 < {limit:.0f} s",
            met=p95 < limit,
        )
    log(f"  pushed: {', '.join(f'{t:.2f}' for t in pushed)}")
    log(f"  announced: {', '.join(f'{t:.2f}' for t in announced)}")
