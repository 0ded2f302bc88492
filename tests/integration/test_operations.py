"""Operations on real node processes: backup and restore, keys, metrics, the doctor."""

from __future__ import annotations

import asyncio
import json
import re
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from node.clock import system_clock
from node.doctor import Level, diagnose
from tests.integration.network import Hub, start_hubs, wait_for
from tests.integration.procs import run_cli


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    a, b = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None))
    b.peer_with(a)
    yield a, b
    a.stop()
    b.stop()


def hubnet(*args: str | Path) -> str:
    result = run_cli(*(str(a) for a in args))
    assert result.returncode == 0, f"hubnet {' '.join(map(str, args))}: {result.stderr}"
    return result.stdout


def own_seqs(hub: Hub, origin: str) -> list[int]:
    out = hub.cli("log", "--origin", origin, "--limit", "100000")
    return [int(line.split("#")[1].split()[0]) for line in out.splitlines()]


def settled(hub: Hub) -> bool:
    """Whether the hub's own log has stopped growing: the same for two seconds.

    A running node may add a `network.witness` a moment after another process writes
    a decision to its log (PROTOCOL.md §14.4); the counts below are read once it is
    quiet, whatever it wrote.
    """
    before = own_seqs(hub, hub.node_id)
    time.sleep(2)
    return own_seqs(hub, hub.node_id) == before


def seq_of(hub: Hub, origin: str, text: str) -> int:
    out = hub.cli("log", "--origin", origin, "--kind", "announcement", "--limit", "100000")
    [line] = [line for line in out.splitlines() if text in line]
    return int(line.split("#")[1].split()[0])


def metrics(hub: Hub, headers: dict[str, str] | None = None) -> dict[str, float]:
    request = urllib.request.Request(hub.url + "/metrics", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return {
        sample.name + json.dumps(sample.labels, sort_keys=True): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_restored_node_catches_up_before_writing_and_never_forks(
    pair: tuple[Hub, Hub], tmp_path: Path
) -> None:
    a, b = pair
    backup = tmp_path / "riverside.tar.gz"
    # Back up while the node and a writer in another process are both writing.
    writer = threading.Thread(target=a.announce_many, args=([f"during {i}" for i in range(40)],))
    writer.start()
    hubnet("backup", "--data-dir", a.data_dir, backup)
    writer.join()
    a.announce_many([f"after backup {i}" for i in range(10)])
    wait_for("Riverside's own log to be quiet", lambda: settled(a))
    published = own_seqs(a, a.node_id)
    assert published == list(range(1, len(published) + 1))
    wait_for(
        "Northgate to hold all of Riverside's log", lambda: own_seqs(b, a.node_id) == published
    )
    with tarfile.open(backup) as tar:
        member = tar.extractfile("backup.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert manifest["own_seq"] < seq_of(a, a.node_id, "after backup 9")  # misses what came after

    # The machine dies; the backup is restored on a new one, at the same address.
    a.stop()
    a.data_dir = tmp_path / "new-machine" / "riverside"
    out = hubnet("restore", "--data-dir", a.data_dir, backup)
    assert "recovering" in out
    refused = run_cli("announce", "--data-dir", str(a.data_dir), "too early")
    assert refused.returncode == 1
    assert "restored from a backup" in refused.stderr
    assert own_seqs(a, a.node_id) == list(range(1, manifest["own_seq"] + 1))

    a.start()
    wait_for(
        "the restored node to fetch its own log back",
        lambda: metrics(a)["hubnet_recovering{}"] == 0,
        timeout=60,
    )
    assert own_seqs(a, a.node_id)[: len(published)] == published
    a.announce("Back on new hardware")
    wait_for("Northgate to hear the restored node", lambda: "Back on new hardware" in b.texts())
    # The first seq after everything it had published: none reused, none skipped.
    assert seq_of(b, a.node_id, "Back on new hardware") == len(published) + 1
    seqs = own_seqs(b, a.node_id)
    assert seqs == list(range(1, len(seqs) + 1))
    assert "No origin has signed two histories." in b.cli("forks")


def test_metrics_parse_and_count_messages_as_they_arrive(pair: tuple[Hub, Hub]) -> None:
    a, b = pair
    stored = 'hubnet_messages_received_total{"outcome": "stored"}'
    wait_for("the peers' profiles to arrive", lambda: metrics(b).get(stored, 0) >= 1)
    before = metrics(b)[stored]
    a.announce_many(["one", "two", "three"])
    wait_for("three more stored messages", lambda: metrics(b).get(stored, 0) >= before + 3)
    seen = metrics(a)
    assert f'hubnet_outbox_depth{{"peer": "{b.node_id}"}}' in seen
    assert seen['hubnet_members{"status": "active"}'] == 1
    assert any(k.startswith("hubnet_http_request_duration_seconds_count") for k in seen)
    # Through a reverse proxy (which also connects from loopback) without the token: refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        metrics(a, {"X-Forwarded-For": "203.0.113.9"})
    assert refused.value.code == 403
    refused.value.close()  # it holds the response's socket


def test_doctor_reports_a_readable_key_and_a_skewed_clock(pair: tuple[Hub, Hub]) -> None:
    a, _ = pair
    healthy = run_cli("doctor", "--data-dir", str(a.data_dir))
    assert healthy.returncode == 0, healthy.stdout
    assert "0 to fix" in healthy.stdout

    (a.data_dir / "node.key").chmod(0o644)
    broken = run_cli("doctor", "--data-dir", str(a.data_dir), "--offline")
    assert broken.returncode == 1
    assert "other users of this machine can read the key" in broken.stdout
    assert f"fix: chmod 600 {a.data_dir / 'node.key'}" in broken.stdout
    (a.data_dir / "node.key").chmod(0o600)

    # This machine's clock two minutes fast, against the running peer's.
    findings = asyncio.run(diagnose(a.data_dir, clock=lambda: system_clock() + 120_000))
    skew = [f for f in findings if "clock" in f.what]
    assert skew and skew[0].level is Level.FAIL
    assert "ahead of peer" in skew[0].what and "timedatectl set-ntp true" in skew[0].fix


def test_peer_follows_rotation_and_revocation(pair: tuple[Hub, Hub], tmp_path: Path) -> None:
    a, b = pair
    offline = tmp_path / "usb-stick"
    offline.mkdir()
    a.stop()
    hubnet("key", "commit", "--data-dir", a.data_dir, "--successor-out", offline / "s1.key")
    hubnet(
        "key", "rotate", "--data-dir", a.data_dir,
        "--successor-key", offline / "s1.key", "--successor-out", offline / "s2.key",
    )  # fmt: skip
    a.start()
    a.announce("Signed with the rotated key")
    wait_for("Northgate to follow the rotation", lambda: "Signed with the rotated key" in b.texts())

    # The key is stolen: the organisers revoke it with the successor kept offline.
    a.stop()
    hubnet(
        "key", "revoke", "--data-dir", a.data_dir, "--reason", "laptop stolen",
        "--successor-key", offline / "s2.key", "--successor-out", offline / "s3.key",
    )  # fmt: skip
    a.start()
    a.announce("Signed with the successor key")
    wait_for(
        "Northgate to follow the revocation", lambda: "Signed with the successor key" in b.texts()
    )
    assert "laptop stolen" in b.cli("log", "--origin", a.node_id, "--kind", "key.revoke")
    assert hubnet("id", "--data-dir", a.data_dir).strip() == a.node_id


def test_new_node_catches_up_with_progress(pair: tuple[Hub, Hub], tmp_path: Path) -> None:
    a, b = pair
    wait_for("Riverside to hold Northgate's profile", lambda: b.node_id[:12] in a.cli("log"))
    a.announce_many([f"history {i}" for i in range(30)])
    wait_for("Riverside's own log to be quiet", lambda: settled(a))
    held = a.cli("log", "--limit", "100000").splitlines()  # a's log and b's
    newcomer = Hub(tmp_path, "Hillfield")  # initialised, not started
    newcomer.peer_with(a)  # it asks to join: the two members' messages are for it to store
    result = run_cli("catch-up", "--data-dir", str(newcomer.data_dir))
    assert result.returncode == 0, result.stderr
    assert f"Stored {len(held)} messages from 1 of 1 peers." in result.stdout
    n = len(held)
    assert re.search(rf"^catch-up: {n}/{n} messages \(\d+/s\), done$", result.stderr, re.M)
    assert len(newcomer.texts()) == 30
    assert set(held) <= set(newcomer.cli("log", "--limit", "100000").splitlines())
