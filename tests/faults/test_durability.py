"""A database that cannot be written: 503 to peers (not acknowledged), a clear page to members.

The sending hub is a real `hubnet run` process. The receiving hub either runs
in this process, so the test can make its live SQLite connection read-only
(`PRAGMA query_only`), or runs as a process whose data directory sits on a
small tmpfs the test fills to the last byte: a real full disk (needs the
right to mount, as root in CI has; skipped otherwise). Either way the push is
answered 503, the sender keeps the message in its outbox, and once the fault
is cleared it is delivered, exactly once, with no restart.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.node import Node
from protocol.envelope import Message
from tests.faults import scale
from tests.faults.hostile import Client, admit, announcement, node_ids
from tests.faults.inprocess import InProcessHub
from tests.faults.test_crashes import cleanup, peer_row  # noqa: F401 (fixture)
from tests.helpers import key_from
from tests.integration.network import Hub, found_network, wait_for
from tests.integration.procs import run_cli

NEWS = "Meeting moved to the library while the disk was full"
# Another peer of the receiver, played by the test (only peers may push), and a founder
# of the network, so its message would be stored if the database could be written
# (PROTOCOL.md §14.5).
PUSHER = key_from(81)


def held_ids(data_dir: Path) -> list[bytes]:
    conn = sqlite3.connect(f"file:{data_dir / 'hubnet.db'}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM messages ORDER BY rowid")]
    finally:
        conn.close()


def texts_held(data_dir: Path) -> list[str]:
    result = run_cli("log", "--data-dir", str(data_dir), "--kind", "announcement")
    assert result.returncode == 0, result.stderr
    return [line.split("announcement", 1)[1].strip() for line in result.stdout.splitlines()]


def apply_to_join(base_url: str) -> tuple[int, str]:
    """Fill in the public join form as a browser would; the status and page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base_url + "/join", timeout=30) as response:
        page = response.read().decode()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no form token on the join page"
    form = {
        "csrf": match.group(1),
        "name": "Sam Applicant",
        "email": "sam@example.org",
        "phone": "",
        "statement": "I would like to help.",
        "password": "a long enough password",
        "sign_charter": "yes",
        "accept_privacy": "yes",
    }
    data = urllib.parse.urlencode(form).encode()
    try:
        with opener.open(base_url + "/join", data=data, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def health(base_url: str) -> int:
    with urllib.request.urlopen(base_url + "/healthz", timeout=10) as response:
        return int(response.status)


def check_refused_while_unwritable(
    sender: Hub, receiver_url: str, receiver_dir: Path, pusher_found: Message
) -> None:
    """What two peers and an applicant see while the receiver cannot write.

    `pusher_found`: PUSHER's founding statement, which the receiver holds (`admit`
    made PUSHER a peer and a member of the receiver's network).
    """
    before = held_ids(receiver_dir)
    sender.announce(NEWS)
    wait_for(
        "the sender to be refused with 503",
        lambda: "HTTP 503" in peer_row(sender, _node_id(receiver_dir))["error"],
    )
    row = peer_row(sender, _node_id(receiver_dir))
    assert row["state"] == "failing" and row["outbox"] == "1", row

    message = announcement(PUSHER, 2, pusher_found.id, "from another peer")
    reply = Client(receiver_url, PUSHER).push([message.wire])
    assert reply.status == 503 and reply.error.startswith("unavailable: "), str(reply)

    status, page = apply_to_join(receiver_url)
    assert status == 503, page
    assert "cannot save anything right now" in page and "nothing was changed" in page

    assert health(receiver_url) == 200, "the node stopped serving"
    assert held_ids(receiver_dir) == before, "something was stored while it could not be"


def check_delivered_once_healed(sender: Hub, receiver_dir: Path) -> None:
    receiver_id = _node_id(receiver_dir)
    wait_for("the outbox to drain", lambda: peer_row(sender, receiver_id)["outbox"] == "0")
    assert peer_row(sender, receiver_id)["state"] == "ok"
    assert texts_held(receiver_dir).count(NEWS) == 1


def founders(receiver: Hub | InProcessHub, sender: Hub) -> list[str]:
    """The founders of the two hubs' network: themselves and PUSHER."""
    return [receiver.node_id, sender.node_id, *node_ids([PUSHER])]


def _node_id(data_dir: Path) -> str:
    result = run_cli("id", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _invite(data_dir: Path) -> str:
    result = run_cli("peer", "invite", "--data-dir", str(data_dir), "--no-qr")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[0]


# -- read-only: the node's own connection refuses writes ---------------------------------


async def _set_query_only(node: Node, on: bool) -> None:
    # The writer connection is the node's only write path (node/store/database.py).
    # Not through db.write(): a query-only connection refuses even BEGIN IMMEDIATE.
    async with node.db._lock:
        await node.db._writer.execute(f"PRAGMA query_only = {int(on)}")


def test_read_only_database_answers_503_and_the_sender_delivers_once_it_is_writable(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    receiver = InProcessHub(tmp_path, "Northgate").start()
    cleanup.append(receiver)
    sender = Hub(tmp_path, "Riverside").start()
    cleanup.append(sender)
    found_network([receiver, sender], others=node_ids([PUSHER]))
    sender.peer_cli("add", _invite(receiver.data_dir))
    # Each hub's profile and founding statement.
    wait_for("the sender's profile to arrive", lambda: len(held_ids(receiver.data_dir)) == 4)
    [pusher_found] = admit([receiver], [PUSHER], founders(receiver, sender))

    receiver.run(lambda node: _set_query_only(node, True))
    check_refused_while_unwritable(sender, receiver.url, receiver.data_dir, pusher_found)

    receiver.run(lambda node: _set_query_only(node, False))
    check_delivered_once_healed(sender, receiver.data_dir)
    scale.report(
        "durability: read-only database",
        started,
        answered_503=True,
        stored_while_unwritable=0,
        delivered_once_after=1,
    )


# -- full: a real file system with no space left -------------------------------------------


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the file system has no byte left; the file."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):  # big writes, then the last partial blocks
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def test_full_disk_answers_503_and_the_sender_delivers_once_space_is_freed(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    with small_tmpfs(tmp_path / "disk", "64m") as disk:
        receiver = Hub(disk, "Northgate")
        sender = Hub(tmp_path, "Riverside")
        found_network([receiver, sender], others=node_ids([PUSHER]))
        receiver.start()
        cleanup.append(receiver)
        sender.start()
        cleanup.append(sender)
        sender.peer_with(receiver)
        # Each hub's profile and founding statement.
        wait_for("the sender's profile to arrive", lambda: len(held_ids(receiver.data_dir)) == 4)
        [pusher_found] = admit([receiver], [PUSHER], founders(receiver, sender))

        filler = fill(disk)
        check_refused_while_unwritable(sender, receiver.url, receiver.data_dir, pusher_found)

        filler.unlink()
        check_delivered_once_healed(sender, receiver.data_dir)
        receiver.stop()
    scale.report(
        "durability: full disk (64 MiB tmpfs)",
        started,
        answered_503=True,
        stored_while_unwritable=0,
        delivered_once_after=1,
    )
