"""What the clock calls for: voting notices and reminders, closing elections (new
holders take office), ending terms, and publishing the delegate's mandates.

Elections close on read (each governance page calls `tick()` first) and on a
periodic task (`start()`), so a result never waits for somebody to visit a page.
docs/ARCHITECTURE.md, "Governance", gives the rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

import aiosqlite

from node.accounts.members import Members
from node.accounts.permissions import Role
from node.clock import Clock
from node.governance import notices_text, tally
from node.governance.elections import DAY_MS, NETWORK_BODY
from node.governance.records import Election, Nomination
from node.governance.roles import recall_txn, take_office_txn
from node.notices import Notices, reminder_link
from node.store import ballots, elections, mandates, roles
from node.store.ballots import BallotBox
from node.store.database import Database
from node.store.elections import ElectionsStore
from node.store.mandates import AlreadyPublished, MandatesStore
from node.store.messages import MessageStore
from node.store.roles import RolesStore
from node.store.sealing import MembersDataLocked
from protocol.envelope import Message
from protocol.kinds.assembly import DelegateMandate, DelegateRecall

log = logging.getLogger(__name__)

# Seconds between the periodic task's looks at windows and terms.
TICK_SECONDS = 30.0


class Schedule:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        members: Members,
        messages: MessageStore,
        notices: Notices,
        box: BallotBox,
        elections: ElectionsStore,
        roles: RolesStore,
        mandates: MandatesStore,
    ) -> None:
        # The database itself, for the transactions that compose several stores' writes
        # (closing an election, ending a term); reads and single writes go through these.
        self._db = db
        self._elections = elections
        self._roles = roles
        self._mandates = mandates
        self._clock = clock
        self._members = members
        self._messages = messages
        self._notices = notices
        self._box = box
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="governance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except MembersDataLocked:
                pass  # counting needs the ballot box's key: it waits for the unlock
            except Exception:  # a failed pass must not end governance: log and go on
                log.exception("governance: could not act on windows and terms")
            await asyncio.sleep(TICK_SECONDS)

    async def tick(self) -> None:
        """Do whatever the clock now calls for: voting notices and reminders, closing
        elections (new holders take office), ending terms, publishing mandates."""
        async with self._lock:
            now = self._clock()
            for open_one in await self._elections.open_ones():
                await self._advance(
                    open_one.election, now, noticed=open_one.noticed, reminded=open_one.reminded
                )
            await self._end_terms(now)
            await self._publish()

    async def _advance(
        self, election: Election, now: int, *, noticed: bool, reminded: bool
    ) -> None:
        link = f"/elections/{election.id}"
        if (
            election.kind == "election"
            and now >= election.nominations_close
            and not await self._elections.candidates(election.id)
        ):
            await self._close(election, election.nominations_close)
            return
        if now >= election.voting_closes:
            await self._close(election, election.voting_closes)
            return
        if (
            now >= election.voting_opens
            and not noticed
            and not await self._elections.set_flag(election.id, "voting_noticed")
        ):
            await self._notices.notify_members(notices_text.voting_open(election), link)
        if (
            now >= election.voting_opens
            and election.voting_closes - now <= DAY_MS
            and not reminded
            and not await self._elections.set_flag(election.id, "reminded")
        ):
            voted = await self._box.voters(ballots.contest("election", election.id))
            # In the order of their ids, as the members were listed before.
            active = sorted(i for i, _ in await self._members.active_names())
            await self._notices.notify(
                [i for i in active if i not in voted],
                notices_text.closing_soon(election),
                reminder_link(link),
            )

    async def _close(self, election: Election, at: int) -> None:
        """Count, record the result and, for a winner, take office at `at`."""
        candidates = await self._elections.candidates(election.id)
        keys = [str(c.nominee) for c in candidates]
        names = {str(c.nominee): c for c in candidates}
        async with self._db.write() as conn:
            # The box is read in the transaction that closes the election: a vote
            # commits before it (and is counted) or is refused after it.
            cast: list[tally.Ballot] = [
                tuple(b)
                for b in await ballots.choices_txn(conn, ballots.contest("election", election.id))
            ]
            result = tally.count(election.method, keys, cast, election.id)
            winner: int | None = None
            if election.kind == "election" and result.winner is not None and cast:
                winner = int(result.winner)
            if not await elections.close_txn(conn, election.id, at, result.to_json(), winner):
                return  # closed already
            if winner is not None:
                network_name = names[str(winner)].network_name
                await take_office_txn(conn, winner, election.role, at, network_name)
            if election.kind == "recall" and result.winner == "yes":
                await recall_txn(conn, election, at)
        await self._tell_result(election, result, winner, candidates, cast)

    async def _tell_result(
        self,
        election: Election,
        result: tally.Result,
        winner: int | None,
        candidates: list[Nomination],
        cast: list[tally.Ballot],
    ) -> None:
        link = f"/elections/{election.id}"
        text = notices_text.result(election, result, winner, candidates, cast)
        await self._notices.notify_members(text, link)
        if winner is not None:
            await self._notices.notify([winner], notices_text.taking_office(election), "/roles")

    async def _end_terms(self, now: int) -> None:
        """Act once on each term that has ended: tell the holder, end a delegate's mandate."""
        for term in await self._roles.ended_not_closed(now):
            async with self._db.write() as conn:
                await roles.mark_closed_txn(conn, term.member_id, term.role, term.starts_at)
                if term.role == Role.DELEGATE.value:
                    await mandates.end_with_term_txn(
                        conn,
                        term.member_id,
                        term.starts_at,
                        term.ends_at,
                        "The delegate's term ended.",
                        "The delegate's term ended early.",
                    )
            if term.role != Role.INTERIM.value and term.status == "active":
                await self._notices.notify(
                    [term.member_id],
                    notices_text.term_ended(Role(term.role), term.ends_at),
                    "/roles",
                )

    async def _publish(self) -> None:
        """Publish mandates and recalls not yet published.

        Each message and the row that records it commit in one transaction
        (MessageStore.append's `then`), so a crash leaves neither and the next tick
        publishes it; of two ticks racing, the second's message is rolled back.
        """
        for mandate in await self._mandates.unpublished():
            body = DelegateMandate(
                delegate=mandate.network_name,
                body=NETWORK_BODY,
                starts=mandate.starts_at // 1000,
                ends=mandate.ends_at // 1000,
            )
            record = partial(_record_mandate_txn, mandate.member_id, mandate.starts_at)
            with contextlib.suppress(AlreadyPublished):
                await self._messages.append("delegate.mandate", body, then=record)
        for recall in await self._mandates.unpublished_recalls():
            withdrawal = DelegateRecall(mandate=recall.mandate_id, reason=recall.reason)
            record = partial(_record_recall_txn, recall.member_id, recall.starts_at)
            with contextlib.suppress(AlreadyPublished):
                await self._messages.append("delegate.recall", withdrawal, then=record)


async def _record_mandate_txn(
    member_id: int, starts_at: int, conn: aiosqlite.Connection, message: Message
) -> None:
    await mandates.set_message_txn(conn, member_id, starts_at, message.id)


async def _record_recall_txn(
    member_id: int, starts_at: int, conn: aiosqlite.Connection, message: Message
) -> None:
    await mandates.set_recall_txn(conn, member_id, starts_at, message.id)
