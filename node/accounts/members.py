"""Members' accounts: applying, approval, passwords, roles, export and erasure.

Everything here is personal data and never leaves the node (DESIGN.md). Password
hashing (argon2id) runs in a thread: it is deliberately slow and must not stall
the event loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
import argon2

from node.accounts.account_fields import MAX_PASSWORD as MAX_PASSWORD
from node.accounts.account_fields import MIN_PASSWORD as MIN_PASSWORD
from node.accounts.account_fields import AccountError as AccountError
from node.accounts.account_fields import check_email as check_email
from node.accounts.account_fields import check_password as check_password
from node.accounts.account_fields import text_field
from node.accounts.charter import CHARTER_VERSION, PRIVACY_VERSION
from node.accounts.permissions import (
    ROLE_TITLES,
    Permission,
    Role,
    outranks,
    permissions_of,
    require,
)
from node.accounts.personal import AccountRecords, PersonalData
from node.accounts.tokens import token_digest
from node.clock import Clock
from node.errors import NotAllowed
from node.store.accounts import AccountRow, AccountsStore, NewAccount, roles_txn
from node.store.dates import dated
from node.wording import Term, Terms


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
    language: str | None = None  # the pages' language they chose; None: the hub's

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles) if self.status == "active" else frozenset()

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


async def check_may_manage_txn(
    conn: aiosqlite.Connection, by: Member, member_id: int, now: int, doing: str
) -> None:
    """AccountError unless `by` may manage the account of `member_id`: a role that
    grants MANAGE_MEMBERS and outranks all of theirs (permissions.RANKS). Read in
    the transaction that acts, so a role granted meanwhile is seen."""
    require(by, Permission.MANAGE_MEMBERS, NotOutranked)
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
    roles = await roles_txn(conn, member_id, now)
    if not outranks(by.roles, roles, permission):
        titles = Terms(tuple(Term(t) for t in sorted(ROLE_TITLES[r] for r in roles)))
        raise NotOutranked(
            "You cannot %(doing)s this member: they hold %(roles)s, and only an organiser"
            " whose role ranks above all of a member's roles can do that.",
            doing=doing,
            roles=titles or Term("membership"),
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
    # The language the applicant chose for the pages before joining (None: the hub's),
    # kept on their account so what the hub tells them is in it.
    language: str | None = None


def _member(r: AccountRow, roles: frozenset[Role]) -> Member:
    return Member(
        r.id, r.email, r.name, r.phone, r.statement, r.status, r.applied_at, roles, r.language
    )


class Members:
    def __init__(
        self,
        store: AccountsStore,
        clock: Clock,
        hasher: argon2.PasswordHasher | None = None,
        records: Sequence[AccountRecords] = (),
    ):
        self._store = store
        self._clock = clock
        # argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, 64 MiB,
        # 3 passes, 4 lanes), above OWASP's minimum; hashes re-made on login if raised.
        self._hasher = hasher or argon2.PasswordHasher()
        self._keepers: list[PersonalData] = []
        # Other features' records that go with the account (personal.AccountRecords).
        self._records = tuple(records)
        # Told of each new application (node/accounts/applications.py tells organisers).
        self.on_applied: list[Callable[[Member], Awaitable[None]]] = []

    def keeps_personal_data(self, keeper: PersonalData) -> None:
        """Include a feature's records in the data download and erase them on leaving."""
        self._keepers.append(keeper)

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def get(self, member_id: int) -> Member | None:
        """A member with their current roles, in one query (every page asks)."""
        found = await self._store.member(member_id, self._clock())
        return _member(*found) if found else None

    async def by_status(self, status: str) -> list[Member]:
        return [
            _member(row, await self._store.roles(row.id, self._clock()))
            for row in await self._store.by_status(status)
        ]

    async def active_names(self) -> list[tuple[int, str]]:
        """Every active member's id and name, by name (for choosing a member)."""
        return await self._store.active_names()

    async def counts(self) -> dict[str, int]:
        """How many members in each state: public, unlike names."""
        return await self._store.counts()

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
        clean_name = text_field(name, 100, Term("your name"), required=True)
        clean_email = check_email(email)
        clean_phone = text_field(phone, 40, Term("your phone number"))
        clean_statement = text_field(statement, 2000, Term("your note"))
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
        return await self._store.email_taken(email)

    async def record(self, application: Application, status: str = "applied") -> Member:
        """Store a checked application: EmailTaken if the address has an account."""
        member_id = await self._store.add(
            NewAccount(
                email=application.email,
                name=application.name,
                phone=application.phone,
                statement=application.statement,
                password_hash=application.password_hash,
                status=status,
                charter_version=application.charter_version,
                privacy_version=PRIVACY_VERSION,
                language=application.language,
            ),
            self._clock(),
        )
        if member_id is None:
            raise EmailTaken(
                "An account with that email address already exists. Log in, or ask an "
                "organiser for a password-reset link."
            )
        member = await self.get(member_id)
        assert member is not None
        if status == "applied":
            for listener in self.on_applied:
                await listener(member)
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
        """Give a role. Members elect; no member grants one: the node does when a term
        starts (node/governance/roles.py), as does the operator's setup for a founder."""
        await self._store.grant(member_id, role, self._clock(), ends_at)

    async def decide(self, member_id: int, status: str, by: Member) -> Member:
        """Approve (active), reject, suspend or reinstate a member, as `by`; AccountError
        if that makes no sense or `by` does not outrank them."""
        allowed = {
            "active": ("applied", "suspended"),
            "rejected": ("applied",),
            "suspended": ("active",),
        }
        if status not in allowed:
            raise AccountError("Unknown decision %(decision)s.", decision=repr(status))
        doing = {
            "active": Term("approve or reinstate"),
            "rejected": Term("reject"),
            "suspended": Term("suspend"),
        }
        now = self._clock()

        async def may_manage(conn: aiosqlite.Connection) -> None:
            await check_may_manage_txn(conn, by, member_id, now, doing[status])

        if not await self._store.decide(
            member_id, status, allowed[status], by.id, now, check=may_manage
        ):
            raise AccountError("That member is not in a state where this can be done.")
        member = await self.get(member_id)
        assert member is not None
        return member

    # -- passwords ----------------------------------------------------------------

    async def authenticate(self, email: str, password: str) -> Member | None:
        """The member whose email and password these are, or None; rehashes if due."""
        found = await self._store.credentials(email.strip())
        stored = found[1] if found else None
        if found is None or stored is None:
            # Spend the same time as a real check, so timing does not reveal accounts.
            await asyncio.to_thread(self._verify, _dummy_hash(), password)
            return None
        if not await asyncio.to_thread(self._verify, stored, password):
            return None
        row = found[0]
        if self._hasher.check_needs_rehash(stored):
            await self._store.rehash(row.id, await self._hash(password))
        return _member(row, await self._store.roles(row.id, self._clock()))

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password))
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    async def set_password(self, member_id: int, password: str) -> None:
        """Set a new password and end every session of the member."""
        check_password(password)
        password_hash = await self._hash(password)
        await self._store.set_password(member_id, password_hash)

    async def reset_password(self, token: str, password: str) -> bool:
        """Set a password with a reset link, spending the link; False if the link is
        unknown, used or expired. The link is checked and spent in the transaction that
        sets the password, so of several requests with one link exactly one succeeds."""
        check_password(password)
        password_hash = await self._hash(password)
        return await self._store.reset_password(token_digest(token), password_hash, self._clock())

    # -- the member's own data ------------------------------------------------------
    # The member acts on their own account, known by their session (or a reset link):
    # the permission table has nothing to say about that, so these take their id.

    async def export(self, member_id: int) -> dict[str, Any]:
        """Everything this node holds about a member, for them to download."""
        data = await self._store.export(member_id)
        if data is None:
            raise AccountError("No such member.")
        for records in self._records:
            data.update(await records.export_member_records(member_id))
        for keeper in self._keepers:
            data[keeper.personal_data_name] = await keeper.export_member(member_id)
        readable: dict[str, Any] = dated(data)
        return readable

    async def leave(self, member_id: int) -> None:
        """The member leaves: their personal data is erased and their sessions end."""
        # The features' records go first: should one fail, the member can still log
        # in and leave again, rather than being gone with their RSVPs or posts kept.
        for keeper in self._keepers:
            await keeper.erase_member(member_id)
        # Notices, queued email and nominations go in the transaction that ends the
        # account (their ballots stay in the boxes, counted and unlinked to them).
        await self._store.leave(
            member_id, self._clock(), also=[r.forget_member_txn for r in self._records]
        )


@functools.cache
def _dummy_hash() -> str:
    return argon2.PasswordHasher().hash("a password nobody has")
