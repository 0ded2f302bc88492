"""Inviting someone to be a member: an organiser makes a one-time link, emailed to them
or handed over on paper (with its QR code). The invitee opens it, signs the charter and
sets a password, and is a member at once: the organiser's invitation stands in for the
approval an application waits for.

A link works once and for INVITE_DAYS days; only its token's SHA-256 is kept (as for
reset links, node/accounts/tokens.py), so a copy of the database opens nothing.
Organisers see the open invitations and may cancel one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from node.accounts.charter import PRIVACY_VERSION
from node.accounts.members import AccountError, Member, Members, check_email
from node.accounts.permissions import Acting, Permission, require
from node.accounts.tokens import token_digest
from node.clock import Clock
from node.errors import NotFound
from node.notices import Notices
from node.store.accounts import NewAccount
from node.store.office import IntegrityError, InviteRow, OfficeStore
from node.wording import Wording

INVITE_DAYS = 14
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Invitation:
    ref: str  # names the invitation on the organisers' page (not the secret link)
    name: str | None
    email: str | None
    created_at: int
    expires_at: int


def _invitation(row: InviteRow) -> Invitation:
    return Invitation(row.digest.hex()[:32], row.name, row.email, row.created_at, row.expires_at)


class InvitationError(AccountError):
    """An invitation that cannot be made or used as asked; the message says why."""


class Invitations:
    def __init__(
        self,
        store: OfficeStore,
        members: Members,
        notices: Notices,
        clock: Clock,
        hub_name: str,
        base_url: str,
    ) -> None:
        self._store = store
        self._members = members
        self._notices = notices
        self._clock = clock
        self._hub_name = hub_name
        self._base_url = base_url.rstrip("/")

    def link(self, token: str) -> str:
        return f"{self._base_url}/invite/{token}"

    async def invite(self, by: Acting, name: str, email: str) -> tuple[str, bool]:
        """Make a one-time link: (the link, whether it was emailed). With an address and
        email set up, the link is emailed; otherwise the organiser hands it over."""
        require(by, Permission.MANAGE_MEMBERS)
        name, email = name.strip(), email.strip()
        if len(name) > 100:
            raise InvitationError("Name: at most 100 characters.")
        if email:
            try:
                email = check_email(email)
            except AccountError as exc:
                raise InvitationError(
                    "Email: %(why)s", why=Wording(exc.template, exc.values)
                ) from exc
            if await self._members.email_taken(email):
                raise InvitationError("Email: someone with that address already has an account.")
        token = secrets.token_urlsafe(24)
        now = self._clock()
        by_id = by.id if isinstance(by, Member) else None
        ends = now + INVITE_DAYS * _DAY_MS
        await self._store.add_invite(
            token_digest(token), name or None, email or None, by_id or 0, now, ends
        )
        link = self.link(token)
        emailed = bool(email) and self._notices.mail is not None
        if emailed:
            values = {"name": name, "hub": self._hub_name, "days": INVITE_DAYS, "link": link}
            # In the hub's language: nobody knows the invited person's yet.
            invitation = (
                Wording(
                    "Hello %(name)s,\n\nYou are invited to join %(hub)s. Open this link within"
                    " %(days)s days to read and sign the charter and choose a password:"
                    "\n\n%(link)s\n\nThe link works once.\n",
                    values,
                )
                if name
                else Wording(
                    "You are invited to join %(hub)s. Open this link within %(days)s days to"
                    " read and sign the charter and choose a password:\n\n%(link)s\n\nThe"
                    " link works once.\n",
                    values,
                )
            )
            await self._notices.email_address(
                email,
                Wording("you are invited to join"),
                invitation,
            )
        return link, emailed

    async def open(self, by: Acting) -> list[Invitation]:
        require(by, Permission.MANAGE_MEMBERS)
        return [_invitation(r) for r in await self._store.open_invites(self._clock())]

    async def cancel(self, by: Acting, ref: str) -> Invitation:
        require(by, Permission.MANAGE_MEMBERS)
        for row in await self._store.open_invites(self._clock()):
            if row.digest.hex()[:32] == ref and await self._store.cancel_invite(row.digest):
                return _invitation(row)
        raise NotFound("That invitation has been used, cancelled or has expired.")

    async def pending(self, token: str) -> Invitation | None:
        """The open invitation this link is for, or None (used, cancelled, expired)."""
        row = await self._store.invite(token_digest(token), self._clock())
        return _invitation(row) if row else None

    async def accept(
        self,
        token: str,
        *,
        name: str,
        email: str,
        password: str,
        signed_charter: bool,
        accepted_privacy: bool,
        charter_version: str,
    ) -> Member:
        """The invitee's account, active, made as the link is spent (one transaction):
        of two requests with one link exactly one succeeds."""
        if await self.pending(token) is None:
            raise NotFound("This invitation link has been used, cancelled or has expired.")
        application = await self._members.check_application(
            name=name,
            email=email,
            password=password,
            signed_charter=signed_charter,
            accepted_privacy=accepted_privacy,
            charter_version=charter_version,
        )
        account = NewAccount(
            email=application.email,
            name=application.name,
            phone=None,
            statement=None,
            password_hash=application.password_hash,
            status="active",
            charter_version=application.charter_version,
            privacy_version=PRIVACY_VERSION,
        )
        try:
            member_id = await self._store.accept_invite(token_digest(token), account, self._clock())
        except IntegrityError:
            raise InvitationError(
                "Email: an account with that address already exists. Log in instead."
            ) from None
        if member_id is None:
            raise NotFound("This invitation link has been used, cancelled or has expired.")
        member = await self._members.get(member_id)
        assert member is not None
        return member
