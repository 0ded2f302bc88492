"""The funds service on a real SQLite database: append-only ledger, settling by the clock,
secret approvals and votes."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from node.accounts.members import Member
from node.accounts.permissions import Role
from node.funds import notices
from node.funds.budget import HOUR_MS
from node.funds.errors import FundsError
from node.funds.ledger import Draft, Kind
from node.funds.polls import DAY_MS, YES_NO_OPTIONS, PollKind
from node.funds.receipts import ReceiptFiles
from node.funds.service import Funds
from node.store.ballots import BallotBox, contest
from node.store.database import Database
from tests.helpers import ManualClock

TODAY = date(2025, 11, 13)  # the ManualClock's day


async def _member(db: Database, name: str, roles: frozenset[Role] = frozenset()) -> Member:
    async with db.write() as conn:
        cursor = await conn.execute(
            "INSERT INTO members (email, name, status, charter_version, charter_signed_at,"
            " privacy_version, privacy_accepted_at, applied_at)"
            " VALUES (seal('members.email', ?), seal('members.name', ?), 'active', '1', 0,"
            " '1', 0, 0)",
            (f"{name}@example.org", name),
        )
        member_id = cursor.lastrowid
    assert member_id is not None
    return Member(member_id, f"{name}@example.org", name, None, None, "active", 0, roles)


class Sink:
    def __init__(self) -> None:
        self.notices: list[notices.Notice] = []

    async def __call__(self, items: object) -> None:
        self.notices.extend(items)  # type: ignore[arg-type]


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def funds(db: Database, clock: ManualClock, tmp_path: Path, sink: Sink) -> Funds:
    return Funds(db, clock, ReceiptFiles(tmp_path), notify=sink)


async def test_the_database_refuses_to_change_or_delete_ledger_entries(
    db: Database, funds: Funds
) -> None:
    treasurer = await _member(db, "tess", frozenset({Role.TREASURER}))
    entry = await funds.record(treasurer, Draft(Kind.INCOME, 5000, TODAY, "Donations", ""))
    for sql in (
        "UPDATE ledger_entries SET amount = 1 WHERE id = ?",
        "DELETE FROM ledger_entries WHERE id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.write() as conn:
                await conn.execute(sql, (entry,))
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as conn:  # a second correction of the same entry
            for _ in range(2):
                await conn.execute(
                    "INSERT INTO ledger_entries (kind, amount, entry_date, category, corrects,"
                    " recorded_at) VALUES ('income', 1, '2025-01-01', 'x', ?, 0)",
                    (entry,),
                )
    for amount in (0, -5, 2.5, "seven"):
        with pytest.raises(sqlite3.IntegrityError):
            async with db.write() as conn:
                await conn.execute(
                    "INSERT INTO ledger_entries (kind, amount, entry_date, category, recorded_at)"
                    " VALUES ('income', ?, '2025-01-01', 'x', 0)",
                    (amount,),
                )
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO ledger_entries (kind, amount, entry_date, category, recorded_at)"
                " VALUES ('income', 5, '2025-02-30', 'x', 0)"
            )
    assert (await funds.summary()).balance == 5000


async def test_only_the_treasurer_records_and_opens_rounds(db: Database, funds: Funds) -> None:
    member = await _member(db, "plain")
    with pytest.raises(FundsError, match="Only the treasurer"):
        await funds.record(member, Draft(Kind.INCOME, 5000, TODAY, "Donations", ""))
    with pytest.raises(FundsError, match="Only the treasurer"):
        await funds.open_round(member, "Spring", 100, 1, 2, 3)
    assert await db.fetchall("SELECT * FROM ledger_entries") == []


async def _round(db: Database, funds: Funds, clock: ManualClock, amount: int = 10_000) -> int:
    treasurer = await _member(db, "tess", frozenset({Role.TREASURER}))
    await funds.record(treasurer, Draft(Kind.INCOME, 20_000, TODAY, "Donations", ""))
    now = clock()
    return await funds.open_round(
        treasurer, "Spring", amount, now + 2 * HOUR_MS, now + 2 * HOUR_MS, now + 4 * HOUR_MS
    )


async def test_a_round_is_decided_once_by_the_first_read_after_voting_closes(
    db: Database, funds: Funds, clock: ManualClock, sink: Sink
) -> None:
    round_id = await _round(db, funds, clock)
    assert (await funds.summary()).available == 10_000  # the round holds the rest
    ann, bob, cy = [await _member(db, n) for n in ("ann", "bob", "cy")]
    garden = await funds.propose(ann, round_id, "Garden", "Seeds", 6_000)
    hall = await funds.propose(bob, round_id, "Hall", "Hire", 5_000)
    zine = await funds.propose(cy, round_id, "Zine", "Print", 3_000)
    clock.advance(2 * HOUR_MS)
    await funds.approve(ann, round_id, [garden, hall])
    await funds.approve(bob, round_id, [hall, garden, zine])
    await funds.approve(cy, round_id, [garden])
    with pytest.raises(FundsError, match="already sent"):
        await funds.approve(cy, round_id, [zine])
    clock.advance(2 * HOUR_MS + 10 * DAY_MS)  # nobody looks for ten days
    results = [
        (p.title, p.outcome.reason if p.outcome else None) for p in await funds.proposals(round_id)
    ]
    assert results == [
        ("Garden", "funded"),
        ("Hall", "skipped: £40.00 left, costs £50.00"),
        ("Zine", "funded"),
    ]
    summary = await funds.summary()
    assert (summary.balance, summary.committed, summary.reserved) == (20_000, 9_000, 0)
    await funds.settle()  # a second settle changes nothing
    rows = await db.fetchall(
        "SELECT amount, entry_date, round_id FROM ledger_entries WHERE kind = 'commitment'"
    )
    assert sorted(rows) == [(3_000, "2025-11-13", round_id), (6_000, "2025-11-13", round_id)]
    texts = [str(n.text) for n in sink.notices]  # as plain text: the English
    assert any("Budget round “Spring” is open" in t for t in texts)
    assert [t for t in texts if "has closed" in t] == [
        "Budget round “Spring” has closed: 2 proposals funded, £90.00 committed. See the result."
    ]


async def test_approvals_are_kept_apart_from_who_approved(
    db: Database, funds: Funds, clock: ManualClock
) -> None:
    round_id = await _round(db, funds, clock)
    ann = await _member(db, "ann")
    first = await funds.propose(ann, round_id, "Garden", "Seeds", 100)
    clock.advance(2 * HOUR_MS)
    await funds.approve(ann, round_id, [first])
    box = BallotBox(db)
    name = contest("budget", round_id)
    assert await box.voters(name) == {ann.id}
    # What was approved: per proposal, with no member and no time.
    assert await box.choices(name) == [[first, 1]]
    columns = {r[1] for r in await db.fetchall("PRAGMA table_info(ballot_choices)")}
    assert columns == {"contest", "width", "choices"}


async def test_polls_count_the_members_when_opened_once_each(
    db: Database, funds: Funds, clock: ManualClock, sink: Sink
) -> None:
    ann, bob = await _member(db, "ann"), await _member(db, "bob")
    poll = await funds.open_poll(
        ann, "Move to Tuesdays?", "Meetings on Tuesday.", PollKind.YES_NO, YES_NO_OPTIONS, 50,
        clock() + 2 * DAY_MS,
    )  # fmt: skip
    late = await _member(db, "late")
    await funds.vote(ann, poll, 0)
    with pytest.raises(FundsError, match="already voted"):
        await funds.vote(ann, poll, 1)
    with pytest.raises(FundsError, match="not yet a member"):
        await funds.vote(late, poll, 0)
    view = await funds.poll(poll)
    assert view is not None and view.result is None and view.electorate == 2
    clock.advance(2 * DAY_MS)
    with pytest.raises(FundsError, match="closed"):
        await funds.vote(bob, poll, 0)
    view = await funds.poll(poll)
    assert view is not None and view.result is not None
    assert view.result.quorum_met and str(view.result.outcome) == "Carried: 1 for, 0 against."
    await funds.polls()
    closed = [(str(n.text), n.link) for n in sink.notices if str(n.text).startswith("Poll closed")]
    assert closed == [
        ("Poll closed: “Move to Tuesdays?”. Carried: 1 for, 0 against.", f"/polls/{poll}")
    ]


async def _decided(tmp_path: Path, read_after_close: int) -> list[object]:
    """One round in a fresh database, first read `read_after_close` ms after voting closes."""
    clock = ManualClock()
    db = await Database.open(tmp_path / f"read-after-{read_after_close}.db")
    try:
        funds = Funds(db, clock, ReceiptFiles(tmp_path))
        round_id = await _round(db, funds, clock, amount=10_000)
        ann, bob = await _member(db, "ann"), await _member(db, "bob")
        garden = await funds.propose(ann, round_id, "Garden", "Seeds", 7_000)
        hall = await funds.propose(bob, round_id, "Hall", "Hire", 4_000)
        zine = await funds.propose(bob, round_id, "Zine", "Print", 3_000)
        clock.advance(2 * HOUR_MS)
        await funds.approve(ann, round_id, [garden, hall, zine])
        await funds.approve(bob, round_id, [garden, zine])
        clock.advance(2 * HOUR_MS - 1)
        await funds.approve(await _member(db, "cy"), round_id, [hall])  # the last moment
        clock.advance(1 + read_after_close)
        proposals = await funds.proposals(round_id)
        commitments = await db.fetchall(
            "SELECT amount, entry_date, note FROM ledger_entries WHERE kind = 'commitment'"
            " ORDER BY id"
        )
        return [[(p.title, p.outcome) for p in proposals], commitments]
    finally:
        await db.close()


async def test_the_result_does_not_depend_on_when_it_is_first_read(tmp_path: Path) -> None:
    at_once = await _decided(tmp_path, 0)
    a_month_later = await _decided(tmp_path, 30 * DAY_MS)
    assert at_once == a_month_later
    assert [(t, o.reason) for t, o in at_once[0]] == [  # type: ignore[attr-defined,union-attr]
        ("Zine", "funded"),  # two approvals each, so the cheapest first
        ("Hall", "funded"),
        ("Garden", "skipped: £30.00 left, costs £70.00"),
    ]


async def test_money_sent_for_twice_at_once_is_promised_once(
    db: Database, funds: Funds, clock: ManualClock
) -> None:
    """What is available is judged inside the transaction that takes it: a commitment and
    a round sent at the same moment, each within the money alone, cannot both have it."""
    treasurer = await _member(db, "tess", frozenset({Role.TREASURER}))
    await funds.record(treasurer, Draft(Kind.INCOME, 10_000, TODAY, "Donations", ""))
    now = clock()
    results = await asyncio.gather(
        funds.record(treasurer, Draft(Kind.COMMITMENT, 6_000, TODAY, "Hall", "")),
        funds.record(treasurer, Draft(Kind.COMMITMENT, 6_000, TODAY, "Hall", "")),
        funds.open_round(
            treasurer, "Spring", 6_000, now + 2 * HOUR_MS, now + 2 * HOUR_MS, now + 4 * HOUR_MS
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, FundsError)]
    assert len(refused) == 2 and all("available" in str(r) for r in refused)
    summary = await funds.summary()
    assert summary.available == 4_000 and summary.committed + summary.reserved == 6_000


async def test_proposals_are_taken_until_the_window_closes_and_only_in_a_round(
    db: Database, funds: Funds, clock: ManualClock
) -> None:
    round_id = await _round(db, funds, clock)
    ann, bob = await _member(db, "ann"), await _member(db, "bob")
    clock.advance(2 * HOUR_MS - 1)  # the last moment proposals are taken
    ids = await asyncio.gather(
        funds.propose(ann, round_id, "Garden", "Seeds", 100),
        funds.propose(bob, round_id, "Hall", "Hire", 200),
    )
    assert [p.id for p in await funds.proposals(round_id)] == sorted(ids)
    with pytest.raises(FundsError, match="no such budget round"):
        await funds.propose(ann, round_id + 1, "Zine", "Print", 100)
    clock.advance(1)
    with pytest.raises(FundsError, match="takes no more"):
        await funds.propose(ann, round_id, "Zine", "Print", 100)
    assert len(await funds.proposals(round_id)) == 2
