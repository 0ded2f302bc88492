"""The governance stores against a real SQLite file: the check that decides whether to
write runs in the transaction that writes, and closing an election changes the terms
it should, once."""

from __future__ import annotations

import asyncio

import aiosqlite

from node.accounts.permissions import Role
from node.governance import tally
from node.governance.roles import take_office_txn
from node.governance.terms import term_end
from node.store import elections, mandates
from node.store.database import Database
from node.store.elections import ElectionsStore
from node.store.mandates import MandatesStore
from node.store.messages import MessageStore
from node.store.roles import RolesStore, add_term_txn
from protocol.envelope import Message
from protocol.kinds.assembly import DelegateMandate
from tests.helpers import T0

DAY = 86_400_000


async def add_member(db: Database, member_id: int) -> None:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO members (id, email, name, status, charter_version, charter_signed_at,"
            " privacy_version, privacy_accepted_at, applied_at)"
            " VALUES (?, seal('members.email', ?), seal('members.name', ?), 'active', '1', 0,"
            " '1', 0, 0)",
            (member_id, f"m{member_id}@example.org", f"Member {member_id}"),
        )


async def open_chair_election(store: ElectionsStore, election_id: str) -> bool:
    return await store.add_election(
        election_id, Role.CHAIR.value, "plurality", 1, T0, T0 + DAY, T0 + DAY, T0 + 2 * DAY
    )


async def test_two_elections_for_one_role_opened_at_once_leave_one(db: Database) -> None:
    await add_member(db, 1)
    store = ElectionsStore(db)
    opened = await asyncio.gather(
        open_chair_election(store, "a" * 32), open_chair_election(store, "b" * 32)
    )
    assert sorted(opened) == [False, True]
    assert len(await store.all()) == 1


async def test_a_second_nomination_of_a_member_is_refused_and_leaves_the_first(
    db: Database,
) -> None:
    for member_id in (1, 2):
        await add_member(db, member_id)
    store = ElectionsStore(db)
    assert await open_chair_election(store, "a" * 32)
    assert await store.add_nomination("a" * 32, 2, 2, T0, T0, None)
    assert not await store.add_nomination("a" * 32, 2, 1, T0 + 1, None, None)
    [nomination] = await store.nominations("a" * 32)
    assert (nomination.nominee, nomination.nominated_by, nomination.accepted) == (2, 2, True)


async def test_an_election_is_closed_once(db: Database) -> None:
    await add_member(db, 1)
    store = ElectionsStore(db)
    assert await open_chair_election(store, "a" * 32)
    nobody = tally.plurality([], [], "a" * 32).to_json()
    async with db.write() as conn:
        assert await elections.close_txn(conn, "a" * 32, T0 + DAY, nobody, None)
        assert not await elections.close_txn(conn, "a" * 32, T0 + 2 * DAY, nobody, 1)
    election = await store.get("a" * 32)
    assert election is not None
    assert (election.state, election.closed_at, election.elected) == ("closed", T0 + DAY, None)


async def test_the_interim_group_stands_down_once_a_chair_and_a_secretary_hold_office(
    db: Database,
) -> None:
    for member_id in (1, 2, 3):
        await add_member(db, member_id)
    roles = RolesStore(db)
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO member_roles (member_id, role, starts_at) VALUES (1, ?, ?)",
            (Role.INTERIM.value, T0),
        )
        await take_office_txn(conn, 2, Role.CHAIR, T0 + DAY, None)
    assert {h.role for h in await roles.holders(T0 + DAY)} == {Role.INTERIM, Role.CHAIR}
    async with db.write() as conn:
        await take_office_txn(conn, 3, Role.SECRETARY, T0 + 2 * DAY, None)
    assert {h.role for h in await roles.holders(T0 + 2 * DAY)} == {Role.CHAIR, Role.SECRETARY}
    [interim] = [h for h in await roles.past_holders(T0 + 2 * DAY, 10) if h.member_id == 1]
    assert interim.ends_at == T0 + 2 * DAY


async def test_a_new_delegate_ends_the_last_ones_term_and_mandate(db: Database) -> None:
    for member_id in (1, 2):
        await add_member(db, member_id)
    async with db.write() as conn:
        await add_term_txn(conn, 1, Role.DELEGATE.value, T0, term_end(T0))
        await conn.execute(
            "INSERT INTO delegate_mandates (member_id, starts_at, ends_at, network_name)"
            " VALUES (1, ?, ?, 'Ann')",
            (T0, term_end(T0)),
        )
        await take_office_txn(conn, 2, Role.DELEGATE, T0 + DAY, "Bea")
    [holder] = await RolesStore(db).holders(T0 + DAY)
    assert (holder.member_id, holder.ends_at) == (2, term_end(T0 + DAY))
    newest, last = await MandatesStore(db).all()
    assert (newest.member_id, newest.network_name, newest.ended_at) == (2, "Bea", None)
    assert (last.member_id, last.ended_at, last.end_reason) == (
        1,
        T0 + DAY,
        "A new delegate was elected.",
    )
    assert sorted(m.member_id for m in await MandatesStore(db).unpublished()) == [1, 2]


async def test_a_mandate_published_by_two_ticks_at_once_is_published_once(
    db: Database, store: MessageStore
) -> None:
    # Two ticks of the schedule both see the mandate unpublished; the row that
    # records the message is written in the message's own transaction, so the
    # second tick's message is rolled back with its row (node/governance/schedule.py).
    await add_member(db, 1)
    async with db.write() as conn:
        await mandates.add_txn(conn, 1, T0, T0 + 365 * DAY, "ana")
    [unpublished] = await MandatesStore(db).unpublished()

    async def publish() -> object:
        async def record(conn: aiosqlite.Connection, message: Message) -> None:
            await mandates.set_message_txn(conn, 1, T0, message.id)

        body = DelegateMandate(delegate="ana", body="national", starts=T0 // 1000, ends=T0)
        try:
            return await store.append("delegate.mandate", body, then=record)
        except mandates.AlreadyPublished:
            return None

    results = await asyncio.gather(*(publish() for _ in range(4)))
    published = [r for r in results if isinstance(r, Message)]
    assert len(published) == 1 and unpublished.member_id == 1
    assert [m.id for m in await store.log(store.node_id)] == [published[0].id]
    [mandate] = await MandatesStore(db).all()
    assert mandate.message_id == published[0].id
    assert await MandatesStore(db).unpublished() == []
