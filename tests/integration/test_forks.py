"""Forks on real node processes: proof shared, organisers told, an honest hub's way back.

PROTOCOL.md §6.1-§6.2; docs/OPERATIONS.md, "Backups and restore".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.network import Hub, start_hubs, wait_for
from tests.integration.procs import run_cli


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Hub, Hub, Hub]]:
    """Riverside - Northgate - Hillfield: Hillfield hears Riverside only through Northgate."""
    hubs = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None), ("Hillfield", None))
    v, r1, r2 = hubs
    r1.peer_with(v)
    r2.peer_with(r1)
    yield v, r1, r2
    for hub in hubs:
        hub.stop()


def hubnet(*args: str | Path) -> str:
    result = run_cli(*(str(a) for a in args))
    assert result.returncode == 0, f"hubnet {' '.join(map(str, args))}: {result.stderr}"
    return result.stdout


def forked_at(hub: Hub, origin: str) -> bool:
    return origin in hub.cli("forks")


def doctor(hub: Hub) -> str:
    result = run_cli("doctor", "--data-dir", str(hub.data_dir), "--offline")
    return result.stdout


def test_an_honest_hub_that_forked_is_quarantined_everywhere_and_recovers(
    line: tuple[Hub, Hub, Hub], tmp_path: Path
) -> None:
    v, r1, r2 = line
    offline = tmp_path / "usb-stick"
    offline.mkdir()
    v.stop()
    hubnet("key", "commit", "--data-dir", v.data_dir, "--successor-out", offline / "s1.key")
    v.start()
    v.announce("before the backup")
    backup = tmp_path / "riverside.tar.gz"
    hubnet("backup", "--data-dir", v.data_dir, backup)
    v.announce("lost 1")
    v.announce("lost 2")
    wait_for("Hillfield to hear Riverside through Northgate", lambda: "lost 2" in r2.texts())

    # The machine dies; an old backup is restored and, wrongly, made to write at once.
    v.stop()
    v.data_dir = tmp_path / "new-machine" / "riverside"
    hubnet("restore", "--data-dir", v.data_dir, backup)
    hubnet("recovery", "finish", "--data-dir", v.data_dir)
    v.announce("from the stale backup")
    v.start()

    # Northgate meets both messages; Hillfield has only Northgate's fork.proof, and
    # checks the two messages it fetches before it quarantines Riverside too.
    wait_for("Northgate to quarantine Riverside", lambda: forked_at(r1, v.node_id))
    wait_for("Hillfield to check the proof", lambda: forked_at(r2, v.node_id), timeout=60)
    assert "from the stale backup" not in r2.texts()
    # Riverside's organisers are told, by Riverside itself.
    wait_for("Riverside to hear of its own fork", lambda: "own log" in doctor(v), timeout=60)
    assert "hubnet fork resolve" in doctor(v)

    # The way back: the organisers keep the branch the node holds.
    v.stop()
    out = hubnet(
        "fork", "resolve", "--data-dir", v.data_dir, "--reason", "restored an old backup",
        "--successor-key", offline / "s1.key", "--successor-out", offline / "s2.key",
    )  # fmt: skip
    assert "Resolved the fork" in out
    v.start()
    wait_for("Northgate to lift the quarantine", lambda: not forked_at(r1, v.node_id), timeout=60)
    wait_for("Hillfield to lift the quarantine", lambda: not forked_at(r2, v.node_id), timeout=60)
    v.announce("back in the network")
    wait_for("Hillfield to hear Riverside again", lambda: "back in the network" in r2.texts())
    texts = r2.texts()
    assert "from the stale backup" in texts and "lost 1" not in texts
    assert "own log is not forked" in doctor(v)
    assert "restored an old backup" in r1.cli(
        "log", "--origin", v.node_id, "--kind", "fork.resolve"
    )
