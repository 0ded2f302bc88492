"""Participatory budgeting: rounds, proposals and approvals, the rules of budget.py applied
to what node/store/budget.py keeps; approvals go into the hub's one ballot box.

A round whose voting has closed is decided by the first read or write that sees it
(`resolve_txn`, run by `Funds.settle`), and what is decided depends only on what was
stored before the close (approvals after it are refused), the round's seed and the
close time.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import aiosqlite

from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.funds import budget, ledger, notices
from node.funds.choices import Choices
from node.funds.errors import FundsError, FundsNotAllowed, FundsNotFound
from node.funds.hooks import NoticeHook, Settle
from node.funds.ledger import Entry
from node.funds.units import day_of
from node.store import ballots
from node.store import budget as store
from node.store.ballots import BallotBox
from node.store.budget import (
    NewProposal,
    NewRound,
    ProposalCheck,
    ProposalRecord,
    RoundCheck,
    RoundOpen,
    RoundRecord,
)
from node.store.funds import add_commitment_txn


class RoundRecords(Protocol):
    """What the rounds need of node/store/budget.py (`BudgetStore`)."""

    async def add_round(self, check: RoundCheck) -> tuple[int, NewRound]: ...
    async def rounds(self) -> list[RoundRecord]: ...
    async def round(self, round_id: int) -> RoundRecord | None: ...
    async def proposals(self, round_id: int) -> list[ProposalRecord]: ...
    async def add_proposal(self, round_id: int, check: ProposalCheck) -> int: ...


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


def _round_view(r: RoundRecord, now: int) -> RoundView:
    return RoundView(
        r.id, r.title, r.amount, r.windows, budget.phase(r.windows, now), r.opened_by, r.seed,
        r.resolved_at, r.proposal_count,
    )  # fmt: skip


class Rounds:
    def __init__(
        self,
        store: RoundRecords,
        box: BallotBox,
        clock: Clock,
        settle: Settle,
        notify: NoticeHook,
        shortest_window_ms: int = budget.MIN_WINDOW_MS,
    ) -> None:
        self._store = store
        self._box = box
        self._clock = clock
        self._settle = settle
        self._notify = notify
        self._shortest = shortest_window_ms
        self._choices = Choices()

    def forget_choices(self) -> None:
        """Drop every member's choices being made (the hub was locked: node/atrest.py)."""
        self._choices.clear()

    @property
    def shortest_window_ms(self) -> int:
        return self._shortest

    async def open_round(
        self,
        by: Member,
        title: str,
        amount: int,
        proposals_close_at: int,
        voting_open_at: int,
        voting_close_at: int,
    ) -> int:
        require(by, Permission.MANAGE_FUNDS, FundsNotAllowed)
        await self._settle()
        now = self._clock()
        windows = budget.check_windows(
            budget.Windows(now, proposals_close_at, voting_open_at, voting_close_at),
            self._shortest,
        )

        def checked(entries: list[Entry], reserved: int) -> NewRound:
            # In the write transaction: the amount cannot be promised twice.
            available = ledger.summarise(entries, reserved).available
            clean_title, clean_amount = budget.check_round(title, amount, available)
            return NewRound(clean_title, clean_amount, windows, by.id, secrets.token_bytes(16))

        round_id, opened = await self._store.add_round(checked)
        await self._notify(
            [
                notices.budget_round_opened(
                    round_id, opened.title, opened.amount, proposals_close_at, voting_open_at
                )
            ]
        )
        return round_id

    async def rounds(self) -> list[RoundView]:
        await self._settle()
        now = self._clock()
        return [_round_view(r, now) for r in await self._store.rounds()]

    async def get_round(self, round_id: int) -> RoundView | None:
        await self._settle()
        found = await self._store.round(round_id)
        return None if found is None else _round_view(found, self._clock())

    async def proposals(self, round_id: int) -> list[ProposalView]:
        """A round's proposals: in funding order once decided, else in order of submission."""
        await self._settle()
        views = []
        for p in await self._store.proposals(round_id):
            outcome = None
            if (r := p.result) is not None:
                # What was left when it was considered is in the reason; not kept apart.
                outcome = budget.Outcome(
                    p.id, r.position, r.approvals, p.cost, r.funded, 0, r.reason
                )
            views.append(
                ProposalView(
                    p.id,
                    p.title,
                    p.description,
                    p.cost,
                    p.proposed_by,
                    p.submitted_at,
                    outcome,
                    p.entry_id,
                )
            )
        return views

    async def propose(
        self, by: Member, round_id: int, title: str, description: str, cost: int
    ) -> int:
        require(by, Permission.MEMBER, FundsNotAllowed)

        def checked(found: RoundOpen | None) -> NewProposal:
            # In the write transaction that adds it: the window is judged as it stands.
            if found is None:
                raise FundsNotFound("There is no such budget round.")
            now = self._clock()
            clean_title, clean_description, clean_cost = budget.check_proposal(
                found.windows, now, found.amount, title, description, cost
            )
            return NewProposal(clean_title, clean_description, clean_cost, by.id, now)

        return await self._store.add_proposal(round_id, checked)

    async def approve(self, by: Member, round_id: int, proposal_ids: Sequence[int]) -> None:
        """Record a member's approvals in a round: once, all at once, in the hub's ballot
        box (node/store/ballots.py), apart from their name."""
        require(by, Permission.MEMBER, FundsNotAllowed)

        async def checked(conn: aiosqlite.Connection) -> ballots.Ballot:
            # In the ballot box's transaction, after its check for a second ballot.
            windows = await store.windows_txn(conn, round_id)
            if windows is None:
                raise FundsNotFound("There is no such budget round.")
            ids = await store.proposal_ids_txn(conn, round_id)
            approved = budget.check_ballot(windows, self._clock(), ids, proposal_ids)
            # One entry for every proposal, approved or not: the box then keeps how many
            # approved each, never which approvals went together or how many one gave.
            every = [[p, 1] for p in ids]
            return ballots.Ballot(
                tuple([p, int(p in approved)] for p in sorted(ids)), ballots.width_for(every)
            )

        await self._box.cast(
            ballots.contest("budget", round_id),
            by.id,
            checked,
            FundsError("You have already sent your approvals in this round."),
        )
        self._choices.forget(by.id, round_id)

    async def choose(self, by: Member, round_id: int, proposal_id: int, chosen: bool) -> None:
        """Add a proposal to the approvals `by` is making in a round, or take it out. The
        choices are kept in memory until sent (node/funds/choices.py)."""
        require(by, Permission.MEMBER, FundsNotAllowed)
        found = await self.get_round(round_id)
        if found is None:
            raise FundsNotFound("There is no such budget round.")
        now = self._clock()
        if found.phase is not budget.Phase.VOTING:
            budget.check_ballot(found.windows, now, [proposal_id], [proposal_id])
        if proposal_id not in {p.id for p in await self._store.proposals(round_id)}:
            raise FundsError("You can only approve proposals made in this round.")
        if await self.has_approved(by.id, round_id):
            raise FundsError("You have already sent your approvals in this round.")
        held = self._choices.of(by.id, round_id, now)
        self._choices.set(
            by.id, round_id, held | {proposal_id} if chosen else held - {proposal_id}, now
        )

    def chosen(self, member_id: int, round_id: int) -> frozenset[int]:
        """The proposals a member has chosen in a round and not yet sent."""
        return self._choices.of(member_id, round_id, self._clock())

    async def has_approved(self, member_id: int, round_id: int) -> bool:
        return await self._box.has_voted(ballots.contest("budget", round_id), member_id)

    async def voters(self, round_id: int) -> int:
        return await self._box.turnout(ballots.contest("budget", round_id))

    async def resolve_txn(
        self, conn: aiosqlite.Connection, round_id: int, now: int
    ) -> list[notices.Notice]:
        """Decide a round whose voting has closed, in the settling transaction: fund its
        proposals in order as commitments and keep every result; its notice."""
        due = await store.due_round_txn(conn, round_id)
        if due is None:  # another writer got here first
            return []
        proposals = {p.id: p for p in await store.submitted_txn(conn, round_id)}
        # Each entry is [proposal, 1] for an approval, [proposal, 0] for none.
        approvals = Counter(
            proposal
            for proposal, approved in await ballots.choices_txn(
                conn, ballots.contest("budget", round_id)
            )
            if approved
        )
        outcomes = budget.allocate(
            due.amount,
            [budget.Candidate(p.id, p.cost, p.submitted_at) for p in proposals.values()],
            approvals,
            due.seed,
        )
        day = day_of(due.voting_close_at).isoformat()
        funded_total = 0
        for outcome in outcomes:
            entry_id = None
            if outcome.funded:
                entry_id = await add_commitment_txn(
                    conn,
                    outcome.cost,
                    day,
                    ledger.BUDGET_CATEGORY,
                    f"{due.title}: {proposals[outcome.id].title}"[: ledger.MAX_NOTE],
                    round_id,
                    outcome.id,
                    now,
                )
                funded_total += outcome.cost
            await store.add_result_txn(
                conn, outcome.id, round_id, outcome.position, outcome.approvals, outcome.funded,
                outcome.reason, entry_id,
            )  # fmt: skip
        await store.mark_resolved_txn(conn, round_id, now)
        funded = sum(1 for o in outcomes if o.funded)
        return [notices.budget_result_published(round_id, due.title, funded, funded_total)]
