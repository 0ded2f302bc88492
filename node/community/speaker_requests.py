"""Asking another hub for a speaker, and answering such requests (PROTOCOL.md §5.35-5.36).

A member of one hub asks for a speaker another hub offered: their hub publishes a
`speaker.request` addressed to the speaker's hub, naming nobody (who asked, and
whether they agreed to be put in touch, stay in this hub's `speaker_requests` row,
written with the message). The speaker's hub keeps the request with the member who
offered; its organisers pass it on (a notice to that member), and the speaker or an
organiser answers with a `speaker.answer` addressed back. The asker is told, and
the asking hub's organisers see the answer: if the asker agreed, with their name and
email to give the speaker's hub themselves. No name or contact ever goes in a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.members import Member
from node.accounts.permissions import GRANTS, Permission, require
from node.clock import Clock
from node.errors import NodeError, NotAllowed, NotFound
from node.events.drafts import EventError, to_utc_seconds, zone
from node.notices import Notices
from node.projections.runner import CaughtUp, Projection
from node.store.messages import MessageStore
from node.store.notices import add_in_languages_txn
from node.store.speaker_requests import (
    RequestRow,
    SpeakerRequestsStore,
    add_asked_txn,
    answer_txn,
    apply_requests_txn,
    organisers_txn,
    unanswered_txn,
)
from node.wording import Term, Wording
from protocol.envelope import Message
from protocol.errors import ProtocolError
from protocol.kinds.community import SpeakerAnswer, SpeakerRequest
from protocol.schema import check_body

KINDS = frozenset({"speaker.request", "speaker.answer"})
ANSWERS = {"accept": "Yes, the speaker will come", "decline": "No, the speaker cannot come"}
MAX_MESSAGE = 2000


class SpeakerRequestError(NodeError):
    """A request or answer this hub refuses, with the reason to show."""


class SpeakerRequestNotAllowed(SpeakerRequestError, NotAllowed):
    """Someone who may not pass on or answer this request."""


@dataclass(frozen=True, slots=True)
class Ask:
    """What a member asks for, as they filled in the form."""

    topic: str
    day: str  # YYYY-MM-DD
    time: str  # HH:MM
    timezone: str
    place: str
    message: str | None
    share_contact: bool


@dataclass(frozen=True, slots=True)
class RequestLists:
    mine: list[RequestRow]  # asked by the member, or passed on to them
    asked_of_us: list[RequestRow]  # organisers only
    asked_by_us: list[RequestRow]  # organisers only


class SpeakerRequests:
    personal_data_name = "speaker_requests"

    def __init__(
        self,
        store: SpeakerRequestsStore,
        messages: MessageStore,
        projections: CaughtUp,
        notices: Notices,
        clock: Clock,
    ) -> None:
        self._store = store
        self._messages = messages
        self._projections = projections
        self._notices = notices
        self._clock = clock
        self.node_id: NodeId = messages.node_id

    def projection(self) -> Projection:
        # Not rebuilt from the log (reset_txn None): the rows hold who asked and who
        # offered, which only this hub knows, and arriving tells people once.
        return Projection(
            "speaker_requests",
            KINDS,
            self._apply_txn,
            None,
            roster=False,
            committed=self._notices.written,
        )

    async def _apply_txn(self, conn: aiosqlite.Connection, messages: list[Message]) -> None:
        now = self._clock()
        for arrived in await apply_requests_txn(conn, messages, self.node_id):
            link = f"/speakers/requests/{arrived.request.hex()}"
            if arrived.what == "asked":
                ids = await organisers_txn(conn, GRANTS[Permission.MANAGE_EVENTS], now)
                text = Wording(
                    "Another hub asks for one of this hub's speakers: pass the request on."
                )
            else:
                ids = [arrived.member_id] if arrived.member_id is not None else []
                text = Wording("The hub you asked for a speaker has answered.")
            if ids:
                compose = self._notices.compose(text, link)
                await add_in_languages_txn(conn, ids, link, now, compose)

    # -- asking ----------------------------------------------------------------------

    async def ask(self, by: Member, offer: bytes, ask: Ask) -> bytes:
        """Publish a request for the speaker of another hub's open offer; its id."""
        require(by, Permission.MEMBER, SpeakerRequestNotAllowed)
        await self._projections.caught_up()
        found = await self._store.open_offer(offer)
        if found is None:
            raise NotFound("That speaker is no longer on offer.")
        origin = found[0]
        if origin == self.node_id:
            raise SpeakerRequestError(
                "This speaker is a member of this hub: ask one of its organisers."
            )
        topic = " ".join(ask.topic.split())
        if not topic:
            raise SpeakerRequestError("Say what you would like the speaker to speak on.")
        place = " ".join(ask.place.split())
        if not place:
            raise SpeakerRequestError("Say where the talk would be.")
        if zone(ask.timezone) is None:
            raise SpeakerRequestError("Choose a time zone such as Europe/London.")
        try:
            starts = to_utc_seconds(
                ask.day, ask.time, ask.timezone, Term("the talk's date and time")
            )
        except EventError as exc:
            raise SpeakerRequestError(exc.template, **exc.values) from None
        if starts * 1000 < self._clock():
            raise SpeakerRequestError("That date has passed: choose one to come.")
        body = SpeakerRequest(
            to=origin,
            offer=offer,
            topic=topic,
            starts=starts,
            timezone=ask.timezone,
            place=place,
            message=ask.message or None,
        )
        try:
            check_body(body)
        except ProtocolError as exc:
            raise SpeakerRequestError("That cannot be sent: %(why)s.", why=exc) from None
        member_id, share = by.id, ask.share_contact

        async def record_txn(conn: aiosqlite.Connection, message: Message) -> None:
            # Who asked commits with the request: a request nobody here can follow up
            # would be answered to no one.
            await add_asked_txn(conn, message, member_id, share)

        message = await self._messages.append("speaker.request", body, then=record_txn)
        await self._projections.caught_up()
        return message.id

    # -- the speaker's hub -------------------------------------------------------------

    async def pass_on(self, by: Member, request: bytes) -> RequestRow:
        """An organiser passes a request made of this hub on to the member who offered."""
        require(by, Permission.MANAGE_EVENTS, SpeakerRequestNotAllowed)
        row = await self._made_of_us(request)
        if row.speaker_id is None:
            raise SpeakerRequestError("The member who offered is no longer a member here.")
        if not await self._store.pass_on(request, self._clock()):
            raise SpeakerRequestError("This request was passed on already.")
        await self._notices.notify(
            [row.speaker_id],
            Wording(
                "A hub asks you to speak on %(topic)s: see the request and answer it.",
                {"topic": row.topic},
            ),
            f"/speakers/requests/{request.hex()}",
        )
        return row

    async def answer(self, by: Member, request: bytes, answer: str, text: str | None) -> None:
        """The speaker (once it was passed on to them) or an organiser answers."""
        require(by, Permission.MEMBER, SpeakerRequestNotAllowed)
        row = await self._made_of_us(request)
        speaker = row.speaker_id == by.id and row.passed_at is not None
        if not (speaker or by.can(Permission.MANAGE_EVENTS)):
            raise SpeakerRequestNotAllowed(
                "Only the speaker, once it is passed on to them, or an organiser can answer."
            )
        if answer not in ANSWERS:
            raise SpeakerRequestError("Choose yes or no.")
        if text is not None and len(text) > MAX_MESSAGE:
            raise SpeakerRequestError("Keep the message to %(most)s characters.", most=MAX_MESSAGE)
        body = SpeakerAnswer(
            to=row.origin,
            request=request,
            answer=answer,  # type: ignore[arg-type]  # checked against ANSWERS
            message=text or None,
        )

        async def check_txn(conn: aiosqlite.Connection) -> None:
            # In the answer's own transaction: two answers sent at once publish one.
            if not await unanswered_txn(conn, request, self.node_id):
                raise SpeakerRequestError("This request has been answered already.")

        async def record_txn(conn: aiosqlite.Connection, message: Message) -> None:
            await answer_txn(conn, request, answer, text or None, message.created_at)

        await self._messages.append("speaker.answer", body, check=check_txn, then=record_txn)
        await self._projections.caught_up()

    async def _made_of_us(self, request: bytes) -> RequestRow:
        await self._projections.caught_up()
        row = await self._store.get(request)
        if row is None or row.to_hub != self.node_id:
            raise NotFound("There is no such request for one of this hub's speakers.")
        return row

    # -- reading -------------------------------------------------------------------------

    async def get(self, by: Member, request: bytes) -> RequestRow:
        """A request the member may see: theirs, passed on to them, or (for organisers)
        one this hub made or was asked."""
        await self._projections.caught_up()
        row = await self._store.get(request)
        if row is None:
            raise NotFound("There is no such request.")
        if by.id == row.asker_id or (by.id == row.speaker_id and row.passed_at is not None):
            return row
        if by.can(Permission.MANAGE_EVENTS):
            return row
        raise NotFound("There is no such request.")

    async def lists(self, by: Member) -> RequestLists:
        await self._projections.caught_up()
        organiser = by.can(Permission.MANAGE_EVENTS)
        return RequestLists(
            mine=await self._store.of_member(by.id),
            asked_of_us=await self._store.asked_of(self.node_id) if organiser else [],
            asked_by_us=await self._store.asked_by(self.node_id) if organiser else [],
        )

    async def offer_topics(self, offer: bytes) -> tuple[NodeId, Sequence[str]] | None:
        """The hub and topics of an open offer of another hub's, for the form."""
        await self._projections.caught_up()
        found = await self._store.open_offer(offer)
        if found is None or found[0] == self.node_id:
            return None
        return NodeId(found[0]), found[1]

    # -- personal data (node/accounts/personal.py) ------------------------------------

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        return [
            {
                "role": "asked" if r.asker_id == member_id else "speaker",
                "topic": r.topic,
                "starts": r.starts,
                "timezone": r.timezone,
                "place": r.place,
                "message": r.message,
                "share_contact": r.share_contact if r.asker_id == member_id else None,
                "answer": r.answer,
                "answer_message": r.answer_message,
                "request": r.id.hex(),
            }
            for r in await self._store.records(member_id)
        ]

    async def erase_member(self, member_id: int) -> None:
        await self._store.forget_member(member_id)
