"""SQL for participatory budgeting: rounds, their proposals and, once decided, results.

Approvals are not here: they are in the hub's one ballot box (node/store/ballots.py).
The rules (node/funds/budget.py, applied by node/funds/rounds.py) are handed in as
checks that run inside the write transactions below, or compose the `_txn`
functions in the transaction that settles a round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from node.funds.budget import Windows
from node.funds.ledger import Entry
from node.store.database import Database
from node.store.funds import FORMER_MEMBER, entries_txn, reserved_txn


@dataclass(frozen=True, slots=True)
class RoundRecord:
    id: int
    title: str
    amount: int
    windows: Windows
    opened_by: str  # a name, or FORMER_MEMBER
    seed: bytes
    resolved_at: int | None
    proposal_count: int


@dataclass(frozen=True, slots=True)
class NewRound:
    title: str
    amount: int
    windows: Windows
    opened_by: int
    seed: bytes


@dataclass(frozen=True, slots=True)
class DueRound:
    """What deciding a round needs of it."""

    title: str
    amount: int
    voting_close_at: int
    seed: bytes


@dataclass(frozen=True, slots=True)
class Submitted:
    """A proposal as the funding order sees it."""

    id: int
    cost: int
    submitted_at: int
    title: str


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    id: int
    title: str
    description: str
    cost: int
    proposed_by: str  # a name, or FORMER_MEMBER
    submitted_at: int
    result: ResultRecord | None  # once the round is decided
    entry_id: int | None  # the commitment in the ledger, if funded


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """Where a proposal came in its round's funding order, and why it was funded or not."""

    position: int
    approvals: int
    funded: bool
    reason: str


@dataclass(frozen=True, slots=True)
class RoundOpen:
    """What taking a proposal needs of its round."""

    amount: int
    windows: Windows


@dataclass(frozen=True, slots=True)
class NewProposal:
    title: str
    description: str
    cost: int
    proposed_by: int
    submitted_at: int


# Given the ledger and what open rounds hold, the round to open; raises to refuse.
RoundCheck = Callable[[list[Entry], int], NewRound]
# Given the round (None: there is no such round), the proposal to add; raises to refuse.
ProposalCheck = Callable[[RoundOpen | None], NewProposal]

_ROUND_SQL = (
    "SELECT r.id, r.title, r.amount, r.opened_at, r.proposals_close_at, r.voting_open_at,"
    " r.voting_close_at, coalesce(unseal('members.name', m.name), ?), r.seed, r.resolved_at,"
    " (SELECT count(*) FROM budget_proposals p WHERE p.round_id = r.id)"
    " FROM budget_rounds r LEFT JOIN members m ON m.id = r.opened_by"
)


def _round(r: aiosqlite.Row) -> RoundRecord:
    return RoundRecord(
        r[0], r[1], r[2], Windows(r[3], r[4], r[5], r[6]), r[7], bytes(r[8]), r[9], r[10]
    )


def _proposal(r: aiosqlite.Row) -> ProposalRecord:
    result = None if r[6] is None else ResultRecord(r[6], r[7], bool(r[8]), r[9])
    return ProposalRecord(r[0], r[1], r[2], r[3], r[4], r[5], result, r[10])


async def windows_txn(conn: aiosqlite.Connection, round_id: int) -> Windows | None:
    rows = await conn.execute_fetchall(
        "SELECT opened_at, proposals_close_at, voting_open_at, voting_close_at"
        " FROM budget_rounds WHERE id = ?",
        (round_id,),
    )
    row = next(iter(rows), None)
    return None if row is None else Windows(*row)


async def proposal_ids_txn(conn: aiosqlite.Connection, round_id: int) -> list[int]:
    rows = await conn.execute_fetchall(
        "SELECT id FROM budget_proposals WHERE round_id = ?", (round_id,)
    )
    return [r[0] for r in rows]


async def due_round_txn(conn: aiosqlite.Connection, round_id: int) -> DueRound | None:
    """The round if it is not yet decided (None: another writer got there first)."""
    rows = await conn.execute_fetchall(
        "SELECT title, amount, voting_close_at, seed FROM budget_rounds"
        " WHERE id = ? AND resolved_at IS NULL",
        (round_id,),
    )
    row = next(iter(rows), None)
    return None if row is None else DueRound(row[0], row[1], row[2], bytes(row[3]))


async def submitted_txn(conn: aiosqlite.Connection, round_id: int) -> list[Submitted]:
    rows = await conn.execute_fetchall(
        "SELECT id, cost, submitted_at, title FROM budget_proposals WHERE round_id = ?",
        (round_id,),
    )
    return [Submitted(*r) for r in rows]


async def add_result_txn(
    conn: aiosqlite.Connection,
    proposal_id: int,
    round_id: int,
    position: int,
    approvals: int,
    funded: bool,
    reason: str,
    entry_id: int | None,
) -> None:
    await conn.execute(
        "INSERT INTO budget_results (proposal_id, round_id, position, approvals, funded,"
        " reason, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (proposal_id, round_id, position, approvals, int(funded), reason, entry_id),
    )


async def mark_resolved_txn(conn: aiosqlite.Connection, round_id: int, now: int) -> None:
    await conn.execute("UPDATE budget_rounds SET resolved_at = ? WHERE id = ?", (now, round_id))


class BudgetStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(self, now: int) -> list[int]:
        """The rounds whose voting has closed but that are not yet decided."""
        rows = await self._db.fetchall(
            "SELECT id FROM budget_rounds WHERE resolved_at IS NULL AND voting_close_at <= ?",
            (now,),
        )
        return [r[0] for r in rows]

    async def add_round(self, check: RoundCheck) -> tuple[int, NewRound]:
        """Open the round `check` makes of the ledger as it stands, in one transaction;
        its id, and the round as opened."""
        async with self._db.write() as conn:
            new = check(await entries_txn(conn), await reserved_txn(conn))
            cursor = await conn.execute(
                "INSERT INTO budget_rounds (title, amount, opened_by, opened_at,"
                " proposals_close_at, voting_open_at, voting_close_at, seed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.title,
                    new.amount,
                    new.opened_by,
                    new.windows.opened_at,
                    new.windows.proposals_close_at,
                    new.windows.voting_open_at,
                    new.windows.voting_close_at,
                    new.seed,
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid, new

    async def rounds(self) -> list[RoundRecord]:
        """Every round, newest first."""
        rows = await self._db.fetchall(_ROUND_SQL + " ORDER BY r.id DESC", (FORMER_MEMBER,))
        return [_round(r) for r in rows]

    async def round(self, round_id: int) -> RoundRecord | None:
        row = await self._db.fetchone(_ROUND_SQL + " WHERE r.id = ?", (FORMER_MEMBER, round_id))
        return None if row is None else _round(row)

    async def proposals(self, round_id: int) -> list[ProposalRecord]:
        """A round's proposals: in funding order once decided, else in order of submission."""
        rows = await self._db.fetchall(
            "SELECT p.id, p.title, p.description, p.cost, coalesce(unseal('members.name',"
            " m.name), ?), p.submitted_at,"
            " r.position, r.approvals, r.funded, r.reason, r.entry_id"
            " FROM budget_proposals p LEFT JOIN members m ON m.id = p.proposed_by"
            " LEFT JOIN budget_results r ON r.proposal_id = p.id WHERE p.round_id = ?"
            " ORDER BY coalesce(r.position, 0), p.id",
            (FORMER_MEMBER, round_id),
        )
        return [_proposal(r) for r in rows]

    async def add_proposal(self, round_id: int, check: ProposalCheck) -> int:
        """Add the proposal `check` makes of the round as it stands, in one transaction."""
        async with self._db.write() as conn:
            rows = await conn.execute_fetchall(
                "SELECT amount, opened_at, proposals_close_at, voting_open_at, voting_close_at"
                " FROM budget_rounds WHERE id = ?",
                (round_id,),
            )
            row = next(iter(rows), None)
            found = None if row is None else RoundOpen(row[0], Windows(*row[1:]))
            new = check(found)
            cursor = await conn.execute(
                "INSERT INTO budget_proposals (round_id, title, description, cost, proposed_by,"
                " submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
                (round_id, new.title, new.description, new.cost, new.proposed_by, new.submitted_at),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid
