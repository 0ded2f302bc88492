"""SQL for what the hub's elections hold about one member: their nominations, and
that (never how) they voted. Read for the member's data download and erased, in
part, when they leave (node/accounts/members.py)."""

from __future__ import annotations

from typing import Any

import aiosqlite

from node.store.ballots import BallotBox
from node.store.database import Database
from node.store.dates import iso_time


async def forget_member_txn(conn: aiosqlite.Connection, member_id: int) -> None:
    """Nominations in elections still open go, and the member's name on the others and
    as nominator. Their ballots stay in the boxes, counted and unlinked to them."""
    await conn.execute(
        "DELETE FROM nominations WHERE nominee = ? AND election_id IN"
        " (SELECT id FROM elections WHERE state = 'open')",
        (member_id,),
    )
    await conn.execute(
        "UPDATE nominations SET nominated_by = NULL WHERE nominated_by = ?", (member_id,)
    )
    await conn.execute(
        "UPDATE nominations SET network_name = NULL, statement = NULL WHERE nominee = ?",
        (member_id,),
    )


class ElectionRecords:
    """A member's part in the hub's elections, as their data download lists it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def export_member_records(self, member_id: int) -> dict[str, Any]:
        nominations = [
            {
                "election": e,
                "nominated_at": iso_time(n),
                "accepted_at": iso_time(a),
                "network_name": name,
                "statement": statement,
            }
            for e, n, a, name, statement in await self._db.fetchall(
                "SELECT election_id, nominated_at, accepted_at, network_name, statement"
                " FROM nominations WHERE nominee = ?",
                (member_id,),
            )
        ]
        # That they voted is recorded; how they voted is not linked to them anywhere.
        box = BallotBox(self._db)
        return {
            "nominations": nominations,
            "voted_in_elections": await box.voted_in(member_id, "election"),
            "voted_in_polls": await box.voted_in(member_id, "poll"),
            "voted_in_budget_rounds": await box.voted_in(member_id, "budget"),
        }

    async def forget_member_txn(self, conn: aiosqlite.Connection, member_id: int) -> None:
        await forget_member_txn(conn, member_id)
