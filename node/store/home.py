"""SQL for a member's home page (node/home.py): what needs them, in a few small queries.

The home page is the most visited page, so each query here reads an index or a handful
of rows: open votes (few at a time), the member's next events, unread threads among
the latest, and for organisers the count of applications waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.store.ballots import VOTER_WIDTH, contest
from node.store.database import Database

# How many of each a home page shows at most.
SHOWN = 5


@dataclass(frozen=True, slots=True)
class OpenVote:
    kind: str  # "election", "recall", "poll" or "budget"
    key: str  # the election's, poll's or round's id
    title: str  # an election's or recall's: the role's name
    closes_at: int  # ms


@dataclass(frozen=True, slots=True)
class UpcomingEvent:
    id: bytes
    title: str
    starts: int  # seconds, UTC
    timezone: str
    own: bool  # this hub's


@dataclass(frozen=True, slots=True)
class UnreadThread:
    id: int
    title: str
    category: str
    last_post_at: int


class HomeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open_votes(self, member_id: int, now: int) -> list[OpenVote]:
        """Votes open now that the member may cast and has not, soonest to close first."""
        rows = await self._db.fetchall(
            "SELECT kind, id, role, voting_closes FROM elections"
            " WHERE state = 'open' AND voting_opens <= ?1 AND voting_closes > ?1"
            " UNION ALL"
            " SELECT 'poll', p.id, p.title, p.closes_at FROM polls p"
            " JOIN poll_electorate e ON e.poll_id = p.id AND e.member_id = ?2"
            " WHERE p.opens_at <= ?1 AND p.closes_at > ?1"
            " UNION ALL"
            " SELECT 'budget', id, title, voting_close_at FROM budget_rounds"
            " WHERE resolved_at IS NULL AND voting_open_at <= ?1 AND voting_close_at > ?1"
            " ORDER BY 4",
            (now, member_id),
        )
        if not rows:
            return []
        # The ballot box names an election's and a recall's contest alike.
        names = [contest("election" if k == "recall" else k, key) for k, key, *_ in rows]
        voted = await self._db.fetchall(
            f"SELECT contest, members FROM ballot_voters WHERE contest IN"
            f" ({','.join('?' * len(names))})",
            tuple(names),
        )
        mine = f"{member_id:0{VOTER_WIDTH}d}"
        cast = {
            name
            for name, members in voted
            if any(
                members[i : i + VOTER_WIDTH] == mine for i in range(0, len(members), VOTER_WIDTH)
            )
        }
        return [
            OpenVote(kind, str(key), title, closes)
            for (kind, key, title, closes), name in zip(rows, names, strict=True)
            if name not in cast
        ]

    async def my_events(self, member_id: int, now_s: int) -> list[UpcomingEvent]:
        """The member's next events (those they said they are coming to), soonest first."""
        rows = await self._db.fetchall(
            "SELECT e.id, e.title, e.starts, e.timezone FROM rsvps r"
            " JOIN events e ON e.id = r.event"
            " WHERE r.member_id = ? AND e.ends >= ? AND e.cancelled = 0"
            " ORDER BY e.starts LIMIT ?",
            (member_id, now_s, SHOWN),
        )
        return [UpcomingEvent(bytes(i), t, s, z, True) for i, t, s, z in rows]

    async def hub_events(self, origin: str, now_s: int) -> list[UpcomingEvent]:
        """The hub's own next events, soonest first (every visibility: members see all)."""
        rows = await self._db.fetchall(
            "SELECT id, title, starts, timezone FROM events"
            " WHERE ends >= ? AND origin = ? AND cancelled = 0 ORDER BY ends, starts LIMIT ?",
            (now_s, origin, SHOWN * 2),
        )
        events = [UpcomingEvent(bytes(i), t, s, z, True) for i, t, s, z in rows]
        return sorted(events, key=lambda e: e.starts)[:SHOWN]

    async def unread_threads(self, member_id: int) -> list[UnreadThread]:
        """Topics with posts since the member last read them, among the latest active."""
        rows = await self._db.fetchall(
            "SELECT t.id, t.title, t.category, t.last_post_at FROM"
            " (SELECT id, title, category, last_post_at FROM topics"
            "  WHERE category != 'working-groups' ORDER BY last_post_at DESC LIMIT 50) t"
            " LEFT JOIN discussion_reads r ON r.member_id = ? AND r.thread = 'topic:' || t.id"
            " WHERE r.read_at IS NULL OR r.read_at < t.last_post_at"
            " ORDER BY t.last_post_at DESC LIMIT ?",
            (member_id, SHOWN),
        )
        return [UnreadThread(i, t, c, at) for i, t, c, at in rows]

    async def applications_waiting(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM members WHERE status = 'applied'")
        return int(row[0]) if row else 0
