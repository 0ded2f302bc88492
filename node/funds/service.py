"""The funds ledger, budget rounds and polls in SQLite: the rules in ledger.py, budget.py
and polls.py applied inside write transactions, against the injectable clock.

Windows close by the clock, not by a visit: a round whose voting has closed, or
a poll whose window has passed, is settled by the first read or write that
sees it (`settle`), and what is settled depends only on what was stored before
the window closed (votes after it are refused), the round's seed and the close
time. Nothing here is ever sent to another hub.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiosqlite

from node.accounts.members import Member
from node.accounts.permissions import Permission
from node.clock import Clock
from node.funds import budget, ledger, notices, polls
from node.funds.errors import FundsError, FundsNotFound
from node.funds.ledger import Draft, Entry, Kind, Summary
from node.funds.receipts import Receipt, ReceiptFiles
from node.funds.units import day_of
from node.store import ballots
from node.store.ballots import BallotBox
from node.store.database import Database

log = logging.getLogger(__name__)

NoticeHook = Callable[[Sequence[notices.Notice]], Awaitable[None]]
FORMER_MEMBER = "a former member"


async def log_notices(items: Sequence[notices.Notice]) -> None:
    """The default hook, until notices are wired to members (node/funds/notices.py)."""
    for item in items:
        log.info("notice for members: %s (%s)", item.text, item.link)


async def _rows(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    return list(await conn.execute_fetchall(sql, params))


async def _row(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any | None:
    return next(iter(await _rows(conn, sql, params)), None)


def _require(actor: Member, permission: Permission, what: str) -> None:
    if not actor.can(permission):
        raise FundsError(f"Only {what} can do that.")


# -- what the pages show -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryView:
    entry: Entry
    recorded_by: str
    recorded_at: int
    receipt_type: str | None
    corrected_by: int | None
    round_id: int | None
    outstanding: int | None  # for a commitment in force: what is still reserved


@dataclass(frozen=True, slots=True)
class RoundView:
    id: int
    title: str
    amount: int
    windows: budget.Windows
    phase: budget.Phase
    opened_by: str
    seed: bytes
    resolved_at: int | None
    proposal_count: int


@dataclass(frozen=True, slots=True)
class ProposalView:
    id: int
    title: str
    description: str
    cost: int
    proposed_by: str
    submitted_at: int
    outcome: budget.Outcome | None  # once the round is decided
    entry_id: int | None  # the commitment in the ledger, if funded


@dataclass(frozen=True, slots=True)
class PollView:
    id: int
    title: str
    body: str
    kind: polls.PollKind
    options: tuple[str, ...]
    quorum_percent: int
    electorate: int
    proposed_by: str
    opens_at: int
    closes_at: int
    is_open: bool
    result: polls.PollResult | None  # once the window has closed


class Funds:
    def __init__(
        self, db: Database, clock: Clock, receipts: ReceiptFiles, notify: NoticeHook = log_notices
    ) -> None:
        self._db = db
        self._clock = clock
        self._box = BallotBox(db)
        self.receipts = receipts
        # Integration point: every notice the funds pages make goes through this hook.
        self.notify = notify

    # -- settling closed windows ---------------------------------------------------

    async def settle(self) -> None:
        """Decide every round whose voting has closed and publish every poll whose window
        has; each exactly once, whoever triggers it and whenever."""
        now = self._clock()
        due_rounds = await self._db.fetchall(
            "SELECT id FROM budget_rounds WHERE resolved_at IS NULL AND voting_close_at <= ?",
            (now,),
        )
        due_polls = await self._db.fetchall(
            "SELECT id FROM polls WHERE published_at IS NULL AND closes_at <= ?", (now,)
        )
        if not due_rounds and not due_polls:
            return
        made: list[notices.Notice] = []
        async with self._db.write() as conn:
            for (round_id,) in due_rounds:
                made.extend(await self._resolve_round(conn, round_id, now))
            for (poll_id,) in due_polls:
                made.extend(await self._publish_poll(conn, poll_id, now))
        if made:
            await self.notify(made)

    async def _resolve_round(
        self, conn: aiosqlite.Connection, round_id: int, now: int
    ) -> list[notices.Notice]:
        row = await _row(
            conn,
            "SELECT title, amount, voting_close_at, seed FROM budget_rounds"
            " WHERE id = ? AND resolved_at IS NULL",
            (round_id,),
        )
        if row is None:  # another writer got here first
            return []
        title, amount, voting_close_at, seed = row
        proposals = {
            r[0]: r
            for r in await _rows(
                conn,
                "SELECT id, cost, submitted_at, title FROM budget_proposals WHERE round_id = ?",
                (round_id,),
            )
        }
        # Each entry is [proposal, 1] for an approval, [proposal, 0] for none.
        approvals = Counter(
            proposal
            for proposal, approved in await ballots.choices_txn(
                conn, ballots.contest("budget", round_id)
            )
            if approved
        )
        outcomes = budget.allocate(
            amount,
            [budget.Candidate(p[0], p[1], p[2]) for p in proposals.values()],
            approvals,
            bytes(seed),
        )
        day = day_of(voting_close_at).isoformat()
        funded_total = 0
        for outcome in outcomes:
            entry_id = None
            if outcome.funded:
                cursor = await conn.execute(
                    "INSERT INTO ledger_entries (kind, amount, entry_date, category, note,"
                    " round_id, proposal_id, recorded_by, recorded_at)"
                    " VALUES ('commitment', ?, ?, ?, ?, ?, ?, NULL, ?)",
                    (
                        outcome.cost,
                        day,
                        ledger.BUDGET_CATEGORY,
                        f"{title}: {proposals[outcome.id][3]}"[: ledger.MAX_NOTE],
                        round_id,
                        outcome.id,
                        now,
                    ),
                )
                entry_id = cursor.lastrowid
                funded_total += outcome.cost
            await conn.execute(
                "INSERT INTO budget_results (proposal_id, round_id, position, approvals, funded,"
                " reason, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    outcome.id,
                    round_id,
                    outcome.position,
                    outcome.approvals,
                    int(outcome.funded),
                    outcome.reason,
                    entry_id,
                ),
            )
        await conn.execute("UPDATE budget_rounds SET resolved_at = ? WHERE id = ?", (now, round_id))
        funded = sum(1 for o in outcomes if o.funded)
        return [notices.budget_result_published(round_id, title, funded, funded_total)]

    async def _publish_poll(
        self, conn: aiosqlite.Connection, poll_id: int, now: int
    ) -> list[notices.Notice]:
        cursor = await conn.execute(
            "UPDATE polls SET published_at = ? WHERE id = ? AND published_at IS NULL",
            (now, poll_id),
        )
        if cursor.rowcount != 1:
            return []
        view = await self._poll(conn, poll_id, now)
        assert view is not None and view.result is not None
        return [notices.poll_closed(poll_id, view.title, view.result.outcome)]

    # -- the ledger ----------------------------------------------------------------------

    async def _entries(self, conn: aiosqlite.Connection) -> list[Entry]:
        return [
            Entry(r[0], Kind(r[1]), r[2], date.fromisoformat(r[3]), r[4], r[5], r[6], r[7])
            for r in await _rows(
                conn,
                "SELECT id, kind, amount, entry_date, category, note, corrects, against"
                " FROM ledger_entries ORDER BY id",
            )
        ]

    async def _reserved(self, conn: aiosqlite.Connection) -> int:
        row = await _row(
            conn, "SELECT coalesce(sum(amount), 0) FROM budget_rounds WHERE resolved_at IS NULL"
        )
        return int(row[0]) if row else 0

    async def summary(self) -> Summary:
        await self.settle()
        conn = self._db.reader
        return ledger.summarise(await self._entries(conn), await self._reserved(conn))

    async def ledger(self) -> tuple[Summary, list[EntryView]]:
        """The summary and every entry, newest first, corrections and all."""
        await self.settle()
        conn = self._db.reader
        entries = await self._entries(conn)
        summary = ledger.summarise(entries, await self._reserved(conn))
        replaced = ledger.superseded(entries)
        left = ledger.outstanding(entries)
        extra = {
            r[0]: r[1:]
            for r in await _rows(
                conn,
                "SELECT e.id, coalesce(m.name, CASE WHEN e.recorded_by IS NULL"
                " THEN 'the hub (budget result)' ELSE ? END), e.recorded_at, e.receipt_type,"
                " e.round_id FROM ledger_entries e LEFT JOIN members m ON m.id = e.recorded_by",
                (FORMER_MEMBER,),
            )
        }
        views = [
            EntryView(
                entry=e,
                recorded_by=extra[e.id][0],
                recorded_at=extra[e.id][1],
                receipt_type=extra[e.id][2],
                corrected_by=replaced.get(e.id),
                round_id=extra[e.id][3],
                outstanding=left.get(e.id),
            )
            for e in reversed(entries)
        ]
        return summary, views

    async def categories(self) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT DISTINCT category FROM ledger_entries WHERE kind <> 'void' ORDER BY category"
        )
        return [r[0] for r in rows]

    async def record(self, actor: Member, draft: Draft, receipt: Receipt | None = None) -> int:
        """Add an entry to the ledger (a correction if it names one); its id."""
        _require(actor, Permission.MANAGE_FUNDS, "the treasurer")
        await self.settle()
        today = day_of(self._clock())
        async with self._db.write() as conn:
            entries = await self._entries(conn)
            available = ledger.summarise(entries, await self._reserved(conn)).available
            checked = ledger.check_draft(entries, draft, today, available)
            round_id = proposal_id = None
            if checked.corrects is not None:  # a correction keeps the link to a budget result
                row = await _row(
                    conn,
                    "SELECT round_id, proposal_id FROM ledger_entries WHERE id = ?",
                    (checked.corrects,),
                )
                round_id, proposal_id = row if row else (None, None)
            if receipt is not None:
                await asyncio.to_thread(self.receipts.save, receipt)
            cursor = await conn.execute(
                "INSERT INTO ledger_entries (kind, amount, entry_date, category, note, corrects,"
                " against, round_id, proposal_id, receipt_hash, receipt_type, receipt_size,"
                " recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    checked.kind.value,
                    checked.amount,
                    checked.day.isoformat(),
                    checked.category,
                    checked.note,
                    checked.corrects,
                    checked.against,
                    round_id,
                    proposal_id,
                    receipt.digest if receipt else None,
                    receipt.media_type if receipt else None,
                    receipt.size if receipt else None,
                    actor.id,
                    self._clock(),
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def receipt(self, entry_id: int) -> tuple[Path, str] | None:
        """Where an entry's receipt file is and its (checked) media type, if it has one."""
        row = await self._db.fetchone(
            "SELECT receipt_hash, receipt_type FROM ledger_entries WHERE id = ?"
            " AND receipt_hash IS NOT NULL",
            (entry_id,),
        )
        if row is None:
            return None
        path = self.receipts.path(bytes(row[0]))
        return (path, str(row[1])) if path.is_file() else None

    # -- budget rounds --------------------------------------------------------------------

    async def open_round(
        self,
        actor: Member,
        title: str,
        amount: int,
        proposals_close_at: int,
        voting_open_at: int,
        voting_close_at: int,
    ) -> int:
        _require(actor, Permission.MANAGE_FUNDS, "the treasurer")
        await self.settle()
        now = self._clock()
        windows = budget.check_windows(
            budget.Windows(now, proposals_close_at, voting_open_at, voting_close_at)
        )
        async with self._db.write() as conn:
            entries = await self._entries(conn)
            available = ledger.summarise(entries, await self._reserved(conn)).available
            clean_title, amount = budget.check_round(title, amount, available)
            cursor = await conn.execute(
                "INSERT INTO budget_rounds (title, amount, opened_by, opened_at,"
                " proposals_close_at, voting_open_at, voting_close_at, seed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    clean_title,
                    amount,
                    actor.id,
                    now,
                    windows.proposals_close_at,
                    windows.voting_open_at,
                    windows.voting_close_at,
                    secrets.token_bytes(16),
                ),
            )
            round_id = cursor.lastrowid
            assert round_id is not None
        await self.notify(
            [
                notices.budget_round_opened(
                    round_id, clean_title, amount, proposals_close_at, voting_open_at
                )
            ]
        )
        return round_id

    _ROUND_SQL = (
        "SELECT r.id, r.title, r.amount, r.opened_at, r.proposals_close_at, r.voting_open_at,"
        " r.voting_close_at, coalesce(m.name, ?), r.seed, r.resolved_at,"
        " (SELECT count(*) FROM budget_proposals p WHERE p.round_id = r.id)"
        " FROM budget_rounds r LEFT JOIN members m ON m.id = r.opened_by"
    )

    def _round_view(self, r: Any, now: int) -> RoundView:
        windows = budget.Windows(r[3], r[4], r[5], r[6])
        return RoundView(
            r[0], r[1], r[2], windows, budget.phase(windows, now), r[7], bytes(r[8]), r[9], r[10]
        )

    async def rounds(self) -> list[RoundView]:
        await self.settle()
        now = self._clock()
        rows = await self._db.fetchall(self._ROUND_SQL + " ORDER BY r.id DESC", (FORMER_MEMBER,))
        return [self._round_view(r, now) for r in rows]

    async def get_round(self, round_id: int) -> RoundView | None:
        await self.settle()
        row = await self._db.fetchone(
            self._ROUND_SQL + " WHERE r.id = ?", (FORMER_MEMBER, round_id)
        )
        return None if row is None else self._round_view(row, self._clock())

    async def proposals(self, round_id: int) -> list[ProposalView]:
        """A round's proposals: in funding order once decided, else in order of submission."""
        await self.settle()
        rows = await self._db.fetchall(
            "SELECT p.id, p.title, p.description, p.cost, coalesce(m.name, ?), p.submitted_at,"
            " r.position, r.approvals, r.funded, r.reason, r.entry_id"
            " FROM budget_proposals p LEFT JOIN members m ON m.id = p.proposed_by"
            " LEFT JOIN budget_results r ON r.proposal_id = p.id WHERE p.round_id = ?"
            " ORDER BY coalesce(r.position, 0), p.id",
            (FORMER_MEMBER, round_id),
        )
        views = []
        for r in rows:
            outcome = None
            if r[6] is not None:
                # What was left when it was considered is in the reason; not kept apart.
                outcome = budget.Outcome(r[0], r[6], r[7], r[3], bool(r[8]), 0, r[9])
            views.append(ProposalView(r[0], r[1], r[2], r[3], r[4], r[5], outcome, r[10]))
        return views

    async def propose(
        self, actor: Member, round_id: int, title: str, description: str, cost: int
    ) -> int:
        _require(actor, Permission.MEMBER, "members")
        async with self._db.write() as conn:
            row = await _row(
                conn,
                "SELECT amount, opened_at, proposals_close_at, voting_open_at, voting_close_at"
                " FROM budget_rounds WHERE id = ?",
                (round_id,),
            )
            if row is None:
                raise FundsNotFound("There is no such budget round.")
            now = self._clock()
            windows = budget.Windows(row[1], row[2], row[3], row[4])
            clean_title, clean_description, cost = budget.check_proposal(
                windows, now, row[0], title, description, cost
            )
            cursor = await conn.execute(
                "INSERT INTO budget_proposals (round_id, title, description, cost, proposed_by,"
                " submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
                (round_id, clean_title, clean_description, cost, actor.id, now),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def approve(self, actor: Member, round_id: int, proposal_ids: Sequence[int]) -> None:
        """Record a member's approvals in a round: once, all at once, in the hub's ballot
        box (node/store/ballots.py), apart from their name."""
        _require(actor, Permission.MEMBER, "members")

        async def checked(conn: aiosqlite.Connection) -> ballots.Ballot:
            row = await _row(
                conn,
                "SELECT opened_at, proposals_close_at, voting_open_at, voting_close_at"
                " FROM budget_rounds WHERE id = ?",
                (round_id,),
            )
            if row is None:
                raise FundsNotFound("There is no such budget round.")
            ids = [
                r[0]
                for r in await _rows(
                    conn, "SELECT id FROM budget_proposals WHERE round_id = ?", (round_id,)
                )
            ]
            approved = budget.check_ballot(budget.Windows(*row), self._clock(), ids, proposal_ids)
            # One entry for every proposal, approved or not: the box then keeps how many
            # approved each, never which approvals went together or how many one gave.
            every = [[p, 1] for p in ids]
            return ballots.Ballot(
                tuple([p, int(p in approved)] for p in sorted(ids)), ballots.width_for(every)
            )

        await self._box.cast(
            ballots.contest("budget", round_id),
            actor.id,
            checked,
            FundsError("You have already sent your approvals in this round."),
        )

    async def has_approved(self, member_id: int, round_id: int) -> bool:
        return await self._box.has_voted(ballots.contest("budget", round_id), member_id)

    async def voters(self, round_id: int) -> int:
        return await self._box.turnout(ballots.contest("budget", round_id))

    # -- polls ------------------------------------------------------------------------------

    async def open_poll(
        self,
        actor: Member,
        title: str,
        body: str,
        kind: polls.PollKind,
        options: Sequence[str],
        quorum_percent: int,
        closes_at: int,
    ) -> int:
        _require(actor, Permission.MEMBER, "members")
        await self.settle()
        now = self._clock()
        draft = polls.check_poll(title, body, kind, options, quorum_percent, now, closes_at)
        async with self._db.write() as conn:
            electorate = [
                r[0] for r in await _rows(conn, "SELECT id FROM members WHERE status = 'active'")
            ]
            cursor = await conn.execute(
                "INSERT INTO polls (title, body, kind, options, quorum_percent, electorate,"
                " proposed_by, opens_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.title,
                    draft.body,
                    draft.kind.value,
                    json.dumps(list(draft.options)),
                    draft.quorum_percent,
                    len(electorate),
                    actor.id,
                    draft.opens_at,
                    draft.closes_at,
                ),
            )
            poll_id = cursor.lastrowid
            assert poll_id is not None
            await conn.executemany(
                "INSERT INTO poll_electorate (poll_id, member_id) VALUES (?, ?)",
                [(poll_id, m) for m in electorate],
            )
        await self.notify([notices.poll_opened(poll_id, draft.title, draft.closes_at)])
        return poll_id

    _POLL_SQL = (
        "SELECT p.id, p.title, p.body, p.kind, p.options, p.quorum_percent, p.electorate,"
        " coalesce(m.name, ?), p.opens_at, p.closes_at FROM polls p"
        " LEFT JOIN members m ON m.id = p.proposed_by"
    )

    async def _poll_view(self, conn: aiosqlite.Connection, r: Any, now: int) -> PollView:
        kind = polls.PollKind(r[3])
        options = tuple(json.loads(r[4]))
        result = None
        if now >= r[9]:
            counted = Counter(await ballots.choices_txn(conn, ballots.contest("poll", r[0])))
            counts = [counted.get(i, 0) for i in range(len(options))]
            result = polls.result(kind, options, counts, r[6], r[5])
        return PollView(
            r[0], r[1], r[2], kind, options, r[5], r[6], r[7], r[8], r[9],
            polls.is_open(r[8], r[9], now), result,
        )  # fmt: skip

    async def _poll(self, conn: aiosqlite.Connection, poll_id: int, now: int) -> PollView | None:
        row = await _row(conn, self._POLL_SQL + " WHERE p.id = ?", (FORMER_MEMBER, poll_id))
        return None if row is None else await self._poll_view(conn, row, now)

    async def polls(self) -> list[PollView]:
        await self.settle()
        now = self._clock()
        conn = self._db.reader
        rows = await _rows(conn, self._POLL_SQL + " ORDER BY p.id DESC", (FORMER_MEMBER,))
        return [await self._poll_view(conn, r, now) for r in rows]

    async def poll(self, poll_id: int) -> PollView | None:
        await self.settle()
        return await self._poll(self._db.reader, poll_id, self._clock())

    async def vote(self, actor: Member, poll_id: int, choice: int) -> None:
        """Record one secret vote in the hub's ballot box (node/store/ballots.py), which
        keeps that the member voted and what they chose apart, in no order."""
        _require(actor, Permission.MEMBER, "members")

        async def checked(conn: aiosqlite.Connection) -> ballots.Ballot:
            row = await _row(
                conn, "SELECT opens_at, closes_at, options FROM polls WHERE id = ?", (poll_id,)
            )
            if row is None:
                raise FundsNotFound("There is no such poll.")
            if not await _row(
                conn,
                "SELECT 1 FROM poll_electorate WHERE poll_id = ? AND member_id = ?",
                (poll_id, actor.id),
            ):
                raise FundsError(
                    "You were not yet a member when this poll opened, so you cannot vote in it."
                )
            options = json.loads(row[2])
            polls.check_vote(row[0], row[1], self._clock(), options, choice)
            return ballots.Ballot((choice,), ballots.width_for(range(len(options))))

        await self._box.cast(
            ballots.contest("poll", poll_id),
            actor.id,
            checked,
            FundsError("You have already voted in this poll."),
        )

    async def voter_status(self, member_id: int, poll_id: int) -> str:
        """ "voted", "can-vote" or "not-eligible" (joined after the poll opened)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM poll_electorate WHERE poll_id = ? AND member_id = ?",
            (poll_id, member_id),
        )
        if row is None:
            return "not-eligible"
        voted = await self._box.has_voted(ballots.contest("poll", poll_id), member_id)
        return "voted" if voted else "can-vote"

    async def turnout(self, poll_id: int) -> int:
        return await self._box.turnout(ballots.contest("poll", poll_id))
