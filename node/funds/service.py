"""`Funds` (`node.funds`): the ledger (books.py), budget rounds (rounds.py) and polls
(polling.py) behind one name for the pages, and the settling of closed windows.

Windows close by the clock, not by a visit: a round whose voting has closed, or
a poll whose window has passed, is settled by the first read or write that
sees it (`settle`), and what is settled depends only on what was stored before
the window closed (votes after it are refused), the round's seed and the close
time. Nothing here is ever sent to another hub.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from node.accounts.members import Member
from node.clock import Clock
from node.funds import notices, polls
from node.funds.books import Books, EntryView
from node.funds.hooks import NoticeHook, log_notices
from node.funds.ledger import Draft, Summary
from node.funds.polling import Polling, PollView
from node.funds.receipts import Receipt, ReceiptFiles
from node.funds.rounds import ProposalView, Rounds, RoundView
from node.store.ballots import BallotBox
from node.store.budget import BudgetStore
from node.store.database import Database
from node.store.funds import LedgerStore
from node.store.polls import PollStore


class Funds:
    def __init__(
        self, db: Database, clock: Clock, receipts: ReceiptFiles, notify: NoticeHook = log_notices
    ) -> None:
        self._db = db
        self._clock = clock
        self._budget = BudgetStore(db)
        self._polls = PollStore(db)
        box = BallotBox(db)
        self.books = Books(LedgerStore(db), clock, receipts, self.settle)
        self.budgeting = Rounds(self._budget, box, clock, self.settle, self._notify)
        self.polling = Polling(self._polls, box, clock, self.settle, self._notify)
        # Integration point: every notice the funds pages make goes through this hook.
        self.notify = notify

    async def _notify(self, items: Sequence[notices.Notice]) -> None:
        # Looked up at each call, so the hook can be changed after the services are built.
        await self.notify(items)

    async def settle(self) -> None:
        """Decide every round whose voting has closed and publish every poll whose window
        has; each exactly once, whoever triggers it and whenever."""
        now = self._clock()
        due_rounds = await self._budget.due(now)
        due_polls = await self._polls.due(now)
        if not due_rounds and not due_polls:
            return
        made: list[notices.Notice] = []
        async with self._db.write() as conn:  # one transaction for all that is due
            for round_id in due_rounds:
                made.extend(await self.budgeting.resolve_txn(conn, round_id, now))
            for poll_id in due_polls:
                made.extend(await self.polling.publish_txn(conn, poll_id, now))
        if made:
            await self.notify(made)

    # -- the ledger (books.py) -----------------------------------------------------------

    async def summary(self) -> Summary:
        return await self.books.summary()

    async def ledger(self) -> tuple[Summary, list[EntryView]]:
        return await self.books.ledger()

    async def categories(self) -> list[str]:
        return await self.books.categories()

    async def record(self, by: Member, draft: Draft, receipt: Receipt | None = None) -> int:
        return await self.books.record(by, draft, receipt)

    async def receipt(self, entry_id: int) -> tuple[Path, str] | None:
        return await self.books.receipt(entry_id)

    # -- budget rounds (rounds.py) -------------------------------------------------------

    async def open_round(
        self,
        by: Member,
        title: str,
        amount: int,
        proposals_close_at: int,
        voting_open_at: int,
        voting_close_at: int,
    ) -> int:
        return await self.budgeting.open_round(
            by, title, amount, proposals_close_at, voting_open_at, voting_close_at
        )

    async def rounds(self) -> list[RoundView]:
        return await self.budgeting.rounds()

    async def get_round(self, round_id: int) -> RoundView | None:
        return await self.budgeting.get_round(round_id)

    async def proposals(self, round_id: int) -> list[ProposalView]:
        return await self.budgeting.proposals(round_id)

    async def propose(
        self, by: Member, round_id: int, title: str, description: str, cost: int
    ) -> int:
        return await self.budgeting.propose(by, round_id, title, description, cost)

    async def approve(self, by: Member, round_id: int, proposal_ids: Sequence[int]) -> None:
        await self.budgeting.approve(by, round_id, proposal_ids)

    async def has_approved(self, member_id: int, round_id: int) -> bool:
        return await self.budgeting.has_approved(member_id, round_id)

    async def voters(self, round_id: int) -> int:
        return await self.budgeting.voters(round_id)

    # -- polls (polling.py) --------------------------------------------------------------

    async def open_poll(
        self,
        by: Member,
        title: str,
        body: str,
        kind: polls.PollKind,
        options: Sequence[str],
        quorum_percent: int,
        closes_at: int,
    ) -> int:
        return await self.polling.open_poll(
            by, title, body, kind, options, quorum_percent, closes_at
        )

    async def polls(self) -> list[PollView]:
        return await self.polling.polls()

    async def poll(self, poll_id: int) -> PollView | None:
        return await self.polling.poll(poll_id)

    async def vote(self, by: Member, poll_id: int, choice: int) -> None:
        await self.polling.vote(by, poll_id, choice)

    async def voter_status(self, member_id: int, poll_id: int) -> str:
        return await self.polling.voter_status(member_id, poll_id)

    async def turnout(self, poll_id: int) -> int:
        return await self.polling.turnout(poll_id)
