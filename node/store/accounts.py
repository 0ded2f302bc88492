"""SQL for members' accounts and roles (node/accounts/members.py).

Everything here is personal data and never leaves the node (DESIGN.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.accounts.permissions import Role
from node.store import sessions
from node.store.database import Database
from node.store.sessions import Check

# What another feature erases about a member in the transaction that ends their
# account (Members.leave): (connection, member id).
ForgetTxn = Callable[[aiosqlite.Connection, int], Awaitable[None]]

# Sealed at rest (node/store/sealing.py): each read opens them, each write seals them.
_MEMBER_COLUMNS = (
    "id, unseal('members.email', email), unseal('members.name', name),"
    " unseal('members.phone', phone), unseal('members.statement', statement), status,"
    " applied_at, language"
)
_EXPORT_COLUMNS = (
    "unseal('members.email', email), unseal('members.name', name),"
    " unseal('members.phone', phone), unseal('members.statement', statement), status,"
    " charter_version, charter_signed_at, privacy_version, privacy_accepted_at, applied_at,"
    " decided_at, language"
)
_EXPORT_KEYS = (
    "email",
    "name",
    "phone",
    "statement",
    "status",
    "charter_version",
    "charter_signed_at_ms",
    "privacy_version",
    "privacy_accepted_at_ms",
    "applied_at_ms",
    "decided_at_ms",
    "language",  # the language the member chose for their pages (None: the hub's)
)


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    email: str | None
    name: str | None
    phone: str | None
    statement: str | None
    status: str
    applied_at: int
    language: str | None = None  # 'en' or 'cy'; None: the hub's (web/i18n.py)


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    name: str
    phone: str | None
    statement: str | None
    password_hash: str
    status: str
    charter_version: str
    privacy_version: str
    language: str | None = None  # 'en' or 'cy'; None: the hub's


def _account(row: Any) -> AccountRow:
    return AccountRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])


_ROLES_NOW = (
    "SELECT role FROM member_roles WHERE member_id = ? AND starts_at <= ?"
    " AND (ends_at IS NULL OR ends_at > ?)"
)


async def roles_txn(conn: aiosqlite.Connection, member_id: int, now: int) -> frozenset[Role]:
    """The roles `member_id` holds at `now`, read inside `conn`'s transaction."""
    async with conn.execute(_ROLES_NOW, (member_id, now, now)) as cursor:
        return frozenset(Role(r[0]) for r in await cursor.fetchall())


async def add_account_txn(conn: aiosqlite.Connection, account: NewAccount, now: int) -> int:
    """Insert an account; sqlite3.IntegrityError if an account has the address."""
    cursor = await conn.execute(
        "INSERT INTO members (email_index, email, name, phone, statement, password_hash,"
        " status, charter_version, charter_signed_at, privacy_version, privacy_accepted_at,"
        " applied_at, language) VALUES (blind_index(?1), seal('members.email', ?1),"
        " seal('members.name', ?2), seal('members.phone', ?3), seal('members.statement', ?4),"
        " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        (
            account.email,
            account.name,
            account.phone,
            account.statement,
            account.password_hash,
            account.status,
            account.charter_version,
            now,
            account.privacy_version,
            now,
            now,
            account.language,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


class AccountsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def roles(self, member_id: int, now: int) -> frozenset[Role]:
        rows = await self._db.fetchall(_ROLES_NOW, (member_id, now, now))
        return frozenset(Role(r[0]) for r in rows)

    async def member(self, member_id: int, now: int) -> tuple[AccountRow, frozenset[Role]] | None:
        """A member's account with their roles at `now` (every page asks): read in one
        query with every term of office they hold or held, kept until the next write
        (Database.kept), and the terms in force at `now` picked here, so a term that
        starts or ends between two writes does so on time."""
        found = await self._db.kept(("member", member_id), lambda: self._member(member_id))
        if found is None:
            return None
        account, terms = found
        return account, frozenset(
            role for role, starts, ends in terms if starts <= now and (ends is None or ends > now)
        )

    async def _member(
        self, member_id: int
    ) -> tuple[AccountRow, tuple[tuple[Role, int, int | None], ...]] | None:
        row = await self._db.fetchone_inline(
            f"SELECT {_MEMBER_COLUMNS}, (SELECT group_concat(role || ' ' || starts_at || ' '"
            " || coalesce(ends_at, '-'), ',') FROM member_roles WHERE member_id = members.id)"
            " FROM members WHERE id = ?",
            (member_id,),
        )
        if row is None:
            return None
        terms = []
        for term in (row[8] or "").split(","):
            if term:
                role, starts, ends = term.split(" ")
                terms.append((Role(role), int(starts), None if ends == "-" else int(ends)))
        return _account(row), tuple(terms)

    async def by_status(self, status: str) -> list[AccountRow]:
        rows = await self._db.fetchall(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE status = ? ORDER BY applied_at",
            (status,),
        )
        return [_account(r) for r in rows]

    async def active_names(self) -> list[tuple[int, str]]:
        rows = await self._db.fetchall(
            "SELECT id, unseal('members.name', name) AS plain FROM members"
            " WHERE status = 'active' ORDER BY plain COLLATE NOCASE, id"
        )
        return [(r[0], r[1]) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT status, count(*) FROM members GROUP BY status")
        return {s: n for s, n in rows}

    async def email_taken(self, email: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM members WHERE email_index = blind_index(?)", (email,)
        )
        return row is not None

    async def add(self, account: NewAccount, now: int) -> int | None:
        """The new account's id; None if the table refused it (an account has the address)."""
        try:
            async with self._db.write() as conn:
                return await add_account_txn(conn, account, now)
        except sqlite3.IntegrityError:
            return None

    async def grant(self, member_id: int, role: Role, now: int, ends_at: int | None) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO member_roles (member_id, role, starts_at, ends_at)"
                " VALUES (?, ?, ?, ?)",
                (member_id, role.value, now, ends_at),
            )

    async def decide(
        self,
        member_id: int,
        status: str,
        from_states: Sequence[str],
        by_id: int,
        now: int,
        check: Check,
    ) -> bool:
        """Move a member in one of `from_states` to `status`, after `check` in the same
        transaction; a suspension ends their sessions. False if they were in no such state."""
        async with self._db.write() as conn:
            await check(conn)
            cursor = await conn.execute(
                "UPDATE members SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?"
                f" AND status IN ({','.join('?' * len(from_states))})",
                (status, now, by_id, member_id, *from_states),
            )
            if cursor.rowcount != 1:
                return False
            if status == "suspended":
                await sessions.end_member_sessions_txn(conn, member_id)
        return True

    # -- passwords ----------------------------------------------------------------

    async def credentials(self, email: str) -> tuple[AccountRow, str | None] | None:
        """The account with this address and its password hash (None after leaving)."""
        row = await self._db.fetchone(
            f"SELECT {_MEMBER_COLUMNS}, password_hash FROM members"
            " WHERE email_index = blind_index(?)",
            (email,),
        )
        return (_account(row), row[8]) if row else None

    async def set_language(self, member_id: int, language: str | None) -> None:
        """The language the member's pages are in (None: the hub's)."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE members SET language = ? WHERE id = ?", (language, member_id)
            )

    async def rehash(self, member_id: int, password_hash: str) -> None:
        """The same password hashed anew (stronger settings): sessions stay."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE members SET password_hash = ? WHERE id = ?", (password_hash, member_id)
            )

    async def set_password(self, member_id: int, password_hash: str) -> None:
        """A new password, which ends every session of the member."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE members SET password_hash = ? WHERE id = ?", (password_hash, member_id)
            )
            await sessions.end_member_sessions_txn(conn, member_id)

    async def reset_password(self, token_hash: bytes, password_hash: str, now: int) -> bool:
        """Set a password with a reset link, spending it, in one transaction: False if the
        link is unknown, used or expired, or its member is not active."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT l.member_id FROM reset_links l JOIN members m ON m.id = l.member_id"
                " WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ?"
                " AND m.status = 'active'",
                (token_hash, now),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            await conn.execute(
                "UPDATE reset_links SET used_at = ? WHERE token_hash = ?", (now, token_hash)
            )
            await conn.execute(
                "UPDATE members SET password_hash = ? WHERE id = ?", (password_hash, row[0])
            )
            await sessions.end_member_sessions_txn(conn, row[0])
        return True

    # -- the member's own data ------------------------------------------------------

    async def export(self, member_id: int) -> dict[str, Any] | None:
        """The account, its roles and sessions, as plain JSON values; None if unknown."""
        row = await self._db.fetchone(
            f"SELECT {_EXPORT_COLUMNS} FROM members WHERE id = ?", (member_id,)
        )
        if row is None:
            return None
        async with self._db.reader.execute(
            "SELECT role, starts_at, ends_at FROM member_roles WHERE member_id = ?",
            (member_id,),
        ) as cursor:
            roles = [
                {"role": r, "starts_at_ms": s, "ends_at_ms": e}
                for r, s, e in await cursor.fetchall()
            ]
        async with self._db.reader.execute(
            "SELECT created_at, last_seen FROM sessions WHERE member_id = ?", (member_id,)
        ) as cursor:
            held = [{"created_at_ms": c, "last_seen_ms": s} for c, s in await cursor.fetchall()]
        return {
            "member": dict(zip(_EXPORT_KEYS, row, strict=True)),
            "roles": roles,
            "sessions": held,
        }

    async def leave(self, member_id: int, now: int, also: Sequence[ForgetTxn] = ()) -> None:
        """Erase the member's personal data, end their roles, sessions and reset links,
        and run each feature's `also` in the same transaction."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE members SET email = NULL, email_index = NULL, name = NULL, phone = NULL,"
                " statement = NULL,"
                " password_hash = NULL, status = 'left', left_at = ? WHERE id = ?",
                (now, member_id),
            )
            await conn.execute(
                "UPDATE member_roles SET ends_at = ? WHERE member_id = ? AND"
                " (ends_at IS NULL OR ends_at > ?)",
                (now, member_id, now),
            )
            await sessions.forget_member_txn(conn, member_id)
            for forget_txn in also:
                await forget_txn(conn, member_id)
