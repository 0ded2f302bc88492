"""SQL for a member's home page (node/home.py): what needs them, in one statement.

The home page is the most visited page, so each part reads an index or a handful of
rows: open votes (few at a time) with their lists of voters, the member's next events,
the hub's, unread threads among the latest, unread notices, and for organisers the
count of applications waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.store.ballots import VOTER_WIDTH
from node.store.database import Database
from node.store.notices import Notice

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


@dataclass(slots=True)
class HomeRows:
    votes: list[OpenVote]
    my_events: list[UpcomingEvent]
    hub_events: list[UpcomingEvent]
    threads: list[UnreadThread]
    notices: list[Notice]
    applications: int


# Everything on the page in one statement, one round trip to the reader's thread: each
# part is tagged by its first column and keeps its own order and limit.
_HOME = """
SELECT * FROM (
    SELECT e.kind, e.id, e.role, e.voting_closes, v.members FROM elections e
    LEFT JOIN ballot_voters v ON v.contest = 'election:' || e.id
    WHERE e.state = 'open' AND e.voting_opens <= :now AND e.voting_closes > :now
    UNION ALL
    SELECT 'poll', p.id, p.title, p.closes_at, v.members FROM polls p
    JOIN poll_electorate e ON e.poll_id = p.id AND e.member_id = :member
    LEFT JOIN ballot_voters v ON v.contest = 'poll:' || p.id
    WHERE p.opens_at <= :now AND p.closes_at > :now
    UNION ALL
    SELECT 'budget', r.id, r.title, r.voting_close_at, v.members FROM budget_rounds r
    LEFT JOIN ballot_voters v ON v.contest = 'budget:' || r.id
    WHERE r.resolved_at IS NULL AND r.voting_open_at <= :now AND r.voting_close_at > :now
    ORDER BY 4)
UNION ALL SELECT * FROM (
    SELECT 'mine', e.id, e.title, e.starts, e.timezone FROM rsvps r
    JOIN events e ON e.id = r.event
    WHERE r.member_id = :member AND e.ends >= :now_s AND e.cancelled = 0
    ORDER BY e.starts LIMIT :shown)
UNION ALL SELECT * FROM (
    SELECT 'hub', id, title, starts, timezone FROM events
    WHERE ends >= :now_s AND origin = :origin AND cancelled = 0
    ORDER BY ends, starts LIMIT :shown * 2)
UNION ALL SELECT * FROM (
    SELECT 'thread', t.id, t.title, t.category, t.last_post_at FROM
        (SELECT id, title, category, last_post_at FROM topics
         WHERE category != 'working-groups' ORDER BY last_post_at DESC LIMIT 50) t
    LEFT JOIN discussion_reads r ON r.member_id = :member AND r.thread = 'topic:' || t.id
    WHERE r.read_at IS NULL OR r.read_at < t.last_post_at
    ORDER BY t.last_post_at DESC LIMIT :shown)
UNION ALL SELECT * FROM (
    SELECT 'notice', id, unseal('notices.text', text), link, created_at FROM notices
    WHERE member_id = :member AND read_at IS NULL
    ORDER BY created_at DESC, id DESC LIMIT :shown * 2)
UNION ALL
SELECT 'applied', count(*), NULL, NULL, NULL FROM members
    WHERE :applied AND status = 'applied'
"""


def _voted(members: str | None, member_id: int) -> bool:
    if not members:
        return False
    mine = f"{member_id:0{VOTER_WIDTH}d}"
    return any(members[i : i + VOTER_WIDTH] == mine for i in range(0, len(members), VOTER_WIDTH))


class HomeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rows(self, member_id: int, origin: str, now: int, applications: bool) -> HomeRows:
        """What the member's home shows, `now` in ms: votes open that they may cast and
        have not (soonest to close first), their next events, the hub's next events,
        threads with posts they have not read, unread notices (up to twice SHOWN: the
        caller leaves out reminders already acted on), and applications waiting."""
        params = {
            "member": member_id, "now": now, "now_s": now // 1000, "origin": origin,
            "shown": SHOWN, "applied": int(applications),
        }  # fmt: skip
        home = HomeRows([], [], [], [], [], 0)
        for tag, key, a, b, c in await self._db.fetchall(_HOME, params):
            if tag in ("election", "recall", "poll", "budget"):
                if not _voted(c, member_id):
                    home.votes.append(OpenVote(tag, str(key), a, b))
            elif tag in ("mine", "hub"):
                events = home.my_events if tag == "mine" else home.hub_events
                events.append(UpcomingEvent(bytes(key), a, b, c, tag == "hub"))
            elif tag == "thread":
                home.threads.append(UnreadThread(key, a, b, c))
            elif tag == "notice":
                home.notices.append(Notice(key, a, b, c, False))
            elif tag == "applied":
                home.applications = int(key)
        home.hub_events.sort(key=lambda e: e.starts)
        del home.hub_events[SHOWN:]
        return home
