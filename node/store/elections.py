"""SQL for elections and recall votes, and their nominations.

The ballots are not here: they are in the one ballot box (node/store/ballots.py),
under the contest "election:<id>". The rules (windows, who may stand, counting)
are node/governance's; a check that decides whether to write runs in the
transaction that writes (one open election per role, a window still open).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.accounts.permissions import Role
from node.governance import tally
from node.governance.records import Election, Nomination
from node.store.database import Database

_ELECTION_COLUMNS = (
    "id, kind, role, method, opened_at, nominations_close, voting_opens, voting_closes, state,"
    " recall_member, recall_starts_at, closed_at, result, elected"
)
# The once-only notices an open election sends, each with its flag.
FLAGS = ("voting_noticed", "reminded")


@dataclass(frozen=True, slots=True)
class OpenElection:
    election: Election
    noticed: bool  # "voting is open" sent
    reminded: bool  # "voting closes within a day" sent


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


async def _exists_txn(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> bool:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone() is not None


async def voting_open_txn(conn: aiosqlite.Connection, election_id: str, now: int) -> bool:
    """Whether the election is open and `now` is inside its voting window."""
    return await _exists_txn(
        conn,
        "SELECT 1 FROM elections WHERE id = ? AND state = 'open'"
        " AND voting_opens <= ? AND voting_closes > ?",
        (election_id, now, now),
    )


async def close_txn(
    conn: aiosqlite.Connection, election_id: str, at: int, result: str, elected: int | None
) -> bool:
    """Record an open election's result; False if it was closed already."""
    cursor = await conn.execute(
        "UPDATE elections SET state = 'closed', closed_at = ?, result = ?, elected = ?"
        " WHERE id = ? AND state = 'open'",
        (at, result, elected, election_id),
    )
    return cursor.rowcount == 1


class ElectionsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[Election]:
        rows = await self._db.fetchall(
            f"SELECT {_ELECTION_COLUMNS} FROM elections ORDER BY opened_at DESC, id"
        )
        return [_election(r) for r in rows]

    async def get(self, election_id: str) -> Election | None:
        row = await self._db.fetchone(
            f"SELECT {_ELECTION_COLUMNS} FROM elections WHERE id = ?", (election_id,)
        )
        return _election(row) if row else None

    async def open_ones(self) -> list[OpenElection]:
        """Every open election, with the once-only notices it has sent."""
        rows = await self._db.fetchall(
            f"SELECT {_ELECTION_COLUMNS}, voting_noticed, reminded FROM elections"
            " WHERE state = 'open'"
        )
        return [OpenElection(_election(r), bool(r[14]), bool(r[15])) for r in rows]

    async def add_election(
        self,
        election_id: str,
        role: str,
        method: str,
        by: int,
        opened_at: int,
        nominations_close: int,
        voting_opens: int,
        voting_closes: int,
    ) -> bool:
        """Open an election; False (and nothing written) if one for the role is open."""
        async with self._db.write() as conn:
            if await _exists_txn(
                conn,
                "SELECT 1 FROM elections WHERE role = ? AND kind = 'election' AND state = 'open'",
                (role,),
            ):
                return False
            await conn.execute(
                "INSERT INTO elections (id, kind, role, method, opened_by, opened_at,"
                " nominations_close, voting_opens, voting_closes)"
                " VALUES (?, 'election', ?, ?, ?, ?, ?, ?, ?)",
                (
                    election_id,
                    role,
                    method,
                    by,
                    opened_at,
                    nominations_close,
                    voting_opens,
                    voting_closes,
                ),
            )
            return True

    async def add_recall(
        self,
        election_id: str,
        role: str,
        by: int,
        now: int,
        voting_opens: int,
        voting_closes: int,
        member_id: int,
        starts_at: int,
    ) -> bool:
        """Open a recall vote on one term, nominations closing `now`; False (and nothing
        written) if a recall vote for the role is open."""
        async with self._db.write() as conn:
            if await _exists_txn(
                conn,
                "SELECT 1 FROM elections WHERE role = ? AND kind = 'recall' AND state = 'open'",
                (role,),
            ):
                return False
            await conn.execute(
                "INSERT INTO elections (id, kind, role, method, opened_by, opened_at,"
                " nominations_close, voting_opens, voting_closes, recall_member,"
                " recall_starts_at) VALUES (?, 'recall', ?, 'yes-no', ?, ?, ?, ?, ?, ?, ?)",
                (
                    election_id,
                    role,
                    by,
                    now,
                    now,
                    voting_opens,
                    voting_closes,
                    member_id,
                    starts_at,
                ),
            )
            return True

    async def set_flag(self, election_id: str, flag: str) -> bool:
        """Set a once-only flag; True if it was already set."""
        assert flag in FLAGS
        async with self._db.write() as conn:
            cursor = await conn.execute(
                f"UPDATE elections SET {flag} = 1 WHERE id = ? AND {flag} = 0",
                (election_id,),
            )
            return cursor.rowcount == 0

    # -- nominations ----------------------------------------------------------------

    async def nominations(self, election_id: str) -> list[Nomination]:
        rows = await self._db.fetchall(
            "SELECT n.nominee, unseal('members.name', m.name), n.nominated_by, n.accepted_at,"
            " n.network_name,"
            " n.statement FROM nominations n JOIN members m ON m.id = n.nominee"
            " WHERE n.election_id = ? ORDER BY unseal('members.name', m.name) COLLATE NOCASE,"
            " n.nominee",
            (election_id,),
        )
        return [Nomination(r[0], r[1], r[2], r[3] is not None, r[4], r[5]) for r in rows]

    async def candidates(self, election_id: str) -> list[Nomination]:
        """Nominees who accepted and are still active members."""
        rows = await self._db.fetchall(
            "SELECT n.nominee, unseal('members.name', m.name), n.nominated_by, n.accepted_at,"
            " n.network_name,"
            " n.statement FROM nominations n JOIN members m ON m.id = n.nominee"
            " WHERE n.election_id = ? AND n.accepted_at IS NOT NULL AND m.status = 'active'"
            " ORDER BY unseal('members.name', m.name) COLLATE NOCASE, n.nominee",
            (election_id,),
        )
        return [Nomination(r[0], r[1], r[2], True, r[4], r[5]) for r in rows]

    async def add_nomination(
        self,
        election_id: str,
        nominee: int,
        by: int,
        now: int,
        accepted_at: int | None,
        network_name: str | None,
        statement: str | None = None,
    ) -> bool:
        """Record a nomination; False (and nothing written) if the member is nominated
        in this election already."""
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    "INSERT INTO nominations (election_id, nominee, nominated_by, nominated_at,"
                    " accepted_at, network_name, statement) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (election_id, nominee, by, now, accepted_at, network_name, statement),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    async def accept_nomination(
        self,
        election_id: str,
        member_id: int,
        now: int,
        network_name: str | None,
        statement: str | None = None,
    ) -> bool:
        """Accept a nomination waiting for it; False if there was none."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE nominations SET accepted_at = ?, network_name = ?, statement = ?"
                " WHERE election_id = ? AND nominee = ? AND accepted_at IS NULL",
                (now, network_name, statement, election_id, member_id),
            )
            return cursor.rowcount == 1

    async def remove_nomination(self, election_id: str, member_id: int) -> bool:
        """Remove a member's nomination; False if they had none."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM nominations WHERE election_id = ? AND nominee = ?",
                (election_id, member_id),
            )
            return cursor.rowcount == 1
