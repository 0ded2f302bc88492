"""Values kept until the next write (`Database.kept`), against a real SQLite file: a write
by this process shows at once, one by another process's connection shortly after, and a
member's terms of office start and end on time between writes."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from pathlib import Path

from node.accounts.permissions import Role
from node.store.accounts import AccountsStore
from node.store.database import Database


async def _count(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) FROM node_state WHERE name IN ('a', 'b')")
    assert row is not None
    return int(row[0])


async def test_a_kept_value_is_read_again_after_any_write(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "hub.db")
    try:
        reads = 0

        async def counted() -> int:
            nonlocal reads
            reads += 1
            return await _count(db)

        assert await db.kept("n", counted) == 0
        assert await db.kept("n", counted) == 0
        assert reads == 1, "nothing was written, yet the value was read again"

        # This process's own write: seen by the very next call, with no wait.
        async with db.write() as conn:
            await conn.execute("INSERT INTO node_state (name, value, set_at) VALUES ('a', '1', 0)")
        assert await db.kept("n", counted) == 1

        # Another process's write (a CLI command beside the node): its own connection.
        other = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)
        other.execute("INSERT INTO node_state (name, value, set_at) VALUES ('b', '2', 0)")
        other.close()
        for _ in range(100):
            if await db.kept("n", counted) == 2:
                break
            await asyncio.sleep(0.002)
        assert await db.kept("n", counted) == 2
    finally:
        await db.close()


async def test_a_value_kept_for_a_time_is_read_again_once_it_has_passed(tmp_path: Path) -> None:
    # A visitor's session and badges (web/security.py) are kept for a second on the
    # node's clock as well as until the next write: sessions expire with the time.
    db = await Database.open(tmp_path / "hub.db")
    computed = itertools.count(1)  # the value is how many times it was computed

    async def counted() -> int:
        return next(computed)

    try:
        assert await db.kept("v", counted, now_ms=10_000, for_ms=1000) == 1
        assert await db.kept("v", counted, now_ms=10_999, for_ms=1000) == 1
        assert await db.kept("v", counted, now_ms=11_000, for_ms=1000) == 2, "kept too long"
        assert await db.kept("v", counted, now_ms=11_500, for_ms=1000) == 2
        # A clock set back (a test's, or the machine's) reads the value again.
        assert await db.kept("v", counted, now_ms=10_900, for_ms=1000) == 3
        # And a write ends it at once, whatever the time.
        async with db.write() as conn:
            await conn.execute("INSERT INTO node_state (name, value, set_at) VALUES ('a', '1', 0)")
        assert await db.kept("v", counted, now_ms=10_901, for_ms=1000) == 4
    finally:
        await db.close()


async def test_a_kept_member_gains_and_loses_a_role_on_time_between_writes(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "hub.db")
    try:
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO members (id, email, name, status, charter_version,"
                " charter_signed_at, privacy_version, privacy_accepted_at, applied_at)"
                " VALUES (7, seal('members.email', 'sam@example.org'), seal('members.name', 'Sam'),"
                " 'active', '1', 0, '1', 0, 0)"
            )
            await conn.execute(
                "INSERT INTO member_roles (member_id, role, starts_at, ends_at)"
                " VALUES (7, 'secretary', 1000, 2000)"
            )
        store = AccountsStore(db)
        for now, roles in ((999, set()), (1000, {Role.SECRETARY}), (2000, set())):
            found = await store.member(7, now)
            assert found is not None and set(found[1]) == roles, now
    finally:
        await db.close()
