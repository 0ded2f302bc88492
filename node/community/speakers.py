"""Speakers: members offer to speak on topics; the hub tells the network, namelessly.

A member's offer (who they are, what they said) stays in this node's `speakers`
table. What is published is a `speaker.offer` with the topics, the area and an
optional note the member wrote for other hubs: never a name or contact. Other
hubs' organisers contact this hub, which passes the request on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.community.hubs import hub_name
from node.errors import NodeError, NotAllowed
from node.projections.runner import CaughtUp
from node.store.database import Database
from node.store.hubs import hub_profiles
from node.store.messages import MessageStore
from node.store.outcomes import Then
from node.store.speakers import (
    MyOffer,
    SpeakersStore,
    add_offer_txn,
    open_offer_txn,
    withdraw_offer_txn,
)
from protocol.envelope import Message
from protocol.errors import ProtocolError
from protocol.kinds.community import SpeakerOffer, SpeakerWithdraw
from protocol.schema import check_body


class SpeakerError(NodeError):
    """A speaker offer this hub refuses, with the reason to show."""


class SpeakerNotAllowed(SpeakerError, NotAllowed):
    """A member who holds no permission (suspended) (permissions.require)."""


@dataclass(frozen=True, slots=True)
class NetworkOffer:
    id: bytes
    origin: NodeId
    hub: str
    hub_url: str | None  # where to contact the hub
    topics: list[str]
    area: str | None
    note: str | None
    created_at: int


def parse_topics(text: str) -> list[str]:
    """Topics from a comma- or line-separated list, trimmed, without repeats."""
    seen: list[str] = []
    for part in re.split(r"[,\n]", text):
        topic = " ".join(part.split())
        if topic and topic.lower() not in (t.lower() for t in seen):
            seen.append(topic)
    return seen


class Speakers:
    personal_data_name = "speaker_offers"

    def __init__(
        self,
        db: Database,
        store: SpeakersStore,
        messages: MessageStore,
        projections: CaughtUp,
        clock: Clock,
    ) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._messages = messages
        self._projections = projections

    async def offer(self, by: Member, topics: list[str], area: str | None, note: str | None) -> int:
        """Record a member's offer and publish it (without their name) to the network."""
        require(by, Permission.MEMBER, SpeakerNotAllowed)
        member_id = by.id
        if not topics:
            raise SpeakerError("Give at least one topic you can speak on.")
        body = SpeakerOffer(topics=tuple(topics), area=area or None, note=note or None)
        try:
            check_body(body)
        except ProtocolError as exc:
            raise SpeakerError(str(exc)) from exc
        offer_id = 0

        async def record_txn(conn: aiosqlite.Connection, message: Message) -> None:
            nonlocal offer_id
            offer_id = await add_offer_txn(
                conn, member_id, topics, area, note, message.created_at, message.id
            )

        # The member's own row commits with the message: an offer published without
        # it could never be withdrawn by them (or when they leave).
        await self._messages.append("speaker.offer", body, then=record_txn)
        await self._projections.caught_up()
        return offer_id

    async def withdraw(self, by: Member, offer_id: int) -> None:
        """A member withdraws an offer of their own."""
        require(by, Permission.MEMBER, SpeakerNotAllowed)
        member_id = by.id
        row = await self._store.open_offer(offer_id, member_id)
        if row is None:
            raise SpeakerError("You have no such offer open.")
        now = self._clock()
        if row[0] is None:
            await self._store.withdraw_offer(offer_id, now)
        else:
            await self._messages.append(
                "speaker.withdraw",
                SpeakerWithdraw(offer=row[0]),
                check=lambda conn: _still_open_txn(conn, offer_id, member_id),
                then=_withdrawn(offer_id, now),
            )
        await self._projections.caught_up()

    async def mine(self, member_id: int) -> list[MyOffer]:
        return await self._store.mine(member_id)

    async def search(self, topic: str = "", limit: int = 200) -> list[NetworkOffer]:
        """Open offers across the network, optionally whose topics or area mention `topic`."""
        await self._projections.caught_up()
        like = None
        if topic.strip():
            like = "%" + re.sub(r"([%_\\])", r"\\\1", topic.strip()) + "%"
        rows = await self._store.network_offers(like, limit)
        profiles = await hub_profiles(self._db)
        out = []
        for r in rows:
            profile = profiles.get(NodeId(r.origin))
            name = profile.name if profile else hub_name({}, r.origin)
            url = profile.url if profile else None
            out.append(
                NetworkOffer(
                    r.id, NodeId(r.origin), name, url, r.topics, r.area, r.note, r.created_at
                )
            )
        return out

    # -- personal data (node/accounts/personal.py) ------------------------------------

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        return [
            {
                "topics": r.topics,
                "area": r.area,
                "note": r.note,
                "created_at_ms": r.created_at,
                "published_as": r.published.hex() if r.published is not None else None,
                "withdrawn_at_ms": r.withdrawn_at,
            }
            for r in await self._store.records(member_id)
        ]

    async def erase_member(self, member_id: int) -> None:
        """Withdraw every open offer from the network, then forget the member's offers.

        The published offers carried no name, but other hubs would go on listing a
        speaker who is no longer here; the withdrawal tells them to stop."""
        rows = await self._store.open_published(member_id)
        now = self._clock()
        for offer_id, published in rows:
            # Marked withdrawn with its message, so erasing again after a crash
            # sends no second withdrawal for it.
            await self._messages.append(
                "speaker.withdraw",
                SpeakerWithdraw(offer=published),
                then=_withdrawn(offer_id, now),
            )
        await self._store.forget_member(member_id)
        if rows:
            await self._projections.caught_up()


async def _still_open_txn(conn: aiosqlite.Connection, offer_id: int, member_id: int) -> None:
    # Inside the withdrawal's transaction: two withdrawals sent at once publish one.
    if await open_offer_txn(conn, offer_id, member_id) is None:
        raise SpeakerError("You have no such offer open.")


def _withdrawn(offer_id: int, now: int) -> Then:
    """Mark the offer withdrawn in the transaction that stores its withdrawal."""

    async def then(conn: aiosqlite.Connection, message: Message) -> None:
        await withdraw_offer_txn(conn, offer_id, now)

    return then
