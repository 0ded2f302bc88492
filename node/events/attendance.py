"""Who is coming: members' RSVPs, the public's registrations, and "my events" feed links.

All of it is personal data and stays on this node. Members say "I'm coming" on
their own hub, to its events and to other hubs' (the RSVP and their name stay
here); only the organising hub takes the public's registrations. Pages show
counts, and each change of this hub's count is published as a number alone
(node/events/counts.py).
"""

from __future__ import annotations

import secrets
from typing import Any

from crypto.digest import sha256
from crypto.nodeid import NodeId
from node.accounts.members import AccountError, Member, check_email
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.errors import NodeError, NotAllowed
from node.events.counts import AttendanceCounts
from node.events.projection import EventProjection
from node.store.attendance import AttendanceStore, SignUpEvent
from protocol.visibility import may_see


class AttendanceError(NodeError):
    """An RSVP or registration that cannot be taken, with why."""


class AttendanceNotAllowed(AttendanceError, NotAllowed):
    """A member who holds no permission (suspended) asked to RSVP (permissions.require)."""


def _token_hash(token: str) -> bytes:
    return sha256(token.encode("ascii", "replace"))


class Attendance:
    personal_data_name = "rsvps"

    def __init__(
        self,
        store: AttendanceStore,
        projection: EventProjection,
        node_id: NodeId,
        clock: Clock,
        counts: AttendanceCounts,
    ) -> None:
        self._store = store
        self._projection = projection
        self._node_id = node_id
        self._clock = clock
        self.counts = counts

    def _check_open(self, event: SignUpEvent | None, *, public_only: bool) -> None:
        """AttendanceError unless the event takes sign-ups now (run in the sign-up's
        write transaction)."""
        if event is None:
            raise AttendanceError("There is no such event.")
        if public_only and event.origin != self._node_id:
            raise AttendanceError("Register for this event with the hub that organises it.")
        if public_only and not may_see("visitor", event.visibility):
            raise AttendanceError("Only public events take registrations from the public.")
        if event.cancelled:
            raise AttendanceError("This event has been cancelled.")
        if event.ends * 1000 < self._clock():
            raise AttendanceError("This event is over.")

    def _members_check(self, event: SignUpEvent | None) -> None:
        self._check_open(event, public_only=False)

    def _public_check(self, event: SignUpEvent | None) -> None:
        self._check_open(event, public_only=True)

    async def rsvp(self, event_id: bytes, by: Member) -> None:
        require(by, Permission.MEMBER, AttendanceNotAllowed)
        await self._projection.settle()
        outcome = await self._store.add_rsvp(event_id, by.id, self._clock(), self._members_check)
        if outcome == "already":
            raise AttendanceError("You have already said you are coming.")
        if outcome == "full":
            raise AttendanceError("Sorry, the event is full.")
        await self.counts.publish(event_id)

    async def withdraw(self, event_id: bytes, by: Member) -> bool:
        require(by, Permission.MEMBER, AttendanceNotAllowed)
        withdrawn = await self._store.withdraw_rsvp(event_id, by.id)
        if withdrawn:
            await self.counts.publish(event_id)
        return withdrawn

    async def is_going(self, event_id: bytes, member_id: int) -> bool:
        return await self._store.has_rsvp(event_id, member_id)

    async def register(self, event_id: bytes, name: str, email: str) -> None:
        """A member of the public registers for a public event.

        An email already registered for the event changes nothing and is not an
        error: the public form answers the same whatever the email, so nobody can
        test whether someone is coming."""
        name, email = self._checked(name, email)
        await self._projection.settle()
        outcome = await self._store.add_registration(
            event_id, name, email, self._clock(), self._public_check
        )
        if outcome == "full":
            raise AttendanceError("Sorry, the event is full.")
        if outcome == "added":
            await self.counts.publish(event_id)

    @staticmethod
    def _checked(name: str, email: str) -> tuple[str, str]:
        name = name.strip()
        if not name:
            raise AttendanceError("Please give your name.")
        if len(name) > 100:
            raise AttendanceError("Your name can be at most 100 characters.")
        try:
            return name, check_email(email)
        except AccountError as exc:
            raise AttendanceError(str(exc)) from None

    async def check_registration(self, event_id: bytes, name: str, email: str) -> tuple[str, str]:
        """A public registration's name and email checked, and the event open with a
        place left (AttendanceError if not): what the form answers before any email.
        Nothing here depends on who is registered already."""
        name, email = self._checked(name, email)
        await self._projection.settle()
        if not await self._store.has_place(event_id, self._public_check):
            raise AttendanceError("Sorry, the event is full.")
        return name, email

    async def is_registered(self, event_id: bytes, email: str) -> bool:
        return await self._store.has_registration(event_id, email)

    async def attendees(self, event_id: bytes) -> list[tuple[str, str | None, str]]:
        """(name, email or None, how) of everyone coming, for the organisers."""
        members = await self._store.member_attendees(event_id)
        public = await self._store.registrations(event_id)
        return [(n or "(a former member)", e, "member") for n, e in members] + [
            (n, e, "registered") for n, e in public
        ]

    # -- the secret "my events" feed -------------------------------------------------

    async def new_feed_token(self, member_id: int) -> str:
        """A new secret feed address for the member; any earlier one stops working."""
        token = secrets.token_urlsafe(32)
        await self._store.replace_feed_token(member_id, _token_hash(token), self._clock())
        return token

    async def revoke_feed_token(self, member_id: int) -> None:
        await self._store.revoke_feed_token(member_id)

    async def feed_created_at(self, member_id: int) -> int | None:
        return await self._store.feed_created_at(member_id)

    async def feed_member(self, token: str) -> int | None:
        """The active member whose feed this token opens, if any."""
        return await self._store.feed_member(_token_hash(token))

    # -- personal data (node/accounts/personal.py) ------------------------------------

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        return [
            {
                "event": i.hex(),
                "title": t,
                "starts_ms": None if s is None else s * 1000,
                "timezone": z,
                "created_at_ms": c,
            }
            for i, t, s, z, c in await self._store.member_rsvps(member_id)
        ]

    async def erase_member(self, member_id: int) -> None:
        """Their RSVPs and their "my events" feed address go: both say who they are.
        The counts they were in are published again without them."""
        events = await self.counts.member_leaves(member_id)
        await self._store.erase_member(member_id)
        for event in events:
            await self.counts.publish(event)
