"""Governance at run time: the charter in force, role holders, elections and recalls.

Every window is judged against the node's clock. Elections close on read (each
governance page calls `tick()` first) and on a periodic task (`start()`), so a
result never waits for somebody to visit a page. docs/ARCHITECTURE.md,
"Governance", gives the rules, and "Secret ballots" the argument for the
ballot's secrecy (the box is node/store/ballots.py).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.accounts.charter import CHARTER_TEXT, CHARTER_TITLE, CHARTER_VERSION
from node.accounts.members import Members
from node.accounts.permissions import ELECTED_ROLES, ROLE_TITLES, Role
from node.clock import Clock
from node.errors import NodeError, NotFound
from node.governance import tally
from node.governance.terms import (
    Term,
    describe_date,
    may_stand_from,
    standing_refusal,
    term_end,
)
from node.notices import Notices
from node.store import ballots
from node.store.ballots import BallotBox
from node.store.database import Database
from node.store.messages import MessageStore
from protocol.errors import SchemaViolation
from protocol.kinds.assembly import DelegateMandate, DelegateRecall
from protocol.kinds.hub import CharterAdopt
from protocol.schema import check_body

log = logging.getLogger(__name__)

# Seconds between the periodic task's looks at windows and terms.
TICK_SECONDS = 30.0
DAY_MS = 86_400_000
# A window longer than this is surely a mistake in the form.
LONGEST_WINDOW_MS = 366 * DAY_MS
NETWORK_BODY = "national"


class GovernanceError(NodeError):
    """A governance request that cannot be met; the message is for the member."""


class ElectionNotFound(GovernanceError, NotFound):
    """No election with that id."""


@dataclass(frozen=True, slots=True)
class Charter:
    version: str
    title: str
    text: str
    adopted_at: int | None  # None: the built-in charter, not yet adopted by this hub


@dataclass(frozen=True, slots=True)
class Holder:
    member_id: int
    name: str | None  # None once they have left
    role: Role
    starts_at: int
    ends_at: int | None


@dataclass(frozen=True, slots=True)
class Nomination:
    nominee: int
    name: str | None
    nominated_by: int | None
    accepted: bool
    network_name: str | None


@dataclass(frozen=True, slots=True)
class Election:
    id: str
    kind: str  # "election" or "recall"
    role: Role
    method: str
    opened_at: int
    nominations_close: int
    voting_opens: int
    voting_closes: int
    state: str
    recall_member: int | None
    recall_starts_at: int | None
    closed_at: int | None
    result: tally.Result | None
    elected: int | None

    @property
    def title(self) -> str:
        what = ROLE_TITLES[self.role]
        return f"Recall vote: {what}" if self.kind == "recall" else f"Election: {what}"

    def phase(self, now: int) -> str:
        """nominations, waiting (for voting), voting, or closed."""
        if self.state == "closed":
            return "closed"
        if now < self.nominations_close:
            return "nominations"
        if now < self.voting_opens:
            return "waiting"
        if now < self.voting_closes:
            return "voting"
        return "closed"


_ELECTION_COLUMNS = (
    "id, kind, role, method, opened_at, nominations_close, voting_opens, voting_closes, state,"
    " recall_member, recall_starts_at, closed_at, result, elected"
)


def _election(row: Any) -> Election:
    return Election(
        id=row[0],
        kind=row[1],
        role=Role(row[2]),
        method=row[3],
        opened_at=row[4],
        nominations_close=row[5],
        voting_opens=row[6],
        voting_closes=row[7],
        state=row[8],
        recall_member=row[9],
        recall_starts_at=row[10],
        closed_at=row[11],
        result=tally.Result.from_json(row[12]) if row[12] else None,
        elected=row[13],
    )


def check_network_name(name: str | None) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise GovernanceError("Give the name the network will know you by as delegate.")
    try:
        check_body(DelegateMandate(delegate=clean, body=NETWORK_BODY, starts=0, ends=1))
    except SchemaViolation as exc:
        raise GovernanceError(f"That name cannot be used for the network ({exc.message}).") from exc
    return clean


class Governance:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        members: Members,
        messages: MessageStore,
        notices: Notices,
    ) -> None:
        self._db = db
        self._clock = clock
        self._members = members
        self._messages = messages
        self._notices = notices
        self._box = BallotBox(db)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # -- the charter ----------------------------------------------------------

    async def charter(self) -> Charter:
        """The charter in force: the newest this hub adopted, else the built-in one."""
        row = await self._db.fetchone(
            "SELECT version, title, text, adopted_at FROM charters"
            " ORDER BY adopted_at DESC, rowid DESC LIMIT 1"
        )
        if row is None:
            return Charter(CHARTER_VERSION, CHARTER_TITLE, CHARTER_TEXT, None)
        return Charter(row[0], row[1], row[2], row[3])

    async def charter_history(self) -> list[Charter]:
        rows = await self._db.fetchall(
            "SELECT version, title, text, adopted_at FROM charters"
            " ORDER BY adopted_at DESC, rowid DESC"
        )
        return [Charter(*r) for r in rows]

    async def adopt_charter(self, version: str, title: str, text: str, by: int) -> Charter:
        """Adopt a charter version: stored here, and published as `charter.adopt`."""
        version, title = version.strip(), title.strip()
        text = text.replace("\r\n", "\n").strip() + "\n"
        if not version or not title or not text.strip():
            raise GovernanceError("Give the charter's version, title and text.")
        body = CharterAdopt(version=version, title=title, text=text)
        try:
            check_body(body)
        except SchemaViolation as exc:
            raise GovernanceError(f"That charter cannot be adopted: {exc.message}.") from exc
        if await self._db.fetchone("SELECT 1 FROM charters WHERE version = ?", (version,)):
            raise GovernanceError(
                f"Version {version} is already adopted; give the new text a new version."
            )
        message = await self._messages.append("charter.adopt", body)
        now = self._clock()
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO charters (version, title, text, adopted_at, adopted_by, message_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (version, title, text, now, by, message.id),
            )
        await self._notices.notify_members(
            f"The hub adopted version {version} of its charter.", "/charter", leave_out=[by]
        )
        return Charter(version, title, text, now)

    # -- roles ----------------------------------------------------------------

    async def holders(self) -> list[Holder]:
        """Everyone holding a role now (the interim group included), by role."""
        now = self._clock()
        rows = await self._db.fetchall(
            "SELECT r.member_id, m.name, r.role, r.starts_at, r.ends_at FROM member_roles r"
            " JOIN members m ON m.id = r.member_id WHERE r.starts_at <= ?"
            " AND (r.ends_at IS NULL OR r.ends_at > ?) ORDER BY r.role, r.starts_at",
            (now, now),
        )
        return [Holder(r[0], r[1], Role(r[2]), r[3], r[4]) for r in rows]

    async def past_holders(self, limit: int = 50) -> list[Holder]:
        now = self._clock()
        rows = await self._db.fetchall(
            "SELECT r.member_id, m.name, r.role, r.starts_at, r.ends_at FROM member_roles r"
            " JOIN members m ON m.id = r.member_id WHERE r.ends_at IS NOT NULL"
            " AND r.ends_at <= ? ORDER BY r.ends_at DESC LIMIT ?",
            (now, limit),
        )
        return [Holder(r[0], r[1], Role(r[2]), r[3], r[4]) for r in rows]

    async def terms_of(self, member_id: int, role: Role) -> list[Term]:
        rows = await self._db.fetchall(
            "SELECT starts_at, ends_at FROM member_roles WHERE member_id = ? AND role = ?",
            (member_id, role.value),
        )
        return [Term(r[0], r[1]) for r in rows]

    async def standing_refusal(self, member_id: int, role: Role, *, own: bool) -> str | None:
        """Why this member may not stand for `role` now, or None if they may."""
        now = self._clock()
        terms = await self.terms_of(member_id, role)
        since = standing_refusal(terms, now)
        if since is None:
            return None
        ended = max(t.ends_at for t in terms if t.ends_at is not None)
        title = ROLE_TITLES[role]
        if own:
            who, verb = "You", ("hold" if ended > now else "held")
            pronoun = "you"
        else:
            member = await self._members.get(member_id)
            who = (member.name if member else None) or "That member"
            verb = "holds" if ended > now else "held"
            pronoun = "they"
        return (
            f"{who} {verb} the role of {title} until {describe_date(ended)}, so {pronoun} can"
            f" stand for it again from {describe_date(since)}: nobody holds a role for two"
            " years running."
        )

    # -- elections ------------------------------------------------------------

    async def elections(self) -> list[Election]:
        rows = await self._db.fetchall(
            f"SELECT {_ELECTION_COLUMNS} FROM elections ORDER BY opened_at DESC, id"
        )
        return [_election(r) for r in rows]

    async def election(self, election_id: str) -> Election | None:
        row = await self._db.fetchone(
            f"SELECT {_ELECTION_COLUMNS} FROM elections WHERE id = ?", (election_id,)
        )
        return _election(row) if row else None

    async def _open_election(self, election_id: str) -> Election:
        election = await self.election(election_id)
        if election is None:
            raise ElectionNotFound("There is no such election.")
        return election

    @staticmethod
    def _check_windows(
        now: int, nominations_close: int, voting_opens: int, voting_closes: int
    ) -> None:
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

    async def open_election(
        self,
        role: Role,
        method: str,
        nominations_close: int,
        voting_opens: int,
        voting_closes: int,
        by: int,
    ) -> Election:
        """Open an election for an elected role, with its windows and counting method."""
        if role not in ELECTED_ROLES:
            raise GovernanceError("Choose one of the elected roles.")
        if method not in (tally.PLURALITY, tally.INSTANT_RUNOFF):
            raise GovernanceError("Choose how the votes are counted: plurality or instant-runoff.")
        self._check_windows(self._clock(), nominations_close, voting_opens, voting_closes)
        await self.tick()
        election_id = secrets.token_hex(16)
        async with self._db.write() as conn:
            if await _one(
                conn,
                "SELECT 1 FROM elections WHERE role = ? AND kind = 'election' AND state = 'open'",
                (role.value,),
            ):
                raise GovernanceError(
                    f"An election for {ROLE_TITLES[role]} is already open: use that one."
                )
            await conn.execute(
                "INSERT INTO elections (id, kind, role, method, opened_by, opened_at,"
                " nominations_close, voting_opens, voting_closes)"
                " VALUES (?, 'election', ?, ?, ?, ?, ?, ?, ?)",
                (
                    election_id,
                    role.value,
                    method,
                    by,
                    self._clock(),
                    nominations_close,
                    voting_opens,
                    voting_closes,
                ),
            )
        await self._notices.notify_members(
            f"Election opened for {ROLE_TITLES[role]}: nominations close"
            f" {describe_date(nominations_close)}.",
            f"/elections/{election_id}",
        )
        return await self._open_election(election_id)

    async def open_recall(
        self, role: Role, voting_opens: int, voting_closes: int, by: int
    ) -> Election:
        """Open a yes/no vote of members on ending the current holder's term early."""
        if role not in ELECTED_ROLES:
            raise GovernanceError("Choose one of the elected roles.")
        now = self._clock()
        voting_opens = max(voting_opens, now)  # "now" in the form is a minute ago at most
        self._check_windows(now, now, voting_opens, voting_closes)
        await self.tick()
        holder = next((h for h in await self.holders() if h.role == role), None)
        if holder is None or holder.ends_at is None:
            raise GovernanceError(f"Nobody holds the role of {ROLE_TITLES[role]} to recall.")
        election_id = secrets.token_hex(16)
        async with self._db.write() as conn:
            if await _one(
                conn,
                "SELECT 1 FROM elections WHERE role = ? AND kind = 'recall' AND state = 'open'",
                (role.value,),
            ):
                raise GovernanceError(f"A recall vote for {ROLE_TITLES[role]} is already open.")
            await conn.execute(
                "INSERT INTO elections (id, kind, role, method, opened_by, opened_at,"
                " nominations_close, voting_opens, voting_closes, recall_member,"
                " recall_starts_at) VALUES (?, 'recall', ?, 'yes-no', ?, ?, ?, ?, ?, ?, ?)",
                (
                    election_id,
                    role.value,
                    by,
                    now,
                    now,
                    voting_opens,
                    voting_closes,
                    holder.member_id,
                    holder.starts_at,
                ),
            )
        await self._notices.notify_members(
            f"Recall vote opened: should {holder.name or 'the holder'} stop being"
            f" {ROLE_TITLES[role]}? Voting opens {describe_date(voting_opens)}.",
            f"/elections/{election_id}",
        )
        return await self._open_election(election_id)

    async def nominations(self, election_id: str) -> list[Nomination]:
        rows = await self._db.fetchall(
            "SELECT n.nominee, m.name, n.nominated_by, n.accepted_at, n.network_name"
            " FROM nominations n JOIN members m ON m.id = n.nominee"
            " WHERE n.election_id = ? ORDER BY m.name COLLATE NOCASE, n.nominee",
            (election_id,),
        )
        return [Nomination(r[0], r[1], r[2], r[3] is not None, r[4]) for r in rows]

    async def candidates(self, election_id: str) -> list[Nomination]:
        """Nominees who accepted and are still active members."""
        rows = await self._db.fetchall(
            "SELECT n.nominee, m.name, n.nominated_by, n.accepted_at, n.network_name"
            " FROM nominations n JOIN members m ON m.id = n.nominee"
            " WHERE n.election_id = ? AND n.accepted_at IS NOT NULL AND m.status = 'active'"
            " ORDER BY m.name COLLATE NOCASE, n.nominee",
            (election_id,),
        )
        return [Nomination(r[0], r[1], r[2], True, r[4]) for r in rows]

    async def _in_nominations(self, election_id: str) -> Election:
        await self.tick()
        election = await self._open_election(election_id)
        if election.kind != "election":
            raise GovernanceError("A recall vote has no nominations.")
        if election.phase(self._clock()) != "nominations":
            raise GovernanceError(
                f"Nominations for this election closed on"
                f" {describe_date(election.nominations_close)}."
            )
        return election

    async def nominate(
        self, election_id: str, nominee: int, by: int, network_name: str | None = None
    ) -> None:
        """Nominate a member (yourself: you stand at once; another: they must accept)."""
        election = await self._in_nominations(election_id)
        member = await self._members.get(nominee)
        if member is None or member.status != "active":
            raise GovernanceError("Only active members can be nominated.")
        own = nominee == by
        refusal = await self.standing_refusal(nominee, election.role, own=own)
        if refusal:
            raise GovernanceError(refusal)
        name = None
        if own and election.role == Role.DELEGATE:
            name = check_network_name(network_name or member.name)
        now = self._clock()
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    "INSERT INTO nominations (election_id, nominee, nominated_by, nominated_at,"
                    " accepted_at, network_name) VALUES (?, ?, ?, ?, ?, ?)",
                    (election_id, nominee, by, now, now if own else None, name),
                )
        except sqlite3.IntegrityError as exc:
            who = "You are" if own else f"{member.name} is"
            raise GovernanceError(f"{who} already nominated in this election.") from exc
        if not own:
            nominator = await self._members.get(by)
            await self._notices.notify(
                [nominee],
                f"{(nominator.name if nominator else None) or 'A member'} nominated you for"
                f" {ROLE_TITLES[election.role]}. Accept or decline before"
                f" {describe_date(election.nominations_close)}.",
                f"/elections/{election_id}",
            )

    async def accept(self, election_id: str, member_id: int, network_name: str | None) -> None:
        election = await self._in_nominations(election_id)
        refusal = await self.standing_refusal(member_id, election.role, own=True)
        if refusal:
            raise GovernanceError(refusal)
        name = None
        if election.role == Role.DELEGATE:
            name = check_network_name(network_name)
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE nominations SET accepted_at = ?, network_name = ? WHERE election_id = ?"
                " AND nominee = ? AND accepted_at IS NULL",
                (self._clock(), name, election_id, member_id),
            )
            if cursor.rowcount != 1:
                raise GovernanceError("You have no nomination waiting in this election.")

    async def decline(self, election_id: str, member_id: int) -> None:
        """Decline a nomination, or withdraw while nominations are open."""
        await self._in_nominations(election_id)
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM nominations WHERE election_id = ? AND nominee = ?",
                (election_id, member_id),
            )
            if cursor.rowcount != 1:
                raise GovernanceError("You are not nominated in this election.")

    # -- voting -----------------------------------------------------------------

    async def has_voted(self, election_id: str, member_id: int) -> bool:
        return await self._box.has_voted(ballots.contest("election", election_id), member_id)

    async def turnout(self, election_id: str) -> int:
        return await self._box.turnout(ballots.contest("election", election_id))

    async def vote(self, election_id: str, member_id: int, ballot: tuple[str, ...]) -> None:
        """Cast a member's one secret ballot in the hub's ballot box (node/store/ballots.py),
        which keeps that they voted and what they chose apart, in no order."""
        await self.tick()
        election = await self._open_election(election_id)
        now = self._clock()
        phase = election.phase(now)
        if phase in ("nominations", "waiting"):
            raise GovernanceError(
                f"Voting has not opened yet: it opens {describe_date(election.voting_opens)}."
            )
        if phase == "closed":
            raise GovernanceError(
                f"Voting closed on {describe_date(election.voting_closes)}; no more votes"
                " are taken."
            )
        candidates = [str(c.nominee) for c in await self.candidates(election_id)]
        self._check_ballot(election, candidates, ballot)
        # Room for the longest ballot there could be: every candidate ranked, or a yes.
        width = ballots.width_for([candidates, ["yes"], ["no"]])

        async def still_open(conn: aiosqlite.Connection) -> ballots.Ballot:
            # Judge the window again inside the transaction that writes.
            now = self._clock()
            if not await _one(
                conn,
                "SELECT 1 FROM elections WHERE id = ? AND state = 'open'"
                " AND voting_opens <= ? AND voting_closes > ?",
                (election_id, now, now),
            ):
                raise GovernanceError("Voting in this election has closed.")
            return ballots.Ballot((list(ballot),), width)

        await self._box.cast(
            ballots.contest("election", election_id),
            member_id,
            still_open,
            GovernanceError("You have already voted in this election: each member votes once."),
        )

    @staticmethod
    def _check_ballot(election: Election, candidates: list[str], ballot: tuple[str, ...]) -> None:
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

    # -- time passing -------------------------------------------------------------

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
            except Exception:  # a failed pass must not end governance: log and go on
                log.exception("governance: could not act on windows and terms")
            await asyncio.sleep(TICK_SECONDS)

    async def tick(self) -> None:
        """Do whatever the clock now calls for: voting notices and reminders, closing
        elections (new holders take office), ending terms, publishing mandates."""
        async with self._lock:
            now = self._clock()
            open_rows = await self._db.fetchall(
                f"SELECT {_ELECTION_COLUMNS}, voting_noticed, reminded FROM elections"
                " WHERE state = 'open'"
            )
            for row in open_rows:
                await self._advance(
                    _election(row), now, noticed=bool(row[14]), reminded=bool(row[15])
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
            and not await self.candidates(election.id)
        ):
            await self._close(election, election.nominations_close)
            return
        if now >= election.voting_closes:
            await self._close(election, election.voting_closes)
            return
        if (
            now >= election.voting_opens
            and not noticed
            and not await self._flag(election.id, "voting_noticed")
        ):
            await self._notices.notify_members(
                f"Voting is open: {election.title}. It closes"
                f" {describe_date(election.voting_closes)}.",
                link,
            )
        if (
            now >= election.voting_opens
            and election.voting_closes - now <= DAY_MS
            and not reminded
            and not await self._flag(election.id, "reminded")
        ):
            voted = await self._box.voters(ballots.contest("election", election.id))
            rows = await self._db.fetchall("SELECT id FROM members WHERE status = 'active'")
            await self._notices.notify(
                [r[0] for r in rows if r[0] not in voted],
                f"Voting closes within a day: {election.title}"
                f" ({describe_date(election.voting_closes)}). You have not voted yet.",
                link,
            )

    async def _flag(self, election_id: str, column: str) -> bool:
        """Set a once-only flag; True if it was already set."""
        assert column in ("voting_noticed", "reminded")
        async with self._db.write() as conn:
            cursor = await conn.execute(
                f"UPDATE elections SET {column} = 1 WHERE id = ? AND {column} = 0",
                (election_id,),
            )
            return cursor.rowcount == 0

    async def _close(self, election: Election, at: int) -> None:
        """Count, record the result and, for a winner, take office at `at`."""
        candidates = await self.candidates(election.id)
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
            cursor = await conn.execute(
                "UPDATE elections SET state = 'closed', closed_at = ?, result = ?, elected = ?"
                " WHERE id = ? AND state = 'open'",
                (at, result.to_json(), winner, election.id),
            )
            if cursor.rowcount != 1:
                return  # closed already
            if winner is not None:
                network_name = names[str(winner)].network_name
                await self._take_office(conn, winner, election.role, at, network_name)
            if election.kind == "recall" and result.winner == "yes":
                await self._recall(conn, election, at)
        await self._tell_result(election, result, winner, candidates, cast)

    async def _take_office(
        self,
        conn: aiosqlite.Connection,
        member_id: int,
        role: Role,
        at: int,
        network_name: str | None,
    ) -> None:
        ends = term_end(at)
        # Whoever held the role until now stands down as the new holder takes office.
        await conn.execute(
            "UPDATE member_roles SET ends_at = ? WHERE role = ? AND starts_at <= ?"
            " AND (ends_at IS NULL OR ends_at > ?)",
            (at, role.value, at, at),
        )
        await conn.execute(
            "INSERT INTO member_roles (member_id, role, starts_at, ends_at) VALUES (?, ?, ?, ?)",
            (member_id, role.value, at, ends),
        )
        if role == Role.DELEGATE:
            await conn.execute(
                "UPDATE delegate_mandates SET ended_at = ?, end_reason = ?"
                " WHERE ended_at IS NULL AND ends_at > ?",
                (at, "A new delegate was elected.", at),
            )
            await conn.execute(
                "INSERT INTO delegate_mandates (member_id, starts_at, ends_at, network_name)"
                " VALUES (?, ?, ?, ?)",
                (member_id, at, ends, network_name or "Delegate"),
            )
        # The interim steering group stands down once a chair and a secretary are in office.
        held = {
            r[0]
            for r in await _all(
                conn,
                "SELECT role FROM member_roles WHERE starts_at <= ?"
                " AND (ends_at IS NULL OR ends_at > ?)",
                (at, at),
            )
        }
        if {Role.CHAIR.value, Role.SECRETARY.value} <= held:
            await conn.execute(
                "UPDATE member_roles SET ends_at = ? WHERE role = ? AND starts_at <= ?"
                " AND (ends_at IS NULL OR ends_at > ?)",
                (at, Role.INTERIM.value, at, at),
            )

    async def _recall(self, conn: aiosqlite.Connection, election: Election, at: int) -> None:
        await conn.execute(
            "UPDATE member_roles SET ends_at = ? WHERE member_id = ? AND role = ?"
            " AND starts_at = ? AND (ends_at IS NULL OR ends_at > ?)",
            (at, election.recall_member, election.role.value, election.recall_starts_at, at),
        )
        await conn.execute(
            "UPDATE delegate_mandates SET ended_at = ?, end_reason = ? WHERE member_id = ?"
            " AND starts_at = ? AND ended_at IS NULL",
            (
                at,
                "Recalled by a vote of the hub's members.",
                election.recall_member,
                election.recall_starts_at,
            ),
        )

    async def _tell_result(
        self,
        election: Election,
        result: tally.Result,
        winner: int | None,
        candidates: list[Nomination],
        ballots: list[tally.Ballot],
    ) -> None:
        link = f"/elections/{election.id}"
        title = ROLE_TITLES[election.role]
        if election.kind == "recall":
            text = (
                f"Recall vote for {title} carried: the term has ended."
                if result.winner == "yes"
                else f"Recall vote for {title} not carried: the holder stays in office."
            )
        elif not candidates:
            text = f"The election for {title} closed with no candidates; the role stays vacant."
        elif not ballots:
            text = f"Nobody voted in the election for {title}; the role stays vacant."
        else:
            name = next((c.name for c in candidates if c.nominee == winner), None)
            text = f"{name or 'A member'} was elected {title}. See the count, round by round."
        await self._notices.notify_members(text, link)
        if winner is not None:
            await self._notices.notify(
                [winner],
                f"You are now {title}, until {describe_date(term_end(election.voting_closes))}.",
                "/roles",
            )

    async def _end_terms(self, now: int) -> None:
        """Act once on each term that has ended: tell the holder, end a delegate's mandate."""
        rows = await self._db.fetchall(
            "SELECT r.member_id, r.role, r.starts_at, r.ends_at, m.status FROM member_roles r"
            " JOIN members m ON m.id = r.member_id WHERE r.closed = 0 AND r.ends_at IS NOT NULL"
            " AND r.ends_at <= ?",
            (now,),
        )
        for member_id, role, starts_at, ends_at, status in rows:
            async with self._db.write() as conn:
                await conn.execute(
                    "UPDATE member_roles SET closed = 1 WHERE member_id = ? AND role = ?"
                    " AND starts_at = ?",
                    (member_id, role, starts_at),
                )
                if role == Role.DELEGATE.value:
                    await conn.execute(
                        "UPDATE delegate_mandates SET ended_at = ?, end_reason = CASE"
                        " WHEN ends_at <= ? THEN ? ELSE ? END WHERE member_id = ?"
                        " AND starts_at = ? AND ended_at IS NULL",
                        (
                            ends_at,
                            ends_at,
                            "The delegate's term ended.",
                            "The delegate's term ended early.",
                            member_id,
                            starts_at,
                        ),
                    )
            if role != Role.INTERIM.value and status == "active":
                title = ROLE_TITLES[Role(role)]
                await self._notices.notify(
                    [member_id],
                    f"Your term as {title} ended on {describe_date(ends_at)}. You can stand for"
                    f" it again from {describe_date(may_stand_from(ends_at))}.",
                    "/roles",
                )

    async def _publish(self) -> None:
        """Publish mandates and recalls not yet published (crash-safe: retried next tick)."""
        rows = await self._db.fetchall(
            "SELECT member_id, starts_at, ends_at, network_name FROM delegate_mandates"
            " WHERE message_id IS NULL"
        )
        for member_id, starts_at, ends_at, network_name in rows:
            message = await self._messages.append(
                "delegate.mandate",
                DelegateMandate(
                    delegate=network_name,
                    body=NETWORK_BODY,
                    starts=starts_at // 1000,
                    ends=ends_at // 1000,
                ),
            )
            async with self._db.write() as conn:
                await conn.execute(
                    "UPDATE delegate_mandates SET message_id = ? WHERE member_id = ?"
                    " AND starts_at = ?",
                    (message.id, member_id, starts_at),
                )
        rows = await self._db.fetchall(
            "SELECT member_id, starts_at, message_id, end_reason FROM delegate_mandates"
            " WHERE ended_at IS NOT NULL AND recall_id IS NULL AND message_id IS NOT NULL"
        )
        for member_id, starts_at, mandate_id, reason in rows:
            message = await self._messages.append(
                "delegate.recall", DelegateRecall(mandate=mandate_id, reason=reason)
            )
            async with self._db.write() as conn:
                await conn.execute(
                    "UPDATE delegate_mandates SET recall_id = ? WHERE member_id = ?"
                    " AND starts_at = ?",
                    (message.id, member_id, starts_at),
                )

    async def mandates(self) -> list[dict[str, Any]]:
        rows = await self._db.fetchall(
            "SELECT member_id, starts_at, ends_at, network_name, message_id, ended_at,"
            " end_reason, recall_id FROM delegate_mandates ORDER BY starts_at DESC"
        )
        keys = (
            "member_id",
            "starts_at",
            "ends_at",
            "network_name",
            "message_id",
            "ended_at",
            "end_reason",
            "recall_id",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> Any | None:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def _all(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())
