"""SQL for local polls: the poll, who may vote in it, and when its result was published.

The votes are not here: they are in the hub's one ballot box (node/store/ballots.py).
`poll_electorate` lists the members active when the poll opened, who alone may vote.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from node.store.database import Database
from node.store.funds import FORMER_MEMBER


@dataclass(frozen=True, slots=True)
class PollRecord:
    id: int
    title: str
    body: str
    kind: str
    options: tuple[str, ...]
    quorum_percent: int
    electorate: int  # how many members could vote
    proposed_by: str  # a name, or FORMER_MEMBER
    opens_at: int
    closes_at: int


@dataclass(frozen=True, slots=True)
class PollWindow:
    """What taking a vote needs of its poll."""

    opens_at: int
    closes_at: int
    options: tuple[str, ...]


_POLL_SQL = (
    "SELECT p.id, p.title, p.body, p.kind, p.options, p.quorum_percent, p.electorate,"
    " coalesce(unseal('members.name', m.name), ?), p.opens_at, p.closes_at FROM polls p"
    " LEFT JOIN members m ON m.id = p.proposed_by"
)


def _poll(r: aiosqlite.Row) -> PollRecord:
    return PollRecord(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), *r[5:10])


async def poll_txn(conn: aiosqlite.Connection, poll_id: int) -> PollRecord | None:
    rows = await conn.execute_fetchall(_POLL_SQL + " WHERE p.id = ?", (FORMER_MEMBER, poll_id))
    row = next(iter(rows), None)
    return None if row is None else _poll(row)


async def publish_txn(conn: aiosqlite.Connection, poll_id: int, now: int) -> bool:
    """Mark a closed poll's result published; False if it already was."""
    cursor = await conn.execute(
        "UPDATE polls SET published_at = ? WHERE id = ? AND published_at IS NULL",
        (now, poll_id),
    )
    return cursor.rowcount == 1


async def window_txn(conn: aiosqlite.Connection, poll_id: int) -> PollWindow | None:
    rows = await conn.execute_fetchall(
        "SELECT opens_at, closes_at, options FROM polls WHERE id = ?", (poll_id,)
    )
    row = next(iter(rows), None)
    return None if row is None else PollWindow(row[0], row[1], tuple(json.loads(row[2])))


async def may_vote_txn(conn: aiosqlite.Connection, poll_id: int, member_id: int) -> bool:
    """Whether the member was active when the poll opened."""
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM poll_electorate WHERE poll_id = ? AND member_id = ?",
        (poll_id, member_id),
    )
    return bool(rows)


class PollStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(self, now: int) -> list[int]:
        """The polls whose window has closed but whose result is not yet published."""
        rows = await self._db.fetchall(
            "SELECT id FROM polls WHERE published_at IS NULL AND closes_at <= ?", (now,)
        )
        return [r[0] for r in rows]

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
    ) -> int:
        """Open a poll with the members active now as its electorate, in one transaction."""
        async with self._db.write() as conn:
            electorate = [
                r[0]
                for r in await conn.execute_fetchall(
                    "SELECT id FROM members WHERE status = 'active'"
                )
            ]
            cursor = await conn.execute(
                "INSERT INTO polls (title, body, kind, options, quorum_percent, electorate,"
                " proposed_by, opens_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    title,
                    body,
                    kind,
                    json.dumps(list(options)),
                    quorum_percent,
                    len(electorate),
                    proposed_by,
                    opens_at,
                    closes_at,
                ),
            )
            poll_id = cursor.lastrowid
            assert poll_id is not None
            await conn.executemany(
                "INSERT INTO poll_electorate (poll_id, member_id) VALUES (?, ?)",
                [(poll_id, m) for m in electorate],
            )
            return poll_id

    async def polls(self) -> list[PollRecord]:
        """Every poll, newest first."""
        rows = await self._db.fetchall(_POLL_SQL + " ORDER BY p.id DESC", (FORMER_MEMBER,))
        return [_poll(r) for r in rows]

    async def poll(self, poll_id: int) -> PollRecord | None:
        return await poll_txn(self._db.reader, poll_id)

    async def may_vote(self, poll_id: int, member_id: int) -> bool:
        return await may_vote_txn(self._db.reader, poll_id, member_id)
