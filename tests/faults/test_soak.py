"""Soak tests: many SIGKILLs, partition rounds, a peer down for long (tests/faults/scale.py).

`make test` runs each a few times; `make faults` runs them at full scale and
prints the figures (docs/RELIABILITY.md records the last run).
"""

from __future__ import annotations

import http.client
import random
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from crypto.ed25519 import SigningKey
from node.federation.invites import parse_invite
from protocol import federation as wire
from tests.faults import scale
from tests.faults.hostile import PREFIX, Client
from tests.faults.test_crashes import (  # noqa: F401 (cleanup is a fixture)
    FakePeer,
    cleanup,
    isolate,
    opened,
    peer_row,
    proxy,
)
from tests.helpers import chain, key_from, wires
from tests.integration.network import Hub, free_port, start_hubs, wait_for

BATCH = 50


def integrity(hub: Hub) -> str:
    conn = sqlite3.connect(f"file:{hub.data_dir / 'hubnet.db'}?mode=ro", uri=True)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def head_seq(hub: Hub, origin: str) -> int:
    conn = sqlite3.connect(f"file:{hub.data_dir / 'hubnet.db'}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT head_seq FROM origins WHERE origin = ?", (origin,)).fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


def peer_as(key: SigningKey, hub: Hub, our_url: str) -> None:
    """The peering handshake `hubnet peer add` makes, as the node with `key` at `our_url`."""
    invite = parse_invite(hub.peer_cli("invite", "--no-qr").splitlines()[0])
    body = wire.encode_peering(invite.token, our_url, "Soak")
    reply = Client(hub.url, key).signed("POST", f"{PREFIX}/peering", body)
    assert reply.status == 200, str(reply)


@pytest.mark.timeout(scale.TIMEOUT)
def test_nodes_killed_at_random_moments_lose_nothing_acknowledged(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    rng = random.Random(20240501)
    key = key_from(101)
    origin = Client("http://127.0.0.1:1", key).node_id
    messages = chain(key, BATCH * (scale.KILLS * 6 + 20))
    batches = [wires(messages[i : i + BATCH]) for i in range(0, len(messages), BATCH)]
    # Riverside ingests the pushes and delivers to Northgate; either may be killed.
    a, b = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None))
    cleanup += [a, b]
    b.peer_with(a)
    pusher = FakePeer(key).start()  # a peer, so its pushes are not rate-limited
    cleanup.append(pusher)
    peer_as(key, a, pusher.url)

    acknowledged = [0]  # batches Riverside acknowledged, in order
    stop = threading.Event()

    def push_all() -> None:
        client = Client(a.url, key, timeout=10)
        while not stop.is_set() and acknowledged[0] < len(batches):
            try:
                reply = client.push(batches[acknowledged[0]])
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)  # killed mid-request, or not listening yet
                continue
            statuses = {r.status for r in reply.results} if reply.status == 200 else set()
            if statuses and statuses <= {"stored", "duplicate"}:
                acknowledged[0] += 1
            else:
                time.sleep(0.05)

    thread = threading.Thread(target=push_all, daemon=True)
    thread.start()
    kills = {"Riverside": 0, "Northgate": 0}
    try:
        for n in range(scale.KILLS):
            victim = a if n % 2 == 0 else b
            time.sleep(rng.uniform(0.05, 0.8))  # a random moment in ingest and delivery
            promised = acknowledged[0] * BATCH
            victim.stop(signal.SIGKILL)
            kills[victim.name] += 1
            assert integrity(victim) == "ok", f"after kill {n + 1} of {victim.name}"
            if victim is a:
                assert head_seq(a, origin) >= promised, f"kill {n + 1} lost acknowledged messages"
            victim.start()
    finally:
        stop.set()
        thread.join(30)
    total = acknowledged[0] * BATCH
    assert total > 0, "nothing was acknowledged between the kills"
    wait_for("Northgate to hold all Riverside acknowledged", lambda: head_seq(b, origin) >= total)
    looker = key_from(102)
    held_a, held_b = Client(a.url, looker).log(origin), Client(b.url, looker).log(origin)
    assert held_a[:total] == held_b[:total] == wires(messages[:total])
    assert integrity(a) == integrity(b) == "ok"
    scale.report(
        "SIGKILL during ingest and delivery",
        started,
        kills=sum(kills.values()),
        messages_acknowledged=total,
        messages_lost=0,
        integrity_checks_ok=scale.KILLS + 2,
    )


@pytest.mark.timeout(scale.TIMEOUT)
def test_partitioned_hubs_converge_after_every_round(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    ports = free_port(), free_port()
    a, b = start_hubs(
        tmp_path,
        ("Riverside", f"http://127.0.0.1:{ports[0]}"),
        ("Northgate", f"http://127.0.0.1:{ports[1]}"),
    )
    cleanup += [a, b]
    to_a, to_b = proxy(a.port, listen_port=ports[0]), proxy(b.port, listen_port=ports[1])
    cleanup += [to_a, to_b]
    b.peer_with(a)
    looker = key_from(103)
    written = 0
    for round_ in range(scale.PARTITION_ROUNDS):
        isolate(to_a, to_b)
        a.announce_many([f"Riverside round {round_} news {i}" for i in range(3)])
        b.announce_many([f"Northgate round {round_} news {i}" for i in range(3)])
        written += 6
        wait_for(
            "each side to fail to reach the other",
            lambda: peer_row(a, b.node_id)["state"] == peer_row(b, a.node_id)["state"] == "failing",
        )
        to_a.pass_through()
        to_b.pass_through()

        def healed(written: int = written) -> bool:
            heads = Client(a.url, looker).get_heads(), Client(b.url, looker).get_heads()
            return heads[0] == heads[1] and sum(seq for seq, _ in heads[0].values()) == written + 2

        wait_for(f"round {round_ + 1} to converge", healed)
    assert sorted(a.texts()) == sorted(b.texts()) and len(a.texts()) == written
    scale.report(
        "partition and heal",
        started,
        rounds=scale.PARTITION_ROUNDS,
        messages_written=written,
        heads_identical_after_each=True,
    )


@pytest.mark.timeout(scale.TIMEOUT)
def test_peer_down_for_long_gets_everything_exactly_once(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    hub = Hub(tmp_path, "Riverside").start()
    cleanup.append(hub)
    fake = FakePeer(key_from(104)).start()
    cleanup.append(fake)
    to_fake = proxy(fake.port)
    cleanup.append(to_fake)
    peer_as(fake.key, hub, to_fake.url)

    isolate(to_fake)
    down_at = time.monotonic()
    texts = [f"news {i}" for i in range(scale.DOWN_MESSAGES)]
    hub.announce_many(texts)
    wait_for("the peer to be found down", lambda: peer_row(hub, fake.node_id)["state"] == "failing")
    time.sleep(max(0.0, scale.DOWN_SECONDS - (time.monotonic() - down_at)))
    assert fake.delivered() == [], "something was delivered while the peer was down"
    to_fake.pass_through()
    wait_for(
        "the backlog to be delivered",
        lambda: len(fake.delivered()) >= scale.DOWN_MESSAGES,
        timeout=120,
    )
    wait_for("the outbox to drain", lambda: peer_row(hub, fake.node_id)["outbox"] == "0")
    delivered = fake.delivered()
    assert len(delivered) == len(set(delivered)) == scale.DOWN_MESSAGES, "a duplicate"
    assert [opened(e).body.text for e in delivered] == texts
    # seq 1 is the hub's profile, made before the peer existed (peers pull it).
    assert Client(hub.url, key_from(105)).log(hub.node_id)[1:] == delivered
    scale.report(
        "peer down for long, then back",
        started,
        seconds_down=round(scale.DOWN_SECONDS),
        messages_queued=scale.DOWN_MESSAGES,
        delivered_exactly_once=len(delivered),
        duplicates=0,
    )
