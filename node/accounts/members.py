"""Members' accounts: applying, approval, passwords, roles, export and erasure.

Everything here is personal data and never leaves the node (DESIGN.md). Password
hashing (argon2id) runs in a thread: it is deliberately slow and must not stall
the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite
import argon2

from node.accounts.charter import CHARTER_VERSION, PRIVACY_VERSION
from node.accounts.permissions import ROLE_TITLES, Permission, Role, outranks, permissions_of
from node.accounts.personal import PersonalData
from node.accounts.tokens import token_digest
from node.clock import Clock
from node.errors import NodeError, NotAllowed
from node.store.ballots import BallotBox
from node.store.database import Database

MIN_PASSWORD = 10
MAX_PASSWORD = 1000
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


class AccountError(NodeError):
    """A request about an account that cannot be met; the message is for the user."""


class NotOutranked(AccountError, NotAllowed):
    """An organiser acting on a member whose roles rank as high as theirs, or higher."""


class EmailTaken(AccountError):
    """An application with the email address of an existing account.

    The public join form must answer it exactly as it answers a new application
    (web/routes/public.py): anyone could otherwise test a list of emails for members.
    """


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    email: str | None
    name: str | None
    phone: str | None
    statement: str | None
    status: str
    applied_at: int
    roles: frozenset[Role]

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles) if self.status == "active" else frozenset()

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"A password can be at most {MAX_PASSWORD} characters.")


def check_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.fullmatch(email):
        raise AccountError("That does not look like an email address.")
    return email


def _text(value: str | None, most: int, what: str, required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise AccountError(f"Please give your {what}.")
        return None
    if len(value) > most:
        raise AccountError(f"Your {what} can be at most {most} characters.")
    return value


_MEMBER_COLUMNS = "id, email, name, phone, statement, status, applied_at"


async def check_may_manage_txn(
    conn: aiosqlite.Connection, by: Member, member_id: int, now: int, doing: str
) -> None:
    """AccountError unless `by` may manage the account of `member_id`: a role that
    grants MANAGE_MEMBERS and outranks all of theirs (permissions.RANKS). Read in
    the transaction that acts, so a role granted meanwhile is seen."""
    if not by.can(Permission.MANAGE_MEMBERS):
        raise NotOutranked("Only the organisers who manage members can do that.")
    await check_outranks_txn(conn, by, member_id, now, doing, Permission.MANAGE_MEMBERS)


async def check_outranks_txn(
    conn: aiosqlite.Connection,
    by: Member,
    member_id: int,
    now: int,
    doing: str,
    permission: Permission,
) -> None:
    """AccountError unless `by` holds a role granting `permission` that outranks all
    of `member_id`'s roles now (permissions.outranks), read inside `conn`'s transaction."""
    async with conn.execute(
        "SELECT role FROM member_roles WHERE member_id = ? AND starts_at <= ?"
        " AND (ends_at IS NULL OR ends_at > ?)",
        (member_id, now, now),
    ) as cursor:
        roles = frozenset(Role(r[0]) for r in await cursor.fetchall())
    if not outranks(by.roles, roles, permission):
        titles = " and ".join(sorted(ROLE_TITLES[r] for r in roles)) or "membership"
        raise NotOutranked(
            f"You cannot {doing} this member: they hold {titles}, and only an organiser "
            "whose role ranks above all of a member's roles can do that."
        )


@dataclass(frozen=True, slots=True)
class Application:
    """An application to join, checked, with its password already hashed."""

    name: str
    email: str
    phone: str | None
    statement: str | None
    password_hash: str
    charter_version: str


class Members:
    def __init__(self, db: Database, clock: Clock, hasher: argon2.PasswordHasher | None = None):
        self._db = db
        self._clock = clock
        # argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, 64 MiB,
        # 3 passes, 4 lanes), above OWASP's minimum; hashes re-made on login if raised.
        self._hasher = hasher or argon2.PasswordHasher()
        self._keepers: list[PersonalData] = []

    def keeps_personal_data(self, keeper: PersonalData) -> None:
        """Include a feature's records in the data download and erase them on leaving."""
        self._keepers.append(keeper)

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def _row_to_member(self, row: Any) -> Member:
        rows = await self._db.fetchall(
            "SELECT role FROM member_roles WHERE member_id = ? AND starts_at <= ?"
            " AND (ends_at IS NULL OR ends_at > ?)",
            (row[0], self._clock(), self._clock()),
        )
        roles = frozenset(Role(r[0]) for r in rows)
        return Member(row[0], row[1], row[2], row[3], row[4], row[5], row[6], roles)

    async def get(self, member_id: int) -> Member | None:
        """A member with their current roles, in one query (every page asks)."""
        now = self._clock()
        row = await self._db.fetchone(
            f"SELECT {_MEMBER_COLUMNS}, (SELECT group_concat(role, ' ') FROM member_roles"
            " WHERE member_id = members.id AND starts_at <= ?"
            " AND (ends_at IS NULL OR ends_at > ?)) FROM members WHERE id = ?",
            (now, now, member_id),
        )
        if row is None:
            return None
        roles = frozenset(Role(r) for r in (row[7] or "").split())
        return Member(row[0], row[1], row[2], row[3], row[4], row[5], row[6], roles)

    async def by_status(self, status: str) -> list[Member]:
        async with self._db.reader.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE status = ? ORDER BY applied_at",
            (status,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [await self._row_to_member(r) for r in rows]

    async def active_names(self) -> list[tuple[int, str]]:
        """Every active member's id and name, by name (for choosing a member)."""
        rows = await self._db.fetchall(
            "SELECT id, name FROM members WHERE status = 'active' ORDER BY name COLLATE NOCASE, id"
        )
        return [(r[0], r[1]) for r in rows]

    async def counts(self) -> dict[str, int]:
        """How many members in each state: public, unlike names."""
        rows = await self._db.fetchall("SELECT status, count(*) FROM members GROUP BY status")
        return {s: n for s, n in rows}

    # -- joining ----------------------------------------------------------------

    async def apply(
        self,
        *,
        name: str,
        email: str,
        password: str,
        phone: str | None = None,
        statement: str | None = None,
        signed_charter: bool,
        accepted_privacy: bool,
        status: str = "applied",
        charter_version: str = CHARTER_VERSION,
    ) -> Member:
        """Record an application (or, for founders, an active account)."""
        application = await self.check_application(
            name=name,
            email=email,
            password=password,
            phone=phone,
            statement=statement,
            signed_charter=signed_charter,
            accepted_privacy=accepted_privacy,
            charter_version=charter_version,
        )
        return await self.record(application, status)

    async def check_application(
        self,
        *,
        name: str,
        email: str,
        password: str,
        phone: str | None = None,
        statement: str | None = None,
        signed_charter: bool,
        accepted_privacy: bool,
        charter_version: str = CHARTER_VERSION,
    ) -> Application:
        """The form's fields checked, the password hashed: AccountError says what is wrong."""
        if not signed_charter:
            raise AccountError("To join, sign the charter: tick the box to agree to it.")
        if not accepted_privacy:
            raise AccountError("To join, accept the privacy notice.")
        clean_name = _text(name, 100, "name", required=True)
        clean_email = check_email(email)
        clean_phone = _text(phone, 40, "phone number")
        clean_statement = _text(statement, 2000, "note")
        check_password(password)
        return Application(
            name=clean_name or "",
            email=clean_email,
            phone=clean_phone,
            statement=clean_statement,
            password_hash=await self._hash(password),
            charter_version=charter_version,
        )

    async def email_taken(self, email: str) -> bool:
        """Whether an account (in any state) has this address."""
        row = await self._db.fetchone("SELECT 1 FROM members WHERE email = ?", (email,))
        return row is not None

    async def record(self, application: Application, status: str = "applied") -> Member:
        """Store a checked application: EmailTaken if the address has an account."""
        now = self._clock()
        try:
            async with self._db.write() as conn:
                cursor = await conn.execute(
                    "INSERT INTO members (email, name, phone, statement, password_hash, status,"
                    " charter_version, charter_signed_at, privacy_version, privacy_accepted_at,"
                    " applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        application.email,
                        application.name,
                        application.phone,
                        application.statement,
                        application.password_hash,
                        status,
                        application.charter_version,
                        now,
                        PRIVACY_VERSION,
                        now,
                        now,
                    ),
                )
                member_id = cursor.lastrowid
        except sqlite3.IntegrityError as exc:
            raise EmailTaken(
                "An account with that email address already exists. Log in, or ask an "
                "organiser for a password-reset link."
            ) from exc
        assert member_id is not None
        member = await self.get(member_id)
        assert member is not None
        return member

    async def create_founder(self, name: str, email: str, password: str) -> Member:
        """An active account in the interim steering group (before the first election)."""
        member = await self.apply(
            name=name,
            email=email,
            password=password,
            signed_charter=True,
            accepted_privacy=True,
            status="active",
        )
        await self.grant(member.id, Role.INTERIM)
        return member

    async def grant(self, member_id: int, role: Role, ends_at: int | None = None) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO member_roles (member_id, role, starts_at, ends_at)"
                " VALUES (?, ?, ?, ?)",
                (member_id, role.value, self._clock(), ends_at),
            )

    async def decide(self, member_id: int, status: str, by: Member) -> Member:
        """Approve (active), reject, suspend or reinstate a member, as `by`; AccountError
        if that makes no sense or `by` does not outrank them."""
        allowed = {
            "active": ("applied", "suspended"),
            "rejected": ("applied",),
            "suspended": ("active",),
        }
        if status not in allowed:
            raise AccountError(f"Unknown decision {status!r}.")
        doing = {"active": "approve or reinstate", "rejected": "reject", "suspended": "suspend"}
        async with self._db.write() as conn:
            await check_may_manage_txn(conn, by, member_id, self._clock(), doing[status])
            cursor = await conn.execute(
                "UPDATE members SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?"
                f" AND status IN ({','.join('?' * len(allowed[status]))})",
                (status, self._clock(), by.id, member_id, *allowed[status]),
            )
            if cursor.rowcount != 1:
                raise AccountError("That member is not in a state where this can be done.")
            if status == "suspended":
                await conn.execute("DELETE FROM sessions WHERE member_id = ?", (member_id,))
        member = await self.get(member_id)
        assert member is not None
        return member

    # -- passwords ----------------------------------------------------------------

    async def authenticate(self, email: str, password: str) -> Member | None:
        """The member whose email and password these are, or None; rehashes if due."""
        async with self._db.reader.execute(
            f"SELECT {_MEMBER_COLUMNS}, password_hash FROM members WHERE email = ?",
            (email.strip(),),
        ) as cursor:
            row = await cursor.fetchone()
        stored = row[7] if row else None
        if row is None or stored is None:
            # Spend the same time as a real check, so timing does not reveal accounts.
            await asyncio.to_thread(self._verify, _dummy_hash(), password)
            return None
        if not await asyncio.to_thread(self._verify, stored, password):
            return None
        if self._hasher.check_needs_rehash(stored):
            new_hash = await self._hash(password)
            async with self._db.write() as conn:
                await conn.execute(
                    "UPDATE members SET password_hash = ? WHERE id = ?", (new_hash, row[0])
                )
        return await self._row_to_member(row)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password))
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    async def set_password(self, member_id: int, password: str) -> None:
        """Set a new password and end every session of the member."""
        check_password(password)
        password_hash = await self._hash(password)
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE members SET password_hash = ? WHERE id = ?", (password_hash, member_id)
            )
            await conn.execute("DELETE FROM sessions WHERE member_id = ?", (member_id,))

    async def reset_password(self, token: str, password: str) -> bool:
        """Set a password with a reset link, spending the link; False if the link is
        unknown, used or expired. The link is checked and spent in the transaction that
        sets the password, so of several requests with one link exactly one succeeds."""
        check_password(password)
        password_hash = await self._hash(password)
        now = self._clock()
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT l.member_id FROM reset_links l JOIN members m ON m.id = l.member_id"
                " WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ?"
                " AND m.status = 'active'",
                (token_digest(token), now),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            await conn.execute(
                "UPDATE reset_links SET used_at = ? WHERE token_hash = ?",
                (now, token_digest(token)),
            )
            await conn.execute(
                "UPDATE members SET password_hash = ? WHERE id = ?", (password_hash, row[0])
            )
            await conn.execute("DELETE FROM sessions WHERE member_id = ?", (row[0],))
        return True

    # -- the member's own data ------------------------------------------------------

    async def export(self, member_id: int) -> dict[str, Any]:
        """Everything this node holds about a member, for them to download."""
        async with self._db.reader.execute(
            "SELECT email, name, phone, statement, status, charter_version, charter_signed_at,"
            " privacy_version, privacy_accepted_at, applied_at, decided_at FROM members"
            " WHERE id = ?",
            (member_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise AccountError("No such member.")
        keys = (
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
        )
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
            sessions = [{"created_at_ms": c, "last_seen_ms": s} for c, s in await cursor.fetchall()]
        notices = [
            {"text": t, "link": link, "created_at_ms": c, "read_at_ms": r}
            for t, link, c, r in await self._db.fetchall(
                "SELECT text, link, created_at, read_at FROM notices WHERE member_id = ?"
                " ORDER BY id",
                (member_id,),
            )
        ]
        nominations = [
            {"election": e, "nominated_at_ms": n, "accepted_at_ms": a, "network_name": name}
            for e, n, a, name in await self._db.fetchall(
                "SELECT election_id, nominated_at, accepted_at, network_name FROM nominations"
                " WHERE nominee = ?",
                (member_id,),
            )
        ]
        # That they voted is recorded; how they voted is not linked to them anywhere.
        voted_in = await BallotBox(self._db).voted_in(member_id, "election")
        data: dict[str, Any] = {
            "member": dict(zip(keys, row, strict=True)),
            "roles": roles,
            "sessions": sessions,
            "notices": notices,
            "nominations": nominations,
            "voted_in_elections": voted_in,
        }
        for keeper in self._keepers:
            data[keeper.personal_data_name] = await keeper.export_member(member_id)
        return data

    async def leave(self, member_id: int) -> None:
        """The member leaves: their personal data is erased and their sessions end."""
        # The features' records go first: should one fail, the member can still log
        # in and leave again, rather than being gone with their RSVPs or posts kept.
        for keeper in self._keepers:
            await keeper.erase_member(member_id)
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE members SET email = NULL, name = NULL, phone = NULL, statement = NULL,"
                " password_hash = NULL, status = 'left', left_at = ? WHERE id = ?",
                (self._clock(), member_id),
            )
            await conn.execute(
                "UPDATE member_roles SET ends_at = ? WHERE member_id = ? AND"
                " (ends_at IS NULL OR ends_at > ?)",
                (self._clock(), member_id, self._clock()),
            )
            await conn.execute("DELETE FROM sessions WHERE member_id = ?", (member_id,))
            await conn.execute("DELETE FROM reset_links WHERE member_id = ?", (member_id,))
            # Governance: notices and queued email go; so do nominations in elections
            # still open. Their ballots stay in the boxes, counted and unlinked to them.
            await conn.execute("DELETE FROM notices WHERE member_id = ?", (member_id,))
            await conn.execute("DELETE FROM email_outbox WHERE member_id = ?", (member_id,))
            await conn.execute(
                "DELETE FROM nominations WHERE nominee = ? AND election_id IN"
                " (SELECT id FROM elections WHERE state = 'open')",
                (member_id,),
            )
            await conn.execute(
                "UPDATE nominations SET nominated_by = NULL WHERE nominated_by = ?", (member_id,)
            )
            await conn.execute(
                "UPDATE nominations SET network_name = NULL WHERE nominee = ?", (member_id,)
            )


@functools.cache
def _dummy_hash() -> str:
    return argon2.PasswordHasher().hash("a password nobody has")
