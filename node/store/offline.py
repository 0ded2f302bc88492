"""SQL run on a database file without opening it as the node does: read-only and
unmigrated (`hubnet doctor`, `make demo`), or on a backup's copy (node/backup.py).

Plain sqlite3, not the node's Database: these run from the CLI beside a running
node, on files that may be damaged or from another version.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from node.errors import NodeError


@dataclass(frozen=True, slots=True)
class FileHealth:
    integrity: list[str]  # ["ok"], or SQLite's first complaints
    version: int
    recovering: str | None


@dataclass(frozen=True, slots=True)
class ForkEvidence:
    forked_at: int | None  # None if this database holds no fork of the origin's log
    proofs: list[tuple[bytes, bytes]]  # every fork.proof held: (payload, signature)
    resolved: list[tuple[int, int]]  # the origin's fork resolutions: (from seq, until seq)


def _read_only(path: Path, timeout: float = 30) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)


def file_health(path: Path) -> FileHealth:
    """SQLite's integrity check, the schema version and the recovering state (sqlite3.Error
    if the file cannot be read)."""
    conn = _read_only(path)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        recovering = None
        if version >= 9:  # migration 9 added node_state
            row = conn.execute("SELECT value FROM node_state WHERE name = 'recovering'").fetchone()
            recovering = row[0] if row else None
    finally:
        conn.close()
    return FileHealth(rows, version, recovering)


def fork_evidence(path: Path, origin: str) -> ForkEvidence:
    """What the file holds about forks of `origin`'s log (sqlite3.Error on an older schema)."""
    conn = _read_only(path)
    try:
        row = conn.execute("SELECT forked_at FROM origins WHERE origin = ?", (origin,)).fetchone()
        proofs = conn.execute(
            "SELECT payload, signature FROM messages WHERE kind = 'fork.proof'"
        ).fetchall()
        resolved = conn.execute(
            "SELECT from_seq, until_seq FROM fork_resolutions WHERE origin = ?", (origin,)
        ).fetchall()
    finally:
        conn.close()
    return ForkEvidence(
        row[0] if row else None,
        [(p, s) for p, s in proofs],
        [(a, b) for a, b in resolved],
    )


def peer_addresses(path: Path) -> list[tuple[str, str, bool]]:
    """Every peer: (node id, url, blocked); none if the file cannot be read."""
    conn = _read_only(path)
    try:
        rows = conn.execute("SELECT node_id, url, blocked FROM peers").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [(r[0], r[1], bool(r[2])) for r in rows]


def holds_message(path: Path, message_id: bytes) -> bool:
    with _read_only(path, timeout=5) as db:
        row = db.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,))
        return row.fetchone() is not None


def snapshot_database(source: Path, target: Path) -> tuple[int, int]:
    """Copy the live database with the online backup API; (all messages, schema version)."""
    src = _read_only(source)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: the whole file in one step, so one read snapshot. Copying in
        # steps would restart each time the running node writes, possibly forever.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        check = [row[0] for row in dst.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            raise NodeError(f"the copy of {source} failed its integrity check: {check[:3]}")
        total = dst.execute("SELECT count(*) FROM messages").fetchone()[0]
        version = dst.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise NodeError(f"cannot copy database {source}: {exc}") from exc
    finally:
        dst.close()
        src.close()
    return int(total), int(version)


def own_head(database: Path, node_id: str) -> int:
    """The highest seq of this node's own log that the file holds."""
    conn = sqlite3.connect(database)
    try:
        row = conn.execute("SELECT head_seq FROM origins WHERE origin = ?", (node_id,)).fetchone()
    finally:
        conn.close()
    return int(row[0]) if row else 0
