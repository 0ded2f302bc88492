"""A member's home page: what needs them now, soonest first.

One service gathers it from cheap queries (node/store/home.py): the votes open that
they have not cast (elections, polls, budget rounds; for those who cast the hub's
vote, network motions), their next events, the hub's next events, threads with posts
they have not read, unread notices, and for membership secretaries the applications
waiting. Whether a member has voted is read from the ballot box each time, so "you
have not voted" is gone as soon as they have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crypto.nodeid import NodeId
from node.accounts.members import Member
from node.accounts.permissions import ROLE_TITLES, Permission, Role
from node.assembly import Assembly
from node.clock import Clock
from node.notices import Notices
from node.store.home import SHOWN, HomeStore, UnreadThread, UpcomingEvent
from node.store.notices import Notice
from protocol.kinds.assembly import DelegateVote, Motion
from protocol.tally import Phase


@dataclass(frozen=True, slots=True)
class VoteDue:
    title: str
    link: str  # a path on this hub
    closes_at: int  # ms
    what: str  # "Election", "Poll", "Budget round", "Network motion"


@dataclass(frozen=True, slots=True)
class HomeView:
    votes: list[VoteDue]
    my_events: list[UpcomingEvent]
    hub_events: list[UpcomingEvent]
    threads: list[UnreadThread]
    notices: list[Notice]
    applications: int | None = None  # None: not theirs to decide
    roles: list[str] = field(default_factory=list)

    @property
    def anything_due(self) -> bool:
        return bool(self.votes or self.my_events or self.threads or self.notices)


_WHAT = {"election": "Election", "recall": "Recall vote", "poll": "Poll", "budget": "Budget round"}
_PATH = {"election": "elections", "recall": "elections", "poll": "polls", "budget": "budget"}


class Home:
    def __init__(
        self, store: HomeStore, clock: Clock, node_id: NodeId, assembly: Assembly, notices: Notices
    ) -> None:
        self._store = store
        self._notices = notices
        self._clock = clock
        self._node_id = node_id
        self._assembly = assembly

    async def view(self, member: Member) -> HomeView:
        now = self._clock()
        rows = await self._store.rows(
            member.id, self._node_id, now, member.can(Permission.MANAGE_MEMBERS)
        )
        votes = [
            VoteDue(
                ROLE_TITLES[Role(v.title)] if v.kind in ("election", "recall") else v.title,
                f"/{_PATH[v.kind]}/{v.key}",
                v.closes_at,
                _WHAT[v.kind],
            )
            for v in rows.votes
        ]
        if member.can(Permission.CAST_NETWORK_VOTES):
            votes = sorted(votes + await self._motions_to_vote(), key=lambda v: v.closes_at)
        going = {e.id for e in rows.my_events}
        notices = await self._notices.still_to_do(member.id, rows.notices)
        return HomeView(
            votes=votes,
            my_events=rows.my_events,
            hub_events=[e for e in rows.hub_events if e.id not in going],
            threads=rows.threads,
            notices=notices[:SHOWN],
            applications=rows.applications if member.can(Permission.MANAGE_MEMBERS) else None,
            roles=sorted(ROLE_TITLES[r] for r in member.roles),
        )

    async def _motions_to_vote(self) -> list[VoteDue]:
        """Network motions open for votes that this hub has not voted on."""
        due = []
        for checked in await self._assembly.motions():
            motion = checked.motion.body
            if checked.result.phase is not Phase.VOTING or not isinstance(motion, Motion):
                continue
            if any(
                m.origin == self._node_id
                and isinstance(m.body, DelegateVote)
                and m.body.motion == checked.motion.id
                for m in checked.messages.values()
            ):
                continue
            due.append(
                VoteDue(
                    motion.title,
                    f"/network/motions/{checked.motion.id.hex()}",
                    motion.closes * 1000,
                    "Network motion",
                )
            )
        return due
