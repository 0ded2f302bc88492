"""Upgrades from every earlier schema, with data in it, to the latest.

Each migration has a seed: rows a real node would hold at that version. For each
version N the test builds a database at N holding the seeds of every version up
to N, opens it with the current code (which migrates it forward), and checks
that every seeded row is still there, readable by the current code, and that
SQLite's integrity check passes. A migration without a seed fails
test_every_migration_has_a_seed: add one with the migration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from crypto.nodeid import node_id_from_public_key
from node.store.database import Database, _split_sql
from node.store.messages import MessageStore
from node.store.migrations import LATEST_VERSION, MIGRATIONS
from node.verifier import Verifier
from protocol.kinds.hub import Announcement
from tests.helpers import T0, ManualClock, chain, key_from

ORIGIN_KEY = key_from(5)
ORIGIN = node_id_from_public_key(ORIGIN_KEY.public_key)
PEER = node_id_from_public_key(key_from(6).public_key)
LOG = chain(ORIGIN_KEY, 3)


@dataclass(frozen=True)
class Seed:
    rows: Callable[[sqlite3.Connection], None]
    # (query, rows it must return after the upgrade)
    checks: list[tuple[str, list[tuple[object, ...]]]]


def _seed_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO origins (origin, public_key, head_seq, head_id, first_seen)"
        " VALUES (?, ?, ?, ?, ?)",
        (ORIGIN, ORIGIN_KEY.public_key, 2, LOG[1].id, T0),
    )
    for m in LOG[:2]:
        conn.execute(
            "INSERT INTO messages (id, origin, seq, kind, created_at, received_at, payload,"
            " signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (m.id, m.origin, m.seq, m.kind, m.created_at, T0, m.payload, m.signature),
        )
    m = LOG[2]
    conn.execute(
        "INSERT INTO held (id, origin, seq, received_at, payload, signature)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (m.id, m.origin, m.seq, T0, m.payload, m.signature),
    )


def _seed_2(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO peers (node_id, url, name, added_at) VALUES (?, ?, ?, ?)",
        (PEER, "https://peer.example.org", "Peer", T0),
    )
    conn.execute(
        "INSERT INTO invites (token_hash, created_at, expires_at) VALUES (?, ?, ?)",
        (b"\x01" * 32, T0, T0 + 1000),
    )
    conn.execute("INSERT INTO outbox (peer, message_id) VALUES (?, ?)", (PEER, LOG[0].id))
    conn.execute(
        "INSERT INTO blocked_origins (origin, blocked_at, reason) VALUES (?, ?, ?)",
        ("b" * 56, T0, "spam"),
    )
    conn.execute(
        "INSERT INTO resources (hash, size, media_type) VALUES (?, ?, ?)",
        (b"\x02" * 32, 10, "text/plain"),
    )


def _seed_3(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO members (id, email, name, status, charter_version, charter_signed_at,"
        " privacy_version, privacy_accepted_at, applied_at) VALUES (1, 'ana@example.org',"
        " 'Ana', 'active', '1', ?, '1', ?, ?)",
        (T0, T0, T0),
    )
    conn.execute(
        "INSERT INTO member_roles (member_id, role, starts_at) VALUES (1, 'interim', ?)", (T0,)
    )
    conn.execute(
        "INSERT INTO sessions (id_hash, member_id, created_at, last_seen) VALUES (?, 1, ?, ?)",
        (b"\x03" * 32, T0, T0),
    )
    conn.execute(
        "INSERT INTO reset_links (token_hash, member_id, created_at, expires_at)"
        " VALUES (?, 1, ?, ?)",
        (b"\x04" * 32, T0, T0 + 1000),
    )


def _seed_9(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE origins SET next_key_digest = ? WHERE origin = ?", (b"\x05" * 32, ORIGIN))
    conn.execute(
        "INSERT INTO node_state (name, value, set_at) VALUES ('recovering', 'restored', ?)",
        (T0,),
    )


SEEDS: dict[int, Seed] = {
    1: Seed(
        _seed_1,
        [
            ("SELECT seq FROM messages ORDER BY seq", [(1,), (2,)]),
            ("SELECT origin, head_seq FROM origins", [(ORIGIN, 2)]),
            ("SELECT seq FROM held", [(3,)]),
        ],
    ),
    2: Seed(
        _seed_2,
        [
            ("SELECT node_id, url FROM peers", [(PEER, "https://peer.example.org")]),
            ("SELECT count(*) FROM invites", [(1,)]),
            ("SELECT peer FROM outbox", [(PEER,)]),
            ("SELECT reason FROM blocked_origins", [("spam",)]),
            ("SELECT size, media_type FROM resources", [(10, "text/plain")]),
        ],
    ),
    3: Seed(
        _seed_3,
        [
            ("SELECT email, name, status FROM members", [("ana@example.org", "Ana", "active")]),
            ("SELECT role FROM member_roles", [("interim",)]),
            ("SELECT member_id FROM sessions", [(1,)]),
            ("SELECT member_id FROM reset_links", [(1,)]),
        ],
    ),
    9: Seed(
        _seed_9,
        [
            ("SELECT next_key_digest FROM origins", [(b"\x05" * 32,)]),
            ("SELECT value FROM node_state", [("restored",)]),
        ],
    ),
}


def build_at(path: Path, version: int) -> None:
    """A database at schema `version`, made by the migrations up to it, with their seeds."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        for migration in MIGRATIONS:
            if migration.version > version:
                break
            conn.execute("BEGIN")
            for statement in _split_sql(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            SEEDS[migration.version].rows(conn)
            conn.execute("COMMIT")
    finally:
        conn.close()


def test_every_migration_has_a_seed() -> None:
    assert set(SEEDS) == {m.version for m in MIGRATIONS}, (
        "each migration needs a seed in tests/unit/test_migrations.py"
    )


EARLIER = [m.version for m in MIGRATIONS if m.version < LATEST_VERSION]


@pytest.mark.parametrize("version", EARLIER)
async def test_upgrade_keeps_every_row(tmp_path: Path, version: int) -> None:
    path = tmp_path / "hubnet.db"
    build_at(path, version)
    db = await Database.open(path)
    verifier = Verifier(1)
    try:
        assert await db.fetchone("PRAGMA user_version") == (LATEST_VERSION,)
        assert await db.fetchall("PRAGMA integrity_check") == [("ok",)]
        for seeded in (v for v in SEEDS if v <= version):
            for query, expected in SEEDS[seeded].checks:
                assert await db.fetchall(query) == expected, query
        # The current code reads the old rows and writes beside them.
        store = MessageStore(db, key_from(7), ManualClock(), verifier)
        assert [m.id for m in await store.log(ORIGIN)] == [m.id for m in LOG[:2]]
        if version < 9:  # seed 9 puts the node in the recovering state
            assert (await store.append("announcement", Announcement("after"))).seq == 1
    finally:
        await verifier.aclose()
        await db.close()
