"""`make sim`: what each hub pays as the network grows (docs/ARCHITECTURE.md, "A thousand hubs").

A discrete-event simulation of a day of a network of 10, 100 and 1,000 hubs, on a
simulated clock, built on the real protocol: real signed messages of the real kinds
(sim_traffic.py), placed at each hub with the real log rule and pulled with the real
pull planning (sim_flood.py), the real roster and tally computed at the close and
timed. No HTTP and no database: a hub's store is modelled by its heads and held
messages; bytes are the real messages' envelope bytes and a real heads page's.

Above `--flood-all` hubs, the event simulation floods the logs of a sample of origins
(all their messages; logs stay whole), and bytes sent and received are scaled up from
it to all of the day's messages; witnesses are modelled (sim_witness.py). The output
says which. Run: `make sim` or `.venv/bin/python -m tests.benchmarks.simulation`.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable

from crypto.nodeid import NodeId
from protocol import federation as wire
from protocol.envelope import Message, MessageId
from protocol.log import Head
from protocol.roster import ASSEMBLY_KINDS, ROSTER_KINDS, roster
from protocol.tally import Result, tally
from protocol.witness import Witnesses
from tests.benchmarks import sim_topology, sim_traffic
from tests.benchmarks.sim_flood import NET, Flood, Params
from tests.benchmarks.sim_report import Figures, table, verdict
from tests.benchmarks.sim_traffic import (
    CLOSE_MS,
    DAY_START_MS,
    HOUR_MS,
    NETWORK_WIDE,
    WITNESS_MS,
    World,
    witness_bodies,
)
from tests.benchmarks.sim_witness import WitnessLoad, model

REQUEST_OVERHEAD = 400  # bytes of a signed request's line and headers (PROTOCOL.md §10)


def simulate(
    hubs: int,
    params: Params,
    flood_all: int = 100,
    sample: int = 40,
    hours: float = 24,
    tally_hubs: int = 3,
    log: Callable[[str], None] = lambda _: None,
    lean_s: float | None = None,
    old_rule: bool = False,
) -> list[Figures]:
    """One simulated day: figures under the node's witness rule, then (with `old_rule`)
    under the rule before 2026-12 and (with `lean_s`) the lean one (sim_witness.py),
    from the same day."""
    top = sim_topology.build(hubs)
    world = sim_traffic.setup(top)
    setup_heads = {h.node_id: h.head for h in world.hubs}
    sim_traffic.write_day(world)
    log(f"  {hubs} hubs: {len(world.setup):,} setup and {len(world.day):,} day messages signed")
    rng = random.Random(params.seed)
    if hubs <= flood_all:
        sampled = set(range(hubs))
    else:
        sampled = set(range(4)) | set(rng.sample(range(hubs), min(sample, hubs)))
    index = {h.node_id: h.index for h in world.hubs}
    flood = Flood(top, index, params)
    heads = [(h.node_id, 1, MessageId(bytes(32))) for h in world.hubs[: wire.MAX_HEADS_PAGE]]
    pages = math.ceil(hubs / wire.MAX_HEADS_PAGE)
    flood.heads_page_bytes = pages * (len(wire.encode_heads_page(heads, False)) + REQUEST_OVERHEAD)
    for m in world.setup:
        if index[m.origin] in sampled:
            flood.register(m, held_everywhere=True)
    flooded = [m for m in world.day if index[m.origin] in sampled]
    for m in flooded:
        flood.write(m)
    end_ms = DAY_START_MS + hours * HOUR_MS
    flood.schedule_pulls(DAY_START_MS, end_ms)
    t = time.perf_counter()
    flood.run(min(WITNESS_MS, end_ms))
    witnesses = _final_witnesses(world, flood, sampled, setup_heads)
    world.final_witnesses = witnesses
    for m in witnesses:
        if index[m.origin] in sampled:
            flood.write(m)
            flooded.append(m)
    flood.run(CLOSE_MS)
    viewers = list(range(hubs)) if hubs <= 10 else sorted(rng.sample(range(hubs), tally_hubs))
    views = {h: dict(flood.hubs[h].heads) for h in viewers}
    flood.run(end_ms)
    log(f"  events simulated in {time.perf_counter() - t:.1f} s")
    missing = flood.missing(flooded)

    # The close: the real roster and tally, at each viewing hub from what it held.
    results, tally_ms, roster_ms = [], 0.0, 0.0
    for n, hub in enumerate(viewers):
        r_ms, t_ms, result = _close(world, _held(world, flood, views[hub], sampled, witnesses))
        if n == 0:
            tally_ms, roster_ms = t_ms, r_ms
        results.append(result)
    first = results[0]
    agree = all(
        (r.outcome, r.counts, r.digest) == (first.outcome, first.counts, first.digest)
        for r in results
    )
    out = []
    rules: list[tuple[str, float | None, bool]] = [("", None, False)]
    if old_rule:
        rules.append((", witnesses as before 2026-12", None, True))
    if lean_s is not None:
        rules.append((f", lean witnesses ({lean_s:,.0f} s)", lean_s, False))
    for name, gather_s, every_moved in rules:
        load = model(world, world.day, params.hop_ms, gather_s, every_moved)
        figures = _figures(
            world, flood, flooded, sampled, load, params, results, agree, missing, len(viewers)
        )
        figures.tally_ms, figures.roster_ms = tally_ms, roster_ms
        figures.mode += name
        out.append(figures)
    return out


def _close(world: World, held: list[Message]) -> tuple[float, float, Result]:
    """The real roster and tally from what one hub held at the close, each timed."""
    roster_input = [m for m in held if m.kind in (*ROSTER_KINDS, "network.witness")]
    # CPU time of this process: the figure should not swell because the machine is busy.
    t = time.process_time()
    members = roster(world.network, roster_input).members
    roster_ms = (time.process_time() - t) * 1000
    assembly = [m for m in held if m.kind in ASSEMBLY_KINDS]
    witnesses = Witnesses(world.network, [m for m in held if m.kind == "network.witness"])

    def of(kind: str) -> list[Message]:
        return [m for m in assembly if m.kind == kind]

    assert world.motion is not None
    t = time.process_time()
    result = tally(
        world.motion,
        of("motion.second"),
        of("delegate.mandate"),
        of("delegate.recall"),
        of("delegate.vote"),
        of("delegate.reveal"),
        CLOSE_MS + 1,
        members=members,
        witnesses=witnesses,
    )
    return roster_ms, (time.process_time() - t) * 1000, result


def _final_witnesses(
    world: World, flood: Flood, sampled: set[int], setup_heads: dict[NodeId, Head | None]
) -> list[Message]:
    """Each hub's 20:00 witness, citing what it holds (flooded origins: as simulated)."""
    last: dict[NodeId, Message] = {}
    for m in world.day:
        if not flood.params.selective or m.kind in NETWORK_WIDE:
            last[m.origin] = m
    out = []
    for hub in world.hubs:
        heads: dict[NodeId, Head] = {}
        for other in world.hubs:
            if other.index in sampled:
                key = (other.node_id, NET)
                head = flood.hubs[hub.index].heads.get(key)
                if head is not None:
                    m = flood.logs[key][head.seq - 1]
                    heads[other.node_id] = Head(m.seq, m.id)
            elif other.node_id in last:
                heads[other.node_id] = Head(last[other.node_id].seq, last[other.node_id].id)
            elif setup_heads.get(other.node_id) is not None:
                heads[other.node_id] = setup_heads[other.node_id]  # type: ignore[assignment]
        for body in witness_bodies(world.network, heads):
            out.append(hub.send("network.witness", body, WITNESS_MS))
    return out


def _held(
    world: World,
    flood: Flood,
    view: dict[tuple[NodeId, int], Head],
    sampled: set[int],
    witnesses: list[Message],
) -> list[Message]:
    """What a hub held at the close: setup, the flooded logs up to its heads, and the
    rest of the day's network-wide messages (not flooded: taken as delivered)."""
    index = {h.node_id: h.index for h in world.hubs}
    held = list(world.setup)
    setup_ids = {m.id for m in held}
    for key, head in view.items():
        if key[1] == NET:
            held.extend(m for m in flood.logs[key][: head.seq] if m.id not in setup_ids)
    held.extend(
        m
        for m in (*world.day, *witnesses)
        if index[m.origin] not in sampled and m.kind in NETWORK_WIDE
    )
    return held


def _figures(
    world: World,
    flood: Flood,
    flooded: list[Message],
    sampled: set[int],
    load: WitnessLoad,
    params: Params,
    results: list[Result],
    agree: bool,
    missing: list[tuple[int, Message]],
    viewers: int,
) -> Figures:
    top = world.topology
    n = top.size
    day = [*world.day, *world.final_witnesses]
    sizes = {m.id: len(m.wire) for m in day}
    witness_each = load.bytes / max(load.messages, 1)
    wide = [m for m in day if m.kind in NETWORK_WIDE]
    wide_bytes = sum(sizes[m.id] for m in wide) + load.bytes
    region_bytes = [0] * len(sim_topology.REGIONS)
    region_count = [0] * len(sim_topology.REGIONS)
    for m in day:
        if m.kind not in NETWORK_WIDE:
            r = top.region[world.origin_of(m)]
            region_bytes[r] += sizes[m.id]
            region_count[r] += 1
    all_bytes = sum(sizes.values()) + load.bytes
    all_count = len(day) + load.messages
    stored_b, stored_n, target_b, from_others = [], [], [], []
    own_bytes = [0] * n
    for m in day:
        own_bytes[world.origin_of(m)] += sizes[m.id]
    for hub in range(n):
        r = top.region[hub]
        target = wide_bytes + region_bytes[r]
        mine = all_bytes if not params.selective else target
        stored_b.append(mine)
        stored_n.append(
            all_count if not params.selective else len(wide) + load.messages + region_count[r]
        )
        target_b.append(target)
        own = own_bytes[hub] + load.per_hub[hub] * witness_each
        from_others.append(mine - own)
    weight_all = sum(sizes[m.id] * _audience(flood, top, m) for m in day) + load.bytes * n
    weight_flooded = sum(len(m.wire) * flood.audience.get(m.id, 0) for m in flooded)
    scale = weight_all / weight_flooded
    sent = [(s.sent - s.heads_sent) * scale + s.heads_sent for s in flood.hubs]
    received = [(s.received - s.heads_received) * scale + s.heads_received for s in flood.hubs]
    reach = sorted(flood.reach_ms.values())
    notes = []
    if len(sampled) < n:
        notes.append(
            f"events simulated for the logs of {len(sampled)} of {n} origins "
            f"({len(flooded):,} messages); bytes sent and received scaled ×{scale:,.0f} "
            "to the whole day"
        )
    notes.append(
        f"witnesses modelled: {load.messages:,} in the day ({load.messages / n:,.0f} a hub), "
        f"{load.bytes / 1e6:,.1f} MB in all"
    )
    first = results[0]
    return Figures(
        hubs=n,
        selective=params.selective,
        mode="selective" if params.selective else "full",
        flooded_origins=len(sampled),
        stored_messages=statistics.mean(stored_n),
        witness_messages=load.messages + len(world.final_witnesses),
        witness_bytes=load.bytes + sum(sizes[m.id] for m in world.final_witnesses),
        stored_bytes=statistics.mean(stored_b),
        target_bytes=statistics.mean(target_b),
        sent_bytes=statistics.mean(sent),
        sent_max=max(sent),
        received_bytes=statistics.mean(received),
        received_max=max(received),
        heads_bytes=statistics.mean(s.heads_received for s in flood.hubs),
        short_hubs=sum(1 for r, o in zip(received, from_others, strict=True) if r < o),
        from_others_bytes=statistics.mean(from_others),
        reach_p50_s=_quantile(reach, 0.5) / 1000,
        reach_p99_s=_quantile(reach, 0.99) / 1000,
        tally_ms=0.0,
        roster_ms=0.0,
        tallies_agree=agree,
        tally_hubs=viewers,
        missing=len(missing),
        repaired=sum(s.repaired for s in flood.hubs),
        outcome=f"{first.outcome} {dict(first.counts)}",
        notes=notes,
    )


def _audience(flood: Flood, top: sim_topology.Topology, m: Message) -> int:
    if not flood.params.selective or m.kind in NETWORK_WIDE:
        return top.size
    region = top.region[flood.origin_index[m.origin]]
    return sum(1 for r in top.region if r == region)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hubs", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--selective", action="store_true", help="also model selective replication")
    parser.add_argument("--hop-ms", type=float, default=100.0)
    parser.add_argument("--drop", type=float, default=0.01)
    parser.add_argument("--duplicate", type=float, default=0.01)
    parser.add_argument("--pull-s", type=float, default=300.0)
    parser.add_argument("--sample", type=int, default=40, help="origins flooded above --flood-all")
    parser.add_argument("--flood-all", type=int, default=100, help="flood every origin up to this")
    parser.add_argument(
        "--lean-witness",
        type=float,
        metavar="SECONDS",
        help="also model the lean witness rule, gathering decisions for SECONDS",
    )
    parser.add_argument(
        "--old-witness-rule",
        action="store_true",
        help="also model the witness rule before 2026-12 (cite every head that moved)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        "Each hub's store is modelled in memory (its heads and the messages it holds ahead of "
        "a gap), not SQLite: bytes stored are the messages' envelope bytes."
    )
    results = []
    for hubs in args.hubs:
        for selective in (False, True) if args.selective else (False,):
            params = Params(args.hop_ms, args.drop, args.duplicate, args.pull_s, selective)
            print(
                f"simulating {hubs:,} hubs, {'selective' if selective else 'full'} replication…",
                flush=True,
            )
            results.extend(
                simulate(
                    hubs,
                    params,
                    args.flood_all,
                    args.sample,
                    log=print,
                    lean_s=args.lean_witness,
                    old_rule=args.old_witness_rule,
                )
            )
    print()
    print(table(results))
    print()
    print("\n".join(verdict(results)))
    print(f"(run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
