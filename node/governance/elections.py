"""Elections and recall votes: opening them, nominations, and casting a ballot.

Each action first lets the clock act (`tick`, node/governance/schedule.py), so it is
judged against windows and terms as they stand now. Counting and closing are the
schedule's. The ballot box is node/store/ballots.py; docs/ARCHITECTURE.md, "Secret
ballots", gives the argument for the ballot's secrecy.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import aiosqlite

from node.accounts.members import Member, Members
from node.accounts.permissions import ELECTED_ROLES, ROLE_TITLES, Permission, Role, require
from node.clock import Clock
from node.governance import notices_text, tally
from node.governance.records import (
    Election,
    ElectionNotFound,
    GovernanceError,
    GovernanceNotAllowed,
    Nomination,
)
from node.governance.roles import Roles
from node.governance.terms import moment
from node.notices import Notices
from node.store import ballots
from node.store.ballots import BallotBox
from node.store.elections import ElectionsStore, voting_open_txn
from node.wording import Term
from protocol.errors import SchemaViolation
from protocol.kinds.assembly import DelegateMandate
from protocol.schema import check_body

DAY_MS = 86_400_000
# A window longer than this is surely a mistake in the form.
LONGEST_WINDOW_MS = 366 * DAY_MS
NETWORK_BODY = "national"


def check_network_name(name: str | None) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise GovernanceError("Give the name the network will know you by as delegate.")
    try:
        check_body(DelegateMandate(delegate=clean, body=NETWORK_BODY, starts=0, ends=1))
    except SchemaViolation as exc:
        raise GovernanceError(
            "That name cannot be used for the network (%(why)s).", why=exc.message
        ) from exc
    return clean


STATEMENT_MOST = 1000  # characters: a short statement, read on a phone


def check_statement(text: str | None) -> str | None:
    """A candidate's statement, trimmed; None if they wrote none."""
    cleaned = (text or "").strip()
    if len(cleaned) > STATEMENT_MOST:
        raise GovernanceError(
            "Keep your statement to %(most)s characters; it has %(has)s.",
            most=STATEMENT_MOST,
            has=len(cleaned),
        )
    return cleaned or None


def check_windows(now: int, nominations_close: int, voting_opens: int, voting_closes: int) -> None:
    # `now` is the caller's: a recall passes its own now as the close of nominations,
    # and reading the clock again here could find it a millisecond in the past.
    if nominations_close < now:
        raise GovernanceError("Nominations must close in the future.")
    if voting_opens < nominations_close:
        raise GovernanceError("Voting must open when nominations close or later.")
    if voting_closes <= voting_opens:
        raise GovernanceError("Voting must close after it opens.")
    if voting_closes - now > LONGEST_WINDOW_MS:
        raise GovernanceError("An election must be over within a year of opening.")


def check_ballot(election: Election, candidates: list[str], ballot: tuple[str, ...]) -> None:
    if election.method == tally.YES_NO:
        if ballot not in (("yes",), ("no",)):
            raise GovernanceError("Choose yes or no.")
        return
    if not ballot:
        raise GovernanceError("Choose a candidate before voting.")
    if any(c not in candidates for c in ballot):
        raise GovernanceError("That ballot names someone who is not a candidate.")
    if len(set(ballot)) != len(ballot):
        raise GovernanceError("Give each candidate a different number.")
    if election.method == tally.PLURALITY and len(ballot) != 1:
        raise GovernanceError("Choose one candidate.")


class Elections:
    def __init__(
        self,
        store: ElectionsStore,
        clock: Clock,
        members: Members,
        notices: Notices,
        box: BallotBox,
        roles: Roles,
        tick: Callable[[], Awaitable[None]],
    ) -> None:
        self._store = store
        self._clock = clock
        self._members = members
        self._notices = notices
        self._box = box
        self._roles = roles
        self._tick = tick

    async def elections(self) -> list[Election]:
        return await self._store.all()

    async def election(self, election_id: str) -> Election | None:
        return await self._store.get(election_id)

    async def _open_election(self, election_id: str) -> Election:
        election = await self.election(election_id)
        if election is None:
            raise ElectionNotFound("There is no such election.")
        return election

    async def open_election(
        self,
        role: Role,
        method: str,
        nominations_close: int,
        voting_opens: int,
        voting_closes: int,
        by: Member,
    ) -> Election:
        """Open an election for an elected role, with its windows and counting method."""
        require(by, Permission.RUN_ELECTIONS, GovernanceNotAllowed)
        if role not in ELECTED_ROLES:
            raise GovernanceError("Choose one of the elected roles.")
        if method not in (tally.PLURALITY, tally.INSTANT_RUNOFF):
            raise GovernanceError("Choose how the votes are counted: plurality or instant-runoff.")
        check_windows(self._clock(), nominations_close, voting_opens, voting_closes)
        await self._tick()
        election_id = secrets.token_hex(16)
        opened = await self._store.add_election(
            election_id,
            role.value,
            method,
            by.id,
            self._clock(),
            nominations_close,
            voting_opens,
            voting_closes,
        )
        if not opened:
            raise GovernanceError(
                "An election for %(role)s is already open: use that one.",
                role=Term(ROLE_TITLES[role]),
            )
        await self._notices.notify_members(
            notices_text.election_opened(role, nominations_close), f"/elections/{election_id}"
        )
        return await self._open_election(election_id)

    async def open_recall(
        self, role: Role, voting_opens: int, voting_closes: int, by: Member
    ) -> Election:
        """Open a yes/no vote of members on ending the current holder's term early."""
        require(by, Permission.RUN_ELECTIONS, GovernanceNotAllowed)
        if role not in ELECTED_ROLES:
            raise GovernanceError("Choose one of the elected roles.")
        now = self._clock()
        voting_opens = max(voting_opens, now)  # "now" in the form is a minute ago at most
        check_windows(now, now, voting_opens, voting_closes)
        await self._tick()
        holder = next((h for h in await self._roles.holders() if h.role == role), None)
        if holder is None or holder.ends_at is None:
            raise GovernanceError(
                "Nobody holds the role of %(role)s to recall.", role=Term(ROLE_TITLES[role])
            )
        election_id = secrets.token_hex(16)
        opened = await self._store.add_recall(
            election_id,
            role.value,
            by.id,
            now,
            voting_opens,
            voting_closes,
            holder.member_id,
            holder.starts_at,
        )
        if not opened:
            raise GovernanceError(
                "A recall vote for %(role)s is already open.", role=Term(ROLE_TITLES[role])
            )
        await self._notices.notify_members(
            notices_text.recall_opened(holder.name, role, voting_opens),
            f"/elections/{election_id}",
        )
        return await self._open_election(election_id)

    # -- nominations --------------------------------------------------------------

    async def nominations(self, election_id: str) -> list[Nomination]:
        return await self._store.nominations(election_id)

    async def candidates(self, election_id: str) -> list[Nomination]:
        """Nominees who accepted and are still active members."""
        return await self._store.candidates(election_id)

    async def _in_nominations(self, election_id: str) -> Election:
        await self._tick()
        election = await self._open_election(election_id)
        if election.kind != "election":
            raise GovernanceError("A recall vote has no nominations.")
        if election.phase(self._clock()) != "nominations":
            raise GovernanceError(
                "Nominations for this election closed on %(closed)s.",
                closed=moment(election.nominations_close),
            )
        return election

    async def nominate(
        self,
        election_id: str,
        nominee: int,
        by: Member,
        network_name: str | None = None,
        statement: str | None = None,
    ) -> None:
        """Nominate a member (yourself: you stand at once, with your statement if you
        write one; another: they must accept, and write theirs then)."""
        require(by, Permission.MEMBER, GovernanceNotAllowed)
        election = await self._in_nominations(election_id)
        member = await self._members.get(nominee)
        if member is None or member.status != "active":
            raise GovernanceError("Only active members can be nominated.")
        own = nominee == by.id
        refusal = await self._roles.standing_refusal(nominee, election.role, own=own)
        if refusal:
            raise GovernanceError(refusal.template, **refusal.values)
        name = None
        if own and election.role == Role.DELEGATE:
            name = check_network_name(network_name or member.name)
        said = check_statement(statement) if own else None
        now = self._clock()
        if not await self._store.add_nomination(
            election_id, nominee, by.id, now, now if own else None, name, said
        ):
            if own:
                raise GovernanceError("You are already nominated in this election.")
            raise GovernanceError(
                "%(name)s is already nominated in this election.", name=member.name
            )
        if not own:
            await self._notices.notify(
                [nominee],
                notices_text.nominated(
                    by.name,
                    election.role,
                    election.nominations_close,
                ),
                f"/elections/{election_id}",
            )

    async def accept(
        self,
        election_id: str,
        by: Member,
        network_name: str | None,
        statement: str | None = None,
    ) -> None:
        """Accept a nomination someone else made: stand in the election."""
        require(by, Permission.MEMBER, GovernanceNotAllowed)
        member_id = by.id
        election = await self._in_nominations(election_id)
        refusal = await self._roles.standing_refusal(member_id, election.role, own=True)
        if refusal:
            raise GovernanceError(refusal.template, **refusal.values)
        name = None
        if election.role == Role.DELEGATE:
            name = check_network_name(network_name)
        said = check_statement(statement)
        if not await self._store.accept_nomination(
            election_id, member_id, self._clock(), name, said
        ):
            raise GovernanceError("You have no nomination waiting in this election.")

    async def decline(self, election_id: str, by: Member) -> None:
        """Decline a nomination, or withdraw while nominations are open."""
        require(by, Permission.MEMBER, GovernanceNotAllowed)
        await self._in_nominations(election_id)
        if not await self._store.remove_nomination(election_id, by.id):
            raise GovernanceError("You are not nominated in this election.")

    # -- voting -----------------------------------------------------------------

    async def has_voted(self, election_id: str, member_id: int) -> bool:
        return await self._box.has_voted(ballots.contest("election", election_id), member_id)

    async def turnout(self, election_id: str) -> int:
        return await self._box.turnout(ballots.contest("election", election_id))

    async def vote(self, election_id: str, by: Member, ballot: tuple[str, ...]) -> None:
        """Cast a member's one secret ballot in the hub's ballot box (node/store/ballots.py),
        which keeps that they voted and what they chose apart, in no order."""
        require(by, Permission.MEMBER, GovernanceNotAllowed)
        await self._tick()
        election = await self._open_election(election_id)
        now = self._clock()
        phase = election.phase(now)
        if phase in ("nominations", "waiting"):
            raise GovernanceError(
                "Voting has not opened yet: it opens %(opens)s.",
                opens=moment(election.voting_opens),
            )
        if phase == "closed":
            raise GovernanceError(
                "Voting closed on %(closed)s; no more votes are taken.",
                closed=moment(election.voting_closes),
            )
        candidates = [str(c.nominee) for c in await self.candidates(election_id)]
        check_ballot(election, candidates, ballot)
        # Room for the longest ballot there could be: every candidate ranked, or a yes.
        width = ballots.width_for([candidates, ["yes"], ["no"]])

        async def still_open(conn: aiosqlite.Connection) -> ballots.Ballot:
            # Judge the window again inside the transaction that writes.
            if not await voting_open_txn(conn, election_id, self._clock()):
                raise GovernanceError("Voting in this election has closed.")
            return ballots.Ballot((list(ballot),), width)

        await self._box.cast(
            ballots.contest("election", election_id),
            by.id,
            still_open,
            GovernanceError("You have already voted in this election: each member votes once."),
        )
