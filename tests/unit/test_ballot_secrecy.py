"""The secret ballot, as the bytes on disk show it, for elections, polls and budget approvals.

One hub's database is set up once with an open election, poll and budget round. Each
example copies it twice and casts the same voters and the same choices in both, but
paired differently and in a different order, through the real services. Whatever one
reads afterwards (the database file, its write-ahead log, a backup made by the node's
own backup code) must be the same bytes in both copies: so nothing kept can say who
chose what, or in which order the votes came. docs/ARCHITECTURE.md, "Secret ballots".
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import argon2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.accounts.members import Member, Members
from node.accounts.permissions import Role
from node.backup import snapshot_database
from node.funds.budget import HOUR_MS
from node.funds.ledger import Draft, Kind
from node.funds.polls import DAY_MS, PollKind
from node.funds.receipts import ReceiptFiles
from node.funds.service import Funds, log_notices
from node.governance.service import Governance
from node.notices import Notices
from node.store.accounts import AccountsStore
from node.store.database import Database
from node.store.messages import MessageStore
from node.store.notices import NoticesStore
from node.verifier import Verifier
from tests.helpers import ManualClock, key_from

# Member ids far apart from anything else stored, so a voter would stand out.
VOTERS = (7_301, 7_452, 7_613, 7_874, 7_935)
CANDIDATES = (8_101, 8_202, 8_303)
POLL_OPTIONS = ("Tuesdays", "Wednesdays", "Thursdays", "Saturdays")


@dataclass(frozen=True)
class Hub:
    path: Path  # the database, closed, to be copied for each example
    now: int
    election: str
    poll: int
    round: int
    proposals: tuple[int, ...]


async def _add_member(db: Database, member_id: int, roles: frozenset[Role]) -> Member:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO members (id, email, name, status, charter_version, charter_signed_at,"
            " privacy_version, privacy_accepted_at, applied_at)"
            " VALUES (?, seal('members.email', ?), seal('members.name', ?), 'active', '1', 0,"
            " '1', 0, 0)",
            (member_id, f"m{member_id}@example.org", f"Member {member_id}"),
        )
    return Member(member_id, f"m{member_id}@example.org", f"Member {member_id}", None, None,
                  "active", 0, roles)  # fmt: skip


class Services:
    def __init__(self, db: Database, clock: ManualClock, data: Path) -> None:
        self.verifier = Verifier(1)
        members = Members(
            AccountsStore(db), clock, argon2.PasswordHasher(time_cost=1, memory_cost=8)
        )
        messages = MessageStore(db, key_from(3), clock, self.verifier)
        notices = Notices(NoticesStore(db), clock, "Test hub", "http://hub.test")
        self.governance = Governance(db, clock, members, messages, notices)
        self.funds = Funds(db, clock, ReceiptFiles(data), notify=log_notices)


async def _build(data: Path) -> Hub:
    clock = ManualClock()
    db = await Database.open(data / "hubnet.db")
    services = Services(db, clock, data)
    try:
        treasurer = await _add_member(db, 9_001, frozenset({Role.TREASURER}))
        secretary = await _add_member(db, 9_002, frozenset({Role.SECRETARY}))
        voters = [await _add_member(db, m, frozenset()) for m in VOTERS]
        candidates = [await _add_member(db, m, frozenset()) for m in CANDIDATES]
        now = clock()
        election = await services.governance.open_election(
            Role.CHAIR, "instant-runoff", now + DAY_MS, now + DAY_MS, now + 9 * DAY_MS, secretary
        )
        for c in candidates:
            await services.governance.nominate(election.id, c.id, by=c)
        poll = await services.funds.open_poll(
            voters[0], "When do we meet?", "Pick a day.", PollKind.CHOICE, POLL_OPTIONS, 0,
            now + 9 * DAY_MS,
        )  # fmt: skip
        await services.funds.record(
            treasurer, Draft(Kind.INCOME, 100_000, date(2025, 11, 13), "Donations", "Fair")
        )
        round_id = await services.funds.open_round(
            treasurer, "Spring", 50_000, now + HOUR_MS, now + DAY_MS, now + 9 * DAY_MS
        )
        proposals = tuple(
            [await services.funds.propose(voters[0], round_id, t, "For all", 10_000)
             for t in ("Garden", "Hall", "Zine")]
        )  # fmt: skip
        clock.advance(DAY_MS + 1)
        await services.governance.tick()  # "voting is open" notices: before any ballot
        return Hub(data / "hubnet.db", clock(), election.id, poll, round_id, proposals)
    finally:
        await services.verifier.aclose()
        await db.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    return asyncio.run(_build(tmp_path_factory.mktemp("hub")))


# A ballot of each kind, as the services take them.
Ranking = tuple[str, ...]
Ballot = tuple[str, object]

rankings = st.permutations([str(c) for c in CANDIDATES]).flatmap(
    lambda order: st.integers(1, len(order)).map(lambda n: tuple(order[:n]))
)
poll_choices = st.integers(0, len(POLL_OPTIONS) - 1)
approval_sets = st.sets(st.integers(0, 2), min_size=1).map(lambda s: tuple(sorted(s)))


@st.composite
def two_castings(draw: st.DrawFn) -> tuple[list[tuple[int, Ballot]], list[tuple[int, Ballot]]]:
    """The same voters and the same ballots of each kind, paired and ordered two ways."""
    first: list[tuple[int, Ballot]] = []
    second: list[tuple[int, Ballot]] = []
    for kind, ballots in (
        ("election", rankings),
        ("poll", poll_choices),
        ("budget", approval_sets),
    ):
        voters = draw(st.lists(st.sampled_from(VOTERS), min_size=1, max_size=4, unique=True))
        chosen = draw(st.lists(ballots, min_size=len(voters), max_size=len(voters)))
        repaired = draw(st.permutations(chosen))
        first += [(v, (kind, c)) for v, c in zip(voters, chosen, strict=True)]
        second += [(v, (kind, c)) for v, c in zip(voters, repaired, strict=True)]
    return draw(st.permutations(first)), draw(st.permutations(second))


async def _cast(hub: Hub, votes: list[tuple[int, Ballot]], data: Path) -> dict[str, bytes]:
    """Cast `votes` in order on a copy of the hub; the bytes one could read afterwards."""
    data.mkdir()
    shutil.copy(hub.path, data / "hubnet.db")
    # The key file beside it unlocks the members' data and the box (node/store/sealing.py).
    shutil.copy(hub.path.with_name("data.key"), data / "data.key")
    clock = ManualClock(hub.now)
    db = await Database.open(data / "hubnet.db")
    services = Services(db, clock, data)
    try:
        for member_id, (kind, choice) in votes:
            voter = Member(member_id, "", "", None, None, "active", 0, frozenset())
            if kind == "election":
                assert isinstance(choice, tuple)
                await services.governance.vote(hub.election, voter, choice)
            elif kind == "poll":
                assert isinstance(choice, int)
                await services.funds.vote(voter, hub.poll, choice)
            else:
                assert isinstance(choice, tuple)
                await services.funds.approve(voter, hub.round, [hub.proposals[i] for i in choice])
        wal = data / "hubnet.db-wal"
        seen = {
            "database": (data / "hubnet.db").read_bytes(),
            "wal": wal.read_bytes() if wal.exists() else b"",
        }
        await asyncio.to_thread(snapshot_database, data / "hubnet.db", data / "backup.db")
        seen["backup"] = (data / "backup.db").read_bytes()
        return seen
    finally:
        await services.verifier.aclose()
        await db.close()


@settings(max_examples=12, deadline=None)
@given(castings=two_castings())
def test_the_same_ballots_leave_the_same_bytes_whoever_cast_them_and_in_any_order(
    hub: Hub,
    tmp_path_factory: pytest.TempPathFactory,
    castings: tuple[list[tuple[int, Ballot]], list[tuple[int, Ballot]]],
) -> None:
    first, second = castings
    work = tmp_path_factory.mktemp("cast")
    one = asyncio.run(_cast(hub, first, work / "one"))
    two = asyncio.run(_cast(hub, second, work / "two"))
    for what in ("database", "wal", "backup"):
        assert one[what] == two[what], f"the {what} tells the two castings apart"
    # The log is emptied after each ballot: no older copy of a box or a page waits there.
    assert one["wal"] == b""
