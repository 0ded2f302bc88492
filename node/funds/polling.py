"""Local polls: opening, secret votes and results, the rules of polls.py applied to what
node/store/polls.py keeps; votes go into the hub's one ballot box.

Counts are read only once a poll's window has closed; its result is published (a
notice to members) by the first read or write that sees the close (`publish_txn`,
run by `Funds.settle`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiosqlite

from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.funds import notices, polls
from node.funds.errors import FundsError, FundsNotAllowed, FundsNotFound
from node.funds.hooks import NoticeHook, Settle
from node.store import ballots
from node.store import polls as store
from node.store.ballots import BallotBox
from node.store.polls import PollRecord

# The choices in a contest's box, read on the reader or inside a transaction.
Choices = Callable[[str], Awaitable[list[Any]]]


class PollRecords(Protocol):
    """What polling needs of node/store/polls.py (`PollStore`)."""

    async def add(
        self,
        title: str,
        body: str,
        kind: str,
        options: Sequence[str],
        quorum_percent: int,
        proposed_by: int,
        opens_at: int,
        closes_at: int,
    ) -> int: ...
    async def polls(self) -> list[PollRecord]: ...
    async def poll(self, poll_id: int) -> PollRecord | None: ...
    async def may_vote(self, poll_id: int, member_id: int) -> bool: ...


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


async def _view(r: PollRecord, now: int, choices: Choices) -> PollView:
    kind = polls.PollKind(r.kind)
    result = None
    if now >= r.closes_at:
        counted = Counter(await choices(ballots.contest("poll", r.id)))
        counts = [counted.get(i, 0) for i in range(len(r.options))]
        result = polls.result(kind, r.options, counts, r.electorate, r.quorum_percent)
    return PollView(
        r.id, r.title, r.body, kind, r.options, r.quorum_percent, r.electorate, r.proposed_by,
        r.opens_at, r.closes_at, polls.is_open(r.opens_at, r.closes_at, now), result,
    )  # fmt: skip


class Polling:
    def __init__(
        self,
        store: PollRecords,
        box: BallotBox,
        clock: Clock,
        settle: Settle,
        notify: NoticeHook,
    ) -> None:
        self._store = store
        self._box = box
        self._clock = clock
        self._settle = settle
        self._notify = notify

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
        require(by, Permission.MEMBER, FundsNotAllowed)
        await self._settle()
        now = self._clock()
        draft = polls.check_poll(title, body, kind, options, quorum_percent, now, closes_at)
        poll_id = await self._store.add(
            draft.title,
            draft.body,
            draft.kind.value,
            draft.options,
            draft.quorum_percent,
            by.id,
            draft.opens_at,
            draft.closes_at,
        )
        await self._notify([notices.poll_opened(poll_id, draft.title, draft.closes_at)])
        return poll_id

    async def polls(self) -> list[PollView]:
        await self._settle()
        now = self._clock()
        return [await _view(r, now, self._box.choices) for r in await self._store.polls()]

    async def poll(self, poll_id: int) -> PollView | None:
        await self._settle()
        found = await self._store.poll(poll_id)
        return None if found is None else await _view(found, self._clock(), self._box.choices)

    async def vote(self, by: Member, poll_id: int, choice: int) -> None:
        """Record one secret vote in the hub's ballot box (node/store/ballots.py), which
        keeps that the member voted and what they chose apart, in no order."""
        require(by, Permission.MEMBER, FundsNotAllowed)

        async def checked(conn: aiosqlite.Connection) -> ballots.Ballot:
            # In the ballot box's transaction, after its check for a second vote.
            window = await store.window_txn(conn, poll_id)
            if window is None:
                raise FundsNotFound("There is no such poll.")
            if not await store.may_vote_txn(conn, poll_id, by.id):
                raise FundsError(
                    "You were not yet a member when this poll opened, so you cannot vote in it."
                )
            polls.check_vote(
                window.opens_at, window.closes_at, self._clock(), window.options, choice
            )
            return ballots.Ballot((choice,), ballots.width_for(range(len(window.options))))

        await self._box.cast(
            ballots.contest("poll", poll_id),
            by.id,
            checked,
            FundsError("You have already voted in this poll."),
        )

    async def voter_status(self, member_id: int, poll_id: int) -> str:
        """ "voted", "can-vote" or "not-eligible" (joined after the poll opened)."""
        if not await self._store.may_vote(poll_id, member_id):
            return "not-eligible"
        voted = await self._box.has_voted(ballots.contest("poll", poll_id), member_id)
        return "voted" if voted else "can-vote"

    async def turnout(self, poll_id: int) -> int:
        return await self._box.turnout(ballots.contest("poll", poll_id))

    async def publish_txn(
        self, conn: aiosqlite.Connection, poll_id: int, now: int
    ) -> list[notices.Notice]:
        """Publish a closed poll's result, in the settling transaction: its notice, or
        none if it was published already."""
        if not await store.publish_txn(conn, poll_id, now):
            return []
        found = await store.poll_txn(conn, poll_id)
        assert found is not None
        view = await _view(found, now, lambda name: ballots.choices_txn(conn, name))
        assert view.result is not None
        return [notices.poll_closed(poll_id, view.title, view.result.outcome)]
