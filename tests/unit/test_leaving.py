"""Leaving: the account and what other features keep with it (notices, queued email,
nominations) end in one transaction, through each feature's forget_member_txn."""

from __future__ import annotations

from typing import Any

import aiosqlite
import argon2
import pytest

from node.accounts.members import Members
from node.accounts.sessions import Sessions
from node.store.accounts import AccountsStore
from node.store.database import Database
from node.store.governance import ElectionRecords
from node.store.notices import MemberEmail, NoticesStore
from node.store.sessions import SessionsStore
from tests.helpers import ManualClock

# The cheapest hashing argon2 allows: these tests are about rows, not passwords.
FAST = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def _join(members: Members, name: str) -> int:
    member = await members.apply(
        name=name,
        email=f"{name.lower()}@example.org",
        password="a long enough password",
        signed_charter=True,
        accepted_privacy=True,
        status="active",
    )
    return member.id


async def _election(db: Database, election_id: str, state: str, nominee: int, by: int) -> None:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO elections (id, kind, role, method, opened_at, nominations_close,"
            " voting_opens, voting_closes, state) VALUES (?, 'election', 'chair',"
            " 'plurality', 0, 1, 1, 2, ?)",
            (election_id, state),
        )
        await conn.execute(
            "INSERT INTO nominations (election_id, nominee, nominated_by, nominated_at,"
            " network_name) VALUES (?, ?, ?, 0, 'Bo of Riverside')",
            (election_id, nominee, by),
        )


async def _count(db: Database, sql: str, *params: Any) -> int:
    row = await db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


@pytest.fixture
async def hub(db: Database, clock: ManualClock) -> tuple[Members, Sessions, int, int]:
    notices = NoticesStore(db)
    members = Members(AccountsStore(db), clock, FAST, records=(notices, ElectionRecords(db)))
    sessions = Sessions(SessionsStore(db), clock, idle_ms=60_000, lifetime_ms=600_000)
    ann, bo = await _join(members, "Ann"), await _join(members, "Bo")
    await notices.add(
        [ann, bo],
        "/elections/e",
        clock(),
        lambda language: ("Voting is open", MemberEmail("s", "b")),
    )
    await sessions.start(bo)
    await _election(db, "open-one", "open", nominee=bo, by=ann)
    await _election(db, "closed-one", "closed", nominee=ann, by=bo)
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO nominations (election_id, nominee, nominated_by, nominated_at,"
            " network_name) VALUES ('closed-one', ?, ?, 0, 'Bo')",
            (bo, ann),
        )
    return members, sessions, ann, bo


async def test_leaving_erases_what_goes_with_the_account(
    hub: tuple[Members, Sessions, int, int], db: Database
) -> None:
    members, _, ann, bo = hub
    exported = await members.export(bo)
    assert [n["text"] for n in exported["notices"]] == ["Voting is open"]
    assert sorted(n["election"] for n in exported["nominations"]) == ["closed-one", "open-one"]

    await members.leave(bo)

    gone = await members.get(bo)
    assert gone is not None and gone.status == "left" and gone.email is None
    for table in ("notices", "email_outbox", "sessions"):
        assert await _count(db, f"SELECT count(*) FROM {table} WHERE member_id = ?", bo) == 0
    # Open elections lose the nomination; closed ones keep it, without the name given.
    assert await _count(db, "SELECT count(*) FROM nominations WHERE nominee = ?", bo) == 1
    assert await _count(
        db, "SELECT count(*) FROM nominations WHERE nominee = ? AND network_name IS NULL", bo
    )
    assert await _count(db, "SELECT count(*) FROM nominations WHERE nominated_by = ?", bo) == 0
    # Ann's own records are untouched.
    assert await _count(db, "SELECT count(*) FROM notices WHERE member_id = ?", ann) == 1
    assert await _count(db, "SELECT count(*) FROM nominations WHERE nominee = ?", ann) == 1


class _Failing:
    """A feature whose erasure fails: nothing of the leaving may be kept."""

    async def export_member_records(self, member_id: int) -> dict[str, Any]:
        return {}

    async def forget_member_txn(self, conn: aiosqlite.Connection, member_id: int) -> None:
        raise RuntimeError("disk full")


async def test_a_failed_erasure_leaves_the_account_as_it_was(
    hub: tuple[Members, Sessions, int, int], db: Database, clock: ManualClock
) -> None:
    _, _, _, bo = hub
    notices = NoticesStore(db)
    members = Members(AccountsStore(db), clock, FAST, records=(notices, _Failing()))
    with pytest.raises(RuntimeError, match="disk full"):
        await members.leave(bo)
    still = await members.get(bo)
    assert still is not None and still.status == "active" and still.email == "bo@example.org"
    # Her notices (erased before the failure, in the same transaction) are back too,
    # and she can log in to leave again.
    assert await _count(db, "SELECT count(*) FROM notices WHERE member_id = ?", bo) == 1
    assert await _count(db, "SELECT count(*) FROM sessions WHERE member_id = ?", bo) == 1
    assert await members.authenticate("bo@example.org", "a long enough password") is not None
