"""Confirming by email who applies to join and who registers for a public event.

With email set up (`smtp_host`), the join form and a public event's registration
form answer the same whatever address is given, and record nothing yet: the
address gets an email with a one-time link. Only the link's SHA-256 is kept
(node/accounts/tokens.py); it expires after TTL_MS and works once. Following it
records the application (which the membership secretary then sees) or the
registration (which then takes one of the event's places). An address that
already has an account, or is already registered for the event, gets an email
saying so instead, and nothing is recorded: only whoever reads that mailbox
learns it. Without email none of this runs (web/join_guard.py,
web/registration_guard.py say what limits the forms then).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from node.accounts.members import AccountError, Application, EmailTaken, Members
from node.accounts.tokens import token_digest
from node.clock import Clock
from node.errors import NodeError
from node.events.attendance import Attendance, AttendanceError
from node.notices import Notices
from node.store.confirmations import TakenLink
from node.wording import Wording

TTL_MS = 24 * 60 * 60 * 1000
CONFIRM_PATH = "/confirm/"


class ConfirmationError(NodeError):
    """A link that cannot be followed (expired, used, unknown), or what it asked for
    cannot be done any more (the event is full), with why."""

    heading = "Not confirmed"


@dataclass(frozen=True, slots=True)
class Pending:
    kind: str  # "join" or "register"
    event: bytes | None


class LinkStore(Protocol):
    """What confirmations need of node/store/confirmations.py."""

    async def add(
        self,
        token_hash: bytes,
        kind: str,
        email: str,
        event: bytes | None,
        details: dict[str, str | None],
        now: int,
        expires_at: int,
    ) -> None: ...

    async def pending(self, token_hash: bytes, now: int) -> tuple[str, bytes | None] | None: ...

    async def take(self, token_hash: bytes) -> TakenLink | None: ...

    async def event_title(self, event: bytes) -> str | None: ...


class Confirmations:
    def __init__(
        self,
        store: LinkStore,
        clock: Clock,
        members: Members,
        attendance: Attendance,
        notices: Notices,
        hub_name: str,
        base_url: str,
    ) -> None:
        self._store = store
        self._clock = clock
        self._members = members
        self._attendance = attendance
        self._notices = notices
        self._hub_name = hub_name
        self._base_url = base_url.rstrip("/")

    @property
    def enabled(self) -> bool:
        return self._notices.mail is not None

    async def _new_link(
        self, kind: str, email: str, event: bytes | None, details: dict[str, str | None]
    ) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        await self._store.add(token_digest(token), kind, email, event, details, now, now + TTL_MS)
        return f"{self._base_url}{CONFIRM_PATH}{token}"

    def _values(self, **more: object) -> dict[str, object]:
        """What every email here names: the hub and its address."""
        return {"hub": self._hub_name, "url": self._base_url, **more}

    async def ask_to_join(self, application: Application, language: str | None = None) -> None:
        """Email the applicant a link, or, if the address has an account, say so; in
        `language`, the one they read the join form in."""
        email = application.email
        if await self._members.email_taken(email):
            await self._notices.email_address(
                email,
                Wording("you already have an account"),
                Wording(
                    "Someone (perhaps you) asked to join %(hub)s with this address, which"
                    " already has an account. Log in at %(url)s/login, or ask an organiser for"
                    " a password-reset link.\n\nIf it was not you, ignore this email: nothing"
                    " happens without the link.\n\n--\n%(hub)s, %(url)s",
                    self._values(),
                ),
                language,
            )
            return
        details: dict[str, str | None] = {
            "name": application.name,
            "email": email,
            "phone": application.phone,
            "statement": application.statement,
            "password_hash": application.password_hash,
            "charter_version": application.charter_version,
            "language": application.language,
        }
        link = await self._new_link("join", email, None, details)
        await self._notices.email_address(
            email,
            Wording("confirm your application to join"),
            Wording(
                "To send your application to join %(hub)s, follow this link within a day:"
                "\n\n%(link)s\n\nThe membership secretary sees it once you have.\n\nIf it"
                " was not you, ignore this email: nothing happens without the link.\n\n--\n"
                "%(hub)s, %(url)s",
                self._values(link=link),
            ),
            language,
        )

    async def _event_title(self, event: bytes) -> str:
        return await self._store.event_title(event) or "the event"

    async def ask_to_register(
        self, event: bytes, name: str, email: str, language: str | None = None
    ) -> None:
        """Check the form (AttendanceError says what is wrong, the same for any email),
        then email a link, or, if the address is registered, say so; in `language`, the
        one they read the event's page in."""
        name, email = await self._attendance.check_registration(event, name, email)
        title = await self._event_title(event)
        if await self._attendance.is_registered(event, email):
            await self._notices.email_address(
                email,
                Wording("you are registered for %(title)s", {"title": title}),
                Wording(
                    "Someone (perhaps you) asked to register this address for %(title)s. It is"
                    " registered already: there is nothing more to do.\n\nIf it was not you,"
                    " ignore this email: nothing happens without the link.\n\n--\n%(hub)s,"
                    " %(url)s",
                    self._values(title=title),
                ),
                language,
            )
            return
        link = await self._new_link("register", email, event, {"name": name, "email": email})
        await self._notices.email_address(
            email,
            Wording("confirm your registration for %(title)s", {"title": title}),
            Wording(
                "To register for %(title)s, follow this link within a day:\n\n%(link)s\n\n"
                "Your place is kept only once you have.\n\nIf it was not you, ignore this"
                " email: nothing happens without the link.\n\n--\n%(hub)s, %(url)s",
                self._values(title=title, link=link),
            ),
            language,
        )

    async def pending(self, token: str) -> Pending | None:
        """What a link that may still be followed asks for; None if it may not."""
        found = await self._store.pending(token_digest(token), self._clock())
        return Pending(*found) if found else None

    async def confirm(self, token: str) -> Pending:
        """Follow a link: once only (even with concurrent requests), before it expires.
        The row goes as it is used, with the personal data it held."""
        now = self._clock()
        taken = await self._store.take(token_digest(token))
        if taken is None or taken.expires_at <= now:
            raise ConfirmationError(
                "This link has expired or has been used already. Fill in the form again."
            )
        kind, event, details = taken.kind, taken.event, taken.details
        if kind == "join":
            try:
                await self._members.record(
                    Application(
                        name=details["name"],
                        email=details["email"],
                        phone=details["phone"],
                        statement=details["statement"],
                        password_hash=details["password_hash"],
                        charter_version=details["charter_version"],
                        language=details.get("language"),  # links made before it: None
                    )
                )
            except EmailTaken as exc:  # the link proves the address: it may know this
                raise ConfirmationError(exc.template, **exc.values) from None
            except AccountError as exc:
                raise ConfirmationError(exc.template, **exc.values) from None
        else:
            assert event is not None  # a registration link always names its event
            try:
                await self._attendance.register(event, details["name"], details["email"])
            except AttendanceError as exc:
                raise ConfirmationError(str(exc)) from None
        return Pending(kind, event)
