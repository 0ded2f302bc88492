"""A crash between a message and its local rows leaves neither (real process, SIGKILL).

Each case runs a real node's service in a child process (a data directory made by
`hubnet init`, opened with `Node.open`). In that child only, the store function the
service calls to write its own rows is wrapped so the process kills itself with
SIGKILL right after the rows are written and before anything else happens: the
seam between "the message is stored" and "the rows that go with it are stored".
Nothing in the node knows about the test.

The parent then reads the database: neither the message nor the rows may be
there. And the node must open and do the same thing again, for real.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from node.config import DATABASE_FILE
from tests.integration.network import Hub

_PRELUDE = """
import asyncio, importlib, os, signal, sys
from pathlib import Path
from node.config import load
from node.node import Node
from protocol.kinds.hub import Announcement

def kill_after(name, *modules):
    # Wrap `name` wherever the service may look it up: in the store module that
    # defines it and in any module that imported it.
    for module_name in modules:
        module = importlib.import_module(module_name)
        original = getattr(module, name, None)
        if original is None:
            continue
        async def wrapper(*args, _original=original, **kwargs):
            result = await _original(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            return result
        setattr(module, name, wrapper)

async def main(crash):
    node = await Node.open(load(Path(sys.argv[1])))
    try:
{body}
    finally:
        await node.close()
    print("done")

asyncio.run(main(sys.argv[2] == "crash"))
"""


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # the message kind the service publishes
    rows: str  # SQL counting the service's local rows
    script: str  # the body of main(): set up, then (if crash) kill_after, then act


CASES = [
    Case(
        "speaker offer",
        "speaker.offer",
        "SELECT count(*) FROM speakers",
        """
        if crash:
            kill_after("add_offer_txn", "node.store.speakers", "node.community.speakers")
        await node.community.speakers.offer(
            await node.members.get(1), ["housing"], "Leeds", None
        )
        """,
    ),
    Case(
        "comment",
        "comment",
        "SELECT count(*) FROM comment_authors",
        """
        comments = node.discussion.comments
        jo = await node.members.get(1)
        await comments.set_display_name(jo, "jo")
        subject = await node.messages.append("announcement", Announcement(text="Hello"))
        if crash:
            kill_after("add_author_txn", "node.store.comments", "node.discussion.comments")
        await comments.publish(jo, subject.id, "Our words")
        """,
    ),
    Case(
        "directory entry",
        "directory.entry",
        "SELECT count(*) FROM directory_local",
        """
        from protocol.kinds.community import DirectoryEntry
        entry = DirectoryEntry(
            name="Food bank", category="food", area="Leeds", hours="Mon 9-5",
            contact="01234 567890",
        )
        if crash:
            kill_after("add_local_txn", "node.store.directory", "node.community.directory")
        await node.community.directory.add(entry, share=True, by=await node.members.get(1))
        """,
    ),
]


def _run(hub: Hub, case: Case, crash: bool) -> subprocess.CompletedProcess[str]:
    script = _PRELUDE.format(body=textwrap.indent(textwrap.dedent(case.script), " " * 8))
    return subprocess.run(
        [sys.executable, "-c", script, str(hub.data_dir), "crash" if crash else "run"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _count(path: Path, sql: str, *args: object) -> int:
    db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)  # never a new, empty file
    try:
        return int(db.execute(sql, args).fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_crash_between_a_message_and_its_rows_leaves_neither(tmp_path: Path, case: Case) -> None:
    hub = Hub(tmp_path, "Leeds")
    database = hub.data_dir / DATABASE_FILE
    crashed = _run(hub, case, crash=True)
    # Killed at the seam, not refused or finished: otherwise the test proves nothing.
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert "done" not in crashed.stdout
    assert _count(database, "SELECT count(*) FROM messages WHERE kind = ?", case.kind) == 0
    assert _count(database, case.rows) == 0

    # The node opens again and does the same thing, for real, once.
    again = _run(hub, case, crash=False)
    assert again.returncode == 0, again.stderr
    assert "done" in again.stdout
    assert _count(database, "SELECT count(*) FROM messages WHERE kind = ?", case.kind) == 1
    assert _count(database, case.rows) == 1
    assert hub.cli("log", "--kind", case.kind).count(case.kind) == 1
