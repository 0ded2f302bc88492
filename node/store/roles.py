"""SQL for terms of office (`member_roles`): who holds which role from when until
when, and which ended terms have been acted on.

The rules (who stands down when someone takes office, what a recall ends) are
node/governance/roles.py's; the `_txn` functions here are the writes it composes
inside the transaction that closes an election.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from node.accounts.permissions import Role
from node.governance.records import Holder
from node.governance.terms import Term
from node.store.database import Database


@dataclass(frozen=True, slots=True)
class EndedTerm:
    """A term whose end has not been acted on yet."""

    member_id: int
    role: str
    starts_at: int
    ends_at: int
    status: str  # the member's status now


async def end_role_txn(conn: aiosqlite.Connection, role: str, at: int) -> None:
    """End, at `at`, every term of `role` running then."""
    await conn.execute(
        "UPDATE member_roles SET ends_at = ? WHERE role = ? AND starts_at <= ?"
        " AND (ends_at IS NULL OR ends_at > ?)",
        (at, role, at, at),
    )


async def add_term_txn(
    conn: aiosqlite.Connection, member_id: int, role: str, starts_at: int, ends_at: int
) -> None:
    await conn.execute(
        "INSERT INTO member_roles (member_id, role, starts_at, ends_at) VALUES (?, ?, ?, ?)",
        (member_id, role, starts_at, ends_at),
    )


async def roles_held_txn(conn: aiosqlite.Connection, at: int) -> set[str]:
    """Every role somebody holds at `at`."""
    async with conn.execute(
        "SELECT role FROM member_roles WHERE starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)",
        (at, at),
    ) as cursor:
        return {r[0] for r in await cursor.fetchall()}


async def end_term_txn(
    conn: aiosqlite.Connection, member_id: int, role: str, starts_at: int, at: int
) -> None:
    """End one term at `at`, if it is still running then."""
    await conn.execute(
        "UPDATE member_roles SET ends_at = ? WHERE member_id = ? AND role = ?"
        " AND starts_at = ? AND (ends_at IS NULL OR ends_at > ?)",
        (at, member_id, role, starts_at, at),
    )


async def mark_closed_txn(
    conn: aiosqlite.Connection, member_id: int, role: str, starts_at: int
) -> None:
    """Record that a term's end has been acted on."""
    await conn.execute(
        "UPDATE member_roles SET closed = 1 WHERE member_id = ? AND role = ? AND starts_at = ?",
        (member_id, role, starts_at),
    )


def _holder(row: tuple[int, str | None, str, int, int | None]) -> Holder:
    return Holder(row[0], row[1], Role(row[2]), row[3], row[4])


class RolesStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def holders(self, now: int) -> list[Holder]:
        """Every term running at `now`, by role; no names while the hub is locked (the
        public page shows which roles are filled, and is served locked too)."""
        rows = await self._db.fetchall(
            "SELECT r.member_id, CASE WHEN members_data_unlocked()"
            " THEN unseal('members.name', m.name) END, r.role, r.starts_at,"
            " r.ends_at FROM member_roles r"
            " JOIN members m ON m.id = r.member_id WHERE r.starts_at <= ?"
            " AND (r.ends_at IS NULL OR r.ends_at > ?) ORDER BY r.role, r.starts_at",
            (now, now),
        )
        return [_holder(r) for r in rows]

    async def past_holders(self, now: int, limit: int) -> list[Holder]:
        rows = await self._db.fetchall(
            "SELECT r.member_id, unseal('members.name', m.name), r.role, r.starts_at,"
            " r.ends_at FROM member_roles r"
            " JOIN members m ON m.id = r.member_id WHERE r.ends_at IS NOT NULL"
            " AND r.ends_at <= ? ORDER BY r.ends_at DESC LIMIT ?",
            (now, limit),
        )
        return [_holder(r) for r in rows]

    async def terms_of(self, member_id: int, role: Role) -> list[Term]:
        rows = await self._db.fetchall(
            "SELECT starts_at, ends_at FROM member_roles WHERE member_id = ? AND role = ?",
            (member_id, role.value),
        )
        return [Term(r[0], r[1]) for r in rows]

    async def ended_not_closed(self, now: int) -> list[EndedTerm]:
        """Terms ended by `now` whose end has not been acted on."""
        rows = await self._db.fetchall(
            "SELECT r.member_id, r.role, r.starts_at, r.ends_at, m.status FROM member_roles r"
            " JOIN members m ON m.id = r.member_id WHERE r.closed = 0 AND r.ends_at IS NOT NULL"
            " AND r.ends_at <= ?",
            (now,),
        )
        return [EndedTerm(*r) for r in rows]
