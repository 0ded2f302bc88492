"""Soak tests: many SIGKILLs, partition rounds, a peer down for long (tests/faults/scale.py).

`make test` runs each a few times; `make faults` runs them at full scale and
prints the figures (docs/RELIABILITY.md records the last run).
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from crypto.ed25519 import SigningKey
from node.federation.invites import parse_invite
from protocol import federation as wire
from protocol.errors import MalformedPayload
from tests.faults import scale
from tests.faults.hostile import PREFIX, Client, admit, joined, node_ids
from tests.faults.test_crashes import (  # noqa: F401 (cleanup is a fixture)
    FakePeer,
    cleanup,
    isolate,
    opened,
    peer_row,
    proxy,
)
from tests.helpers import chain, key_from, wires
from tests.integration.network import FAST, Hub, found_network, free_port, start_hubs, wait_for
from tests.integration.procs import HUBNET

BATCH = 50

# At full scale on a loaded machine, a fake peer's or proxy's server socket (test
# harness, not the node) can be garbage-collected after its event loop ended, and
# its ResourceWarning lands in whichever test runs then; it says nothing about the
# node, whose process is separate.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


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


def served_log(hub: Hub, origin: str) -> list[bytes]:
    """Every envelope `hub` serves from `origin`'s log, read as a peer (only peers may read).

    A 429 or a 503 while the node starts is waited out, as a polite node would.
    """
    client = joined(hub, key_from(102))
    envelopes: list[bytes] = []
    deadline = time.monotonic() + 600
    while True:
        reply = client.signed("GET", f"{PREFIX}/log/{origin}?after={len(envelopes)}")
        if reply.status == 429 and time.monotonic() < deadline:
            time.sleep(1)
            continue
        assert reply.status == 200, str(reply)
        page, more = wire.decode_log_page(reply.body)
        envelopes += page
        if not more or not page:
            return envelopes


def peer_as(key: SigningKey, hub: Hub, our_url: str) -> None:
    """The peering handshake `hubnet peer add` makes, as the node with `key` at `our_url`."""
    invite = parse_invite(hub.peer_cli("invite", "--no-qr").splitlines()[0])
    body = wire.encode_peering(invite.token, our_url, "Soak")
    reply = Client(hub.url, key).signed("POST", f"{PREFIX}/peering", body)
    assert reply.status == 200, str(reply)


class Starting:
    """`hubnet run` for a hub, not waited for, so it can be killed at any moment of start-up.

    `ready` is set once the node prints that it is listening (after its database is
    opened, checked and migrated), so waits are on the node, never fixed sleeps.
    """

    def __init__(self, hub: Hub) -> None:
        self.started = time.monotonic()
        self.ready = threading.Event()
        self.ready_after = 0.0
        where = ["--data-dir", str(hub.data_dir), "--host", "127.0.0.1", "--port", str(hub.port)]
        self.proc = subprocess.Popen(
            [*HUBNET, "run", *where],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **FAST},
        )
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            if "listening on" in line and not self.ready.is_set():
                self.ready_after = time.monotonic() - self.started
                self.ready.set()
        self.proc.stdout.close()

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=20)
        self._reader.join(10)


@pytest.mark.timeout(scale.TIMEOUT)
def test_nodes_killed_at_random_moments_lose_nothing_acknowledged(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    key = key_from(101)
    origin = Client("http://127.0.0.1:1", key).node_id
    # Riverside ingests the pushes and delivers to Northgate; either may be killed.
    a, b = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None), founders=node_ids([key]))
    cleanup += [a, b]
    # The pusher is a founder of the network: its announcements follow its statement.
    [found] = admit([a, b], [key])
    messages = [found, *chain(key, BATCH * (scale.KILLS * 4 + 20) - 1, start=2, prev=found.id)]
    batches = [wires(messages[i : i + BATCH]) for i in range(0, len(messages), BATCH)]
    b.peer_with(a)
    pusher = FakePeer(key).start()  # a peer, so its pushes are not rate-limited
    cleanup.append(pusher)
    peer_as(key, a, pusher.url)

    acknowledged = [0]  # batches Riverside acknowledged, in order
    failed: list[BaseException] = []  # what broke the pusher, re-raised below
    stop = threading.Event()

    def push_all() -> None:
        client = Client(a.url, key, timeout=10)
        while not stop.is_set() and acknowledged[0] < len(batches):
            try:
                reply = client.push(batches[acknowledged[0]])
                results = reply.results if reply.status == 200 else []
            except (OSError, http.client.HTTPException, MalformedPayload):
                # Killed mid-request or mid-answer, or not listening yet: nothing was
                # promised, so the batch is sent again.
                time.sleep(0.05)
                continue
            except BaseException as exc:
                failed.append(exc)
                raise
            statuses = {r.status for r in results}
            if statuses and statuses <= {"stored", "duplicate"}:
                acknowledged[0] += 1
            else:
                time.sleep(0.05)

    def kill_repeatedly(hub: Hub, kills: int, seed: int) -> dict[str, float]:
        """Start `hub` and SIGKILL it `kills` times, each at a random moment."""
        rng = random.Random(seed)
        hub.stop(signal.SIGKILL)
        startup = 2.0  # seconds to readiness, updated from each start measured
        during_startup = 0
        for n in range(kills):
            node = Starting(hub)
            cleanup.append(node)
            if rng.random() < 0.5:
                # Anywhere in start-up: loading keys, opening and checking the
                # database, starting verifier workers, binding the port.
                time.sleep(rng.uniform(0, startup))
                during_startup += not node.ready.is_set()
            else:
                assert node.ready.wait(120), f"{hub.name} did not start:\n{''.join(node.output)}"
                startup = node.ready_after
                time.sleep(rng.uniform(0.05, 0.8))  # a random moment in ingest and delivery
            promised = acknowledged[0] * BATCH
            node.stop(signal.SIGKILL)
            cleanup.remove(node)
            assert integrity(hub) == "ok", f"after kill {n + 1} of {hub.name}"
            if hub is a:
                assert head_seq(a, origin) >= promised, f"kill {n + 1} lost acknowledged messages"
        hub.start()
        return {"kills": kills, "during_startup": during_startup, "startup_s": startup}

    thread = threading.Thread(target=push_all, daemon=True)
    thread.start()
    # Every kill must have something to lose: on a loaded machine all four kills
    # could otherwise come before the first batch was acknowledged.
    wait_for("Riverside to acknowledge a first batch", lambda: acknowledged[0] > 0 or bool(failed))
    try:
        # Both hubs are killed over and over at once, so each restart overlaps the other's.
        with ThreadPoolExecutor(2) as pool:
            futures = [
                pool.submit(kill_repeatedly, a, scale.KILLS - scale.KILLS // 2, 20240501),
                pool.submit(kill_repeatedly, b, scale.KILLS // 2, 20240502),
            ]
            done = [future.result() for future in futures]
    finally:
        stop.set()
        thread.join(30)
    if failed:
        raise failed[0]
    total = acknowledged[0] * BATCH
    assert total > 0, "nothing was acknowledged between the kills"
    wait_for(
        "Northgate to hold all Riverside acknowledged",
        lambda: head_seq(b, origin) >= total,
        timeout=600,
    )
    held_a, held_b = served_log(a, origin), served_log(b, origin)
    assert held_a[:total] == held_b[:total] == wires(messages[:total])
    assert integrity(a) == integrity(b) == "ok"
    scale.report(
        "SIGKILL during ingest and delivery",
        started,
        kills=sum(int(d["kills"]) for d in done),
        kills_during_startup=sum(int(d["during_startup"]) for d in done),
        messages_acknowledged=total,
        messages_lost=0,
        integrity_checks_ok=scale.KILLS + 2,
        seconds_to_ready=round(max(d["startup_s"] for d in done), 1),
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
    lookers = joined(a, key_from(103)), joined(b, key_from(103))
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
            heads = lookers[0].get_heads(), lookers[1].get_heads()
            # And each hub's profile and founding statement.
            return heads[0] == heads[1] and sum(seq for seq, _ in heads[0].values()) == written + 4

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
    hub = Hub(tmp_path, "Riverside")
    found_network([hub])  # a hub relays only its network's members' messages, its own too
    hub.start()
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
    # Seq 1 is the hub's profile, seq 2 its founding statement, made before the peer
    # existed (peers pull them).
    assert joined(hub, key_from(105)).log(hub.node_id)[2:] == delivered
    scale.report(
        "peer down for long, then back",
        started,
        seconds_down=round(scale.DOWN_SECONDS),
        messages_queued=scale.DOWN_MESSAGES,
        delivered_exactly_once=len(delivered),
        duplicates=0,
    )
