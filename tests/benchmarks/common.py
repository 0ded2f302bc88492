"""What every benchmark shares: signed test messages, the crypto ceilings, the table."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.ed25519 import SigningKey, verify
from protocol.envelope import MessageId, create_message
from protocol.kinds.hub import Announcement
from protocol.kinds.network import NetworkFound

T0 = 1_763_000_000_000


def rate(count: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def best_rate(count: int, fn: Callable[[], object], repeats: int = 3) -> float:
    """The best of a few runs: a ceiling should not sag because a neighbour was busy."""
    return max(rate(count, fn) for _ in range(repeats))


def origin_keys(origins: int) -> list[SigningKey]:
    """The keys `make_messages` signs with, one per origin."""
    return [SigningKey(i.to_bytes(4, "big") * 8) for i in range(1, origins + 1)]


def make_messages(
    origins: int, per_origin: int, statement: NetworkFound | None = None
) -> list[bytes]:
    """Signed announcements, round-robin across origins, as a busy network sends them.

    Message i is seq i // origins + 1 of origin i % origins. With a founding
    `statement` naming the origins, each origin's seq 1 is its `network.found` of it
    (it is then a member of that network, PROTOCOL.md §14.1) and announcements follow.
    """
    keys = origin_keys(origins)
    prevs: list[MessageId | None] = [None] * origins
    out = []
    for seq in range(1, per_origin + 1):
        for i, key in enumerate(keys):
            text = f"Public meeting about the library closure, week {seq}, hub {i}."
            kind = "announcement"
            body: Announcement | NetworkFound = Announcement(text=text)
            if seq == 1 and statement is not None:
                kind, body = "network.found", statement
            message = create_message(key, kind, body, seq, prevs[i], T0)
            prevs[i] = message.id
            out.append(message.wire)
    return out


# -- crypto ceilings ------------------------------------------------------------------

_samples: tuple[bytes, list[bytes], list[bytes]] | None = None


def _init_worker(pub: bytes, samples: list[bytes], sigs: list[bytes]) -> None:
    global _samples
    _samples = (pub, samples, sigs)


def _verify_part(part: range) -> int:
    assert _samples is not None
    pub, samples, sigs = _samples
    for i in part:
        verify(pub, samples[i], sigs[i])
    return len(part)


def crypto_rates(samples: list[bytes]) -> dict[str, float]:
    """Verify and sign rates: one core, one thread per core, and one process per core.

    The process figure is the machine's all-core ceiling: processes share no GIL,
    so it is what the cores can verify whatever a Python program does around it.
    """
    key = SigningKey(bytes(range(32)))
    sigs = [key.sign(m) for m in samples]
    pub = key.public_key
    n = len(samples)

    def verify_all(part: range) -> None:
        for i in part:
            verify(pub, samples[i], sigs[i])

    single = best_rate(n, lambda: verify_all(range(n)))
    cores = os.cpu_count() or 1
    parts = [range(i, n, cores) for i in range(cores)]
    with ThreadPoolExecutor(cores) as pool:
        threads = best_rate(n, lambda: list(pool.map(verify_all, parts)))
    processes = _all_cores(pub, samples, sigs)
    ossl = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
    openssl = rate(n, lambda: [ossl.verify(s, m) for m, s in zip(samples, sigs, strict=True)])
    sign = rate(n, lambda: [key.sign(m) for m in samples])
    return {
        "single": single,
        "threads": threads,
        "all": max(processes, threads),
        "processes": processes,
        "openssl": openssl,
        "sign": sign,
    }


def all_core_verify_rate(samples: list[bytes]) -> float:
    """The machine's all-core Ed25519 ceiling now (one process per core), for a row to
    be measured against beside it rather than against the figure at the start."""
    key = SigningKey(bytes(range(32)))
    return _all_cores(key.public_key, samples, [key.sign(m) for m in samples])


def _all_cores(pub: bytes, samples: list[bytes], sigs: list[bytes]) -> float:
    cores = os.cpu_count() or 1
    parts = [range(i, len(samples), cores) for i in range(cores)]
    with ProcessPoolExecutor(cores, initializer=_init_worker, initargs=(pub, samples, sigs)) as pp:
        list(pp.map(_verify_part, [range(10)] * cores))  # start every worker first
        return best_rate(len(samples), lambda: list(pp.map(_verify_part, parts)))


# -- the table ----------------------------------------------------------------------

_FORMATS = {
    "/s": "{:,.0f}",
    "req/s": "{:,.0f}",
    "calls/s": "{:,.0f}",
    "µs/msg": "{:,.0f}",
    "µs/call": "{:,.2f}",
    "s": "{:,.2f}",
    "ms": "{:,.1f}",
    "MB": "{:,.1f}",
}


class Row(NamedTuple):
    what: str
    value: str
    single: str
    all_cores: str
    target: str


class Table:
    """Rows of figures; a rate is shown as a ratio to one core's and all cores' verify rate."""

    def __init__(self, single: float, all_cores: float) -> None:
        self.single = single
        self.all_cores = all_cores
        self.rows: list[Row] = []
        self.misses: list[str] = []

    def add(
        self,
        what: str,
        value: float,
        unit: str = "/s",
        target: str = "",
        met: bool | None = None,
    ) -> None:
        """Add a row; `met` False names the row in the below-target line."""
        shown = f"{_FORMATS.get(unit, '{:,.2f}').format(value)} {unit}"
        single = f"{value / self.single:.2f}" if unit == "/s" else ""
        all_cores = f"{value / self.all_cores:.2f}" if unit == "/s" else ""
        self.rows.append(Row(what, shown, single, all_cores, target))
        if met is False:
            self.misses.append(f"{what.strip()} ({shown}; target {target})")

    def failed(self, what: str, reason: str) -> None:
        """A row for a measurement that could not be made, named below the table too."""
        self.rows.append(Row(what, f"FAILED: {reason}"[:160], "", "", ""))
        self.misses.append(f"{what} (failed)")

    def print(self) -> None:
        header = Row("measure", "value", "× verify (1 core)", "× verify (all cores)", "target")
        table = [header, *self.rows]
        widths = [max(len(r[i]) for r in table) for i in range(5)]
        for index, row in enumerate(table):
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
            if index == 0:
                print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
