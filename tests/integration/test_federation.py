"""Federation between real node processes on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.network import Hub, start_hubs, wait_for


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Hub, Hub, Hub]]:
    """Riverside - Northgate - Hillfield, peered in a line and running."""
    hubs = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None), ("Hillfield", None))
    a, b, c = hubs
    b.peer_with(a)
    c.peer_with(b)
    yield a, b, c
    for hub in hubs:
        hub.stop()


def test_message_reaches_a_hub_it_is_not_peered_with(line: tuple[Hub, Hub, Hub]) -> None:
    a, b, c = line
    a.announce("Public meeting on Thursday")
    wait_for("Hillfield to hear Riverside", lambda: "Public meeting on Thursday" in c.texts())
    assert b.texts() == ["Public meeting on Thursday"]


def test_peering_shows_on_both_sides(line: tuple[Hub, Hub, Hub]) -> None:
    a, b, _ = line
    assert b.node_id in a.peer_cli("list") and a.node_id in b.peer_cli("list")


def test_peer_down_for_a_while_gets_everything_once(line: tuple[Hub, Hub, Hub]) -> None:
    a, b, c = line
    c.stop()
    a.announce_many([f"news {i}" for i in range(25)])
    wait_for("Northgate to have the news", lambda: len(b.texts()) == 25)
    assert "failing" in b.peer_cli("list") or "0" in b.peer_cli("list")
    c.start()
    expected = [f"news {i}" for i in range(25)]
    wait_for("Hillfield to catch up", lambda: c.texts() == expected)
    wait_for("Northgate's outbox to empty", lambda: _outbox_empty(b))
    assert c.texts() == expected  # exactly once, in order


def _outbox_empty(hub: Hub) -> bool:
    rows = hub.peer_cli("list").splitlines()[1:]
    return all(row.split()[-1] == "0" or " 0 " in row for row in rows)


def test_blocked_origin_arriving_through_a_third_node_is_dropped(
    line: tuple[Hub, Hub, Hub],
) -> None:
    a, b, c = line
    c.cli("block-origin", a.node_id, "--reason", "spam")
    a.announce("unwanted")
    wait_for("Northgate to have it", lambda: "unwanted" in b.texts())
    b.announce("from Northgate")
    wait_for("Hillfield to hear Northgate", lambda: "from Northgate" in c.texts())
    assert "unwanted" not in c.texts()
    c.cli("unblock-origin", a.node_id)
    wait_for("pull to bring the unblocked origin", lambda: "unwanted" in c.texts())


def test_resource_file_is_fetched_through_the_network_and_checked(
    line: tuple[Hub, Hub, Hub], tmp_path: Path
) -> None:
    a, _, c = line
    leaflet = tmp_path / "leaflet.pdf"
    leaflet.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 100)
    out = a.cli("resource", "add", str(leaflet), "--title", "Save the library leaflet")
    digest = out.split("as resource ")[1].split()[0]
    stored = c.data_dir / "files" / digest
    wait_for("Hillfield to fetch the file", stored.exists)
    assert stored.read_bytes() == leaflet.read_bytes()


def test_fork_is_listed_for_organisers(line: tuple[Hub, Hub, Hub]) -> None:
    _, b, _ = line
    assert "No origin has signed two histories" in b.cli("forks")


# A script that publishes resource messages naming files this hub does not hold (as a
# stranger could), in one process: no peer can ever give them.
_NAME_MISSING_FILES = """
import asyncio, sys
from pathlib import Path
from node import config
from node.node import Node
from protocol.kinds.hub import Resource

async def main(data_dir, count):
    node = await Node.open(config.load(Path(data_dir)))
    try:
        for i in range(count):
            await node.messages.append("resource", Resource(
                hash=bytes([i + 1]) * 32, name=f"gone-{i}.pdf",
                media_type="application/pdf", size=1000 + i, title=f"Never held {i}",
            ))
    finally:
        await node.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def test_files_of_every_size_up_to_twenty_mib_arrive_whole_through_a_relay(
    line: tuple[Hub, Hub, Hub], tmp_path: Path
) -> None:
    a, b, c = line
    sizes = [16 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 20 * 1024 * 1024]
    published = {}
    started = time.monotonic()
    for size in sizes:
        path = tmp_path / f"leaflet-{size}.pdf"
        path.write_bytes(b"%PDF-1.4\n" + os.urandom(size - 9))
        out = a.cli("resource", "add", str(path), "--title", f"Leaflet of {size} bytes")
        published[out.split("as resource ")[1].split()[0]] = path
    for hub in (b, c):  # c is peered with b only: b relays the messages and serves the files
        for digest, path in published.items():
            stored = hub.data_dir / "files" / digest
            wait_for(f"{hub.name} to fetch {path.name}", stored.exists, timeout=90)
            assert stored.read_bytes() == path.read_bytes()
    took = time.monotonic() - started
    print(f"{len(sizes)} files ({sum(sizes)} bytes) on both hubs in {took:.1f} s")


def test_files_no_peer_can_give_do_not_block_a_small_one(
    line: tuple[Hub, Hub, Hub], tmp_path: Path
) -> None:
    a, b, _ = line
    named = subprocess.run(
        [sys.executable, "-c", _NAME_MISSING_FILES, str(a.data_dir), "25"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert named.returncode == 0, named.stderr
    wait_for(
        "Northgate to list the 25 files",
        lambda: len(b.cli("log", "--kind", "resource").splitlines()) >= 25,
    )
    note = tmp_path / "note.txt"
    note.write_bytes(b"Bring a flask! :)\n")  # 18 bytes
    out = a.cli("resource", "add", str(note), "--title", "A note")
    digest = out.split("as resource ")[1].split()[0]
    stored = b.data_dir / "files" / digest
    wait_for("Northgate to fetch the note behind 25 files no one has", stored.exists)
    assert stored.read_bytes() == note.read_bytes()
