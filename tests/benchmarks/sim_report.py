"""The simulation's figures for one run, and the tables and verdict printed from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Figures:
    hubs: int
    selective: bool
    mode: str  # full or selective replication, and which witness rule
    flooded_origins: int
    stored_messages: float  # per hub, the day's
    witness_messages: float  # of which witnesses, the modelled ones and the 20:00 ones
    witness_bytes: float
    stored_bytes: float
    target_bytes: float  # own region's messages plus every network-wide one
    sent_bytes: float
    sent_max: float
    received_bytes: float
    received_max: float
    heads_bytes: float  # of received: heads pages
    from_others_bytes: float  # stored bytes that came from other hubs
    short_hubs: int  # hubs that received fewer bytes than they stored from others
    reach_p50_s: float
    reach_p99_s: float
    tally_ms: float
    roster_ms: float
    tallies_agree: bool
    tally_hubs: int
    missing: int  # (hub, message) pairs not delivered by the end of the day
    repaired: int  # messages hubs got by pull
    outcome: str
    notes: list[str] = field(default_factory=list)


ROWS: list[tuple[str, Callable[[Figures], float], str]] = [
    ("messages stored per hub per day", lambda f: f.stored_messages, "n"),
    ("  of which witnesses (all hubs')", lambda f: f.witness_messages, "n"),
    ("bytes stored per hub per day", lambda f: f.stored_bytes, "B"),
    ("  of which witnesses", lambda f: f.witness_bytes, "B"),
    ("  target: own region + network-wide kinds", lambda f: f.target_bytes, "B"),
    ("bytes sent per hub per day (mean)", lambda f: f.sent_bytes, "B"),
    ("bytes sent per hub per day (busiest hub)", lambda f: f.sent_max, "B"),
    ("bytes received per hub per day (mean)", lambda f: f.received_bytes, "B"),
    ("  of which heads pages (pull every 300 s)", lambda f: f.heads_bytes, "B"),
    ("time to reach 99 % of hubs, p50 (s)", lambda f: f.reach_p50_s, "s"),
    ("time to reach 99 % of hubs, p99 (s)", lambda f: f.reach_p99_s, "s"),
    ("tally at the close (ms of CPU, measured)", lambda f: f.tally_ms, "ms"),
    ("roster (ms of CPU, measured)", lambda f: f.roster_ms, "ms"),
]


def _show(value: float, unit: str) -> str:
    if unit == "B":
        for limit, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if value >= limit:
                return f"{value / limit:,.1f} {suffix}"
        return f"{value:,.0f} B"
    if unit == "n":
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value:,.2f}"
    return f"{value:,.1f}"


def _markdown(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def table(results: list[Figures]) -> str:
    """One table per network size, a column per mode; then the growth from 100 to 1,000."""
    out = []
    sizes = sorted({f.hubs for f in results})
    for hubs in sizes:
        runs = [f for f in results if f.hubs == hubs]
        rows = [[f"{hubs:,} hubs", *(f.mode for f in runs)]]
        rows += [[name, *(_show(get(f), unit) for f in runs)] for name, get, unit in ROWS]
        out.append(_markdown(rows))
    pairs = [
        (f, g) for f in results for g in results if (f.hubs, g.hubs, f.mode) == (100, 1000, g.mode)
    ]
    if pairs:
        rows = [["growth, 100 → 1,000 hubs (×)", *(f.mode for f, _ in pairs)]]
        rows += [
            [name, *(f"{get(b) / get(a):,.1f}" if get(a) else "" for a, b in pairs)]
            for name, get, _ in ROWS
        ]
        out.append(_markdown(rows))
    return "\n\n".join(out)


def verdict(results: list[Figures]) -> list[str]:
    """The issue's two targets, checked against the figures."""
    out = []
    for f in results:
        out.append(
            f"{f.hubs:,} hubs, {f.mode}: stores {f.stored_bytes / f.target_bytes:,.2f}× its target "
            f"(own region + network-wide kinds); 99 % reached in {f.reach_p99_s:,.2f} s at p99 "
            f"(target < 10 s); tallies {'agree' if f.tallies_agree else 'DIFFER'} at "
            f"{f.tally_hubs} hubs ({f.outcome}); {f.missing} deliveries missing at the end, "
            f"{f.repaired:,} messages came by pull"
        )
        out.extend(f"    {note}" for note in f.notes)
    return out
