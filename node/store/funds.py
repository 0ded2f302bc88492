"""SQL for the hub's funds ledger and the receipts its entries point to.

The ledger only grows (migration 5's triggers refuse UPDATE and DELETE). Whether
an entry may be added is decided by node/funds/books.py in the `check` it hands
`LedgerStore.add`: it runs inside the write transaction that reads the ledger
and adds the entry, so two entries sent at once cannot both spend the same money.
Rows come back as the rules' own values (`node.funds.ledger.Entry`), which are
pure and import nothing from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

import aiosqlite

from node.funds.ledger import Draft, Entry, Kind
from node.store.database import Database

# Shown in place of the name of a member whose record has gone.
FORMER_MEMBER = "a former member"


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """What the ledger keeps about an entry beyond the entry itself."""

    recorded_by: str  # a name, "the hub (budget result)" or FORMER_MEMBER
    recorded_at: int
    receipt_type: str | None
    round_id: int | None


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A checked entry and who records it, with its receipt's particulars if any."""

    draft: Draft  # as ledger.check_draft returned it
    recorded_by: int
    recorded_at: int
    receipt_hash: bytes | None = None
    receipt_type: str | None = None
    receipt_size: int | None = None


# Given the ledger and what open budget rounds hold, the entry to add; raises to refuse.
EntryCheck = Callable[[list[Entry], int], Awaitable[NewEntry]]


async def entries_txn(conn: aiosqlite.Connection) -> list[Entry]:
    """Every entry, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT id, kind, amount, entry_date, category, note, corrects, against"
        " FROM ledger_entries ORDER BY id"
    )
    return [
        Entry(r[0], Kind(r[1]), r[2], date.fromisoformat(r[3]), r[4], r[5], r[6], r[7])
        for r in rows
    ]


async def reserved_txn(conn: aiosqlite.Connection) -> int:
    """What the budget rounds not yet decided hold."""
    rows = await conn.execute_fetchall(
        "SELECT coalesce(sum(amount), 0) FROM budget_rounds WHERE resolved_at IS NULL"
    )
    row = next(iter(rows), None)
    return int(row[0]) if row else 0


async def add_commitment_txn(
    conn: aiosqlite.Connection,
    amount: int,
    day: str,
    category: str,
    note: str,
    round_id: int,
    proposal_id: int,
    now: int,
) -> int:
    """A budget round's funded proposal as a commitment recorded by the hub; its id."""
    cursor = await conn.execute(
        "INSERT INTO ledger_entries (kind, amount, entry_date, category, note,"
        " round_id, proposal_id, recorded_by, recorded_at)"
        " VALUES ('commitment', ?, ?, ?, ?, ?, ?, NULL, ?)",
        (amount, day, category, note, round_id, proposal_id, now),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


class LedgerStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def entries(self) -> list[Entry]:
        return await entries_txn(self._db.reader)

    async def reserved(self) -> int:
        return await reserved_txn(self._db.reader)

    async def records(self) -> dict[int, EntryRecord]:
        """Who recorded each entry and when, its receipt's type and its budget round."""
        rows = await self._db.fetchall(
            "SELECT e.id, coalesce(unseal('members.name', m.name), CASE WHEN e.recorded_by IS NULL"
            " THEN 'the hub (budget result)' ELSE ? END), e.recorded_at, e.receipt_type,"
            " e.round_id FROM ledger_entries e LEFT JOIN members m ON m.id = e.recorded_by",
            (FORMER_MEMBER,),
        )
        return {r[0]: EntryRecord(r[1], r[2], r[3], r[4]) for r in rows}

    async def categories(self) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT DISTINCT category FROM ledger_entries WHERE kind <> 'void' ORDER BY category"
        )
        return [r[0] for r in rows]

    async def add(self, check: EntryCheck) -> int:
        """Add the entry `check` makes of the ledger as it stands, in one transaction; its
        id. A correction keeps the link to the budget result of the entry it corrects."""
        async with self._db.write() as conn:
            new = await check(await entries_txn(conn), await reserved_txn(conn))
            draft = new.draft
            round_id = proposal_id = None
            if draft.corrects is not None:
                rows = await conn.execute_fetchall(
                    "SELECT round_id, proposal_id FROM ledger_entries WHERE id = ?",
                    (draft.corrects,),
                )
                row = next(iter(rows), None)
                round_id, proposal_id = row if row else (None, None)
            cursor = await conn.execute(
                "INSERT INTO ledger_entries (kind, amount, entry_date, category, note, corrects,"
                " against, round_id, proposal_id, receipt_hash, receipt_type, receipt_size,"
                " recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.kind.value,
                    draft.amount,
                    draft.day.isoformat(),
                    draft.category,
                    draft.note,
                    draft.corrects,
                    draft.against,
                    round_id,
                    proposal_id,
                    new.receipt_hash,
                    new.receipt_type,
                    new.receipt_size,
                    new.recorded_by,
                    new.recorded_at,
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def receipt(self, entry_id: int) -> tuple[bytes, str] | None:
        """The hash and media type of an entry's receipt, if it has one."""
        row = await self._db.fetchone(
            "SELECT receipt_hash, receipt_type FROM ledger_entries WHERE id = ?"
            " AND receipt_hash IS NOT NULL",
            (entry_id,),
        )
        return None if row is None else (bytes(row[0]), str(row[1]))
