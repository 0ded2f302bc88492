"""Speakers: members offer to speak on topics; the hub tells the network, namelessly.

A member's offer (who they are, what they said) stays in this node's `speakers`
table. What is published is a `speaker.offer` with the topics, the area and an
optional note the member wrote for other hubs: never a name or contact. Other
hubs' organisers contact this hub, which passes the request on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from crypto.nodeid import NodeId
from node.clock import Clock
from node.community.hubs import hub_name
from node.errors import NodeError
from node.projections.runner import CaughtUp
from node.store.database import Database
from node.store.hubs import hub_profiles
from node.store.messages import MessageStore
from protocol.errors import ProtocolError
from protocol.kinds.community import SpeakerOffer, SpeakerWithdraw
from protocol.schema import check_body


class SpeakerError(NodeError):
    """A speaker offer this hub refuses, with the reason to show."""


@dataclass(frozen=True, slots=True)
class MyOffer:
    id: int
    topics: list[str]
    area: str | None
    note: str | None
    published: bool


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
        self, db: Database, messages: MessageStore, projections: CaughtUp, clock: Clock
    ) -> None:
        self._db = db
        self._clock = clock
        self._messages = messages
        self._projections = projections

    async def offer(
        self, member_id: int, topics: list[str], area: str | None, note: str | None
    ) -> int:
        """Record a member's offer and publish it (without their name) to the network."""
        if not topics:
            raise SpeakerError("Give at least one topic you can speak on.")
        body = SpeakerOffer(topics=tuple(topics), area=area or None, note=note or None)
        try:
            check_body(body)
        except ProtocolError as exc:
            raise SpeakerError(str(exc)) from exc
        message = await self._messages.append("speaker.offer", body)
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO speakers (member_id, topics, area, note, created_at, published)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (member_id, json.dumps(topics), area, note, message.created_at, message.id),
            )
            offer_id = int(cursor.lastrowid or 0)
        await self._projections.caught_up()
        return offer_id

    async def withdraw(self, member_id: int, offer_id: int) -> None:
        row = await self._db.fetchone(
            "SELECT published FROM speakers"
            " WHERE id = ? AND member_id = ? AND withdrawn_at IS NULL",
            (offer_id, member_id),
        )
        if row is None:
            raise SpeakerError("You have no such offer open.")
        if row[0] is not None:
            await self._messages.append("speaker.withdraw", SpeakerWithdraw(offer=bytes(row[0])))
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE speakers SET withdrawn_at = ? WHERE id = ?", (self._clock(), offer_id)
            )
        await self._projections.caught_up()

    async def mine(self, member_id: int) -> list[MyOffer]:
        rows = await self._db.fetchall(
            "SELECT id, topics, area, note, published IS NOT NULL FROM speakers"
            " WHERE member_id = ? AND withdrawn_at IS NULL ORDER BY id DESC",
            (member_id,),
        )
        return [MyOffer(i, json.loads(t), a, n, bool(p)) for i, t, a, n, p in rows]

    async def search(self, topic: str = "", limit: int = 200) -> list[NetworkOffer]:
        """Open offers across the network, optionally whose topics or area mention `topic`."""
        await self._projections.caught_up()
        where, args = "withdrawn = 0", []
        if topic.strip():
            where += " AND (topics LIKE ? ESCAPE '\\' OR area LIKE ? ESCAPE '\\')"
            like = "%" + re.sub(r"([%_\\])", r"\\\1", topic.strip()) + "%"
            args = [like, like]
        rows = await self._db.fetchall(
            "SELECT id, origin, topics, area, note, created_at FROM speaker_offers"
            f" WHERE {where} ORDER BY created_at DESC LIMIT ?",
            (*args, limit),
        )
        profiles = await hub_profiles(self._db)
        out = []
        for i, o, t, a, n, at in rows:
            profile = profiles.get(NodeId(o))
            name = profile.name if profile else hub_name({}, o)
            url = profile.url if profile else None
            out.append(NetworkOffer(bytes(i), NodeId(o), name, url, json.loads(t), a, n, at))
        return out

    # -- personal data (node/accounts/personal.py) ------------------------------------

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetchall(
            "SELECT topics, area, note, created_at, published, withdrawn_at FROM speakers"
            " WHERE member_id = ? ORDER BY id",
            (member_id,),
        )
        return [
            {
                "topics": json.loads(t),
                "area": a,
                "note": n,
                "created_at_ms": c,
                "published_as": bytes(p).hex() if p is not None else None,
                "withdrawn_at_ms": w,
            }
            for t, a, n, c, p, w in rows
        ]

    async def erase_member(self, member_id: int) -> None:
        """Withdraw every open offer from the network, then forget the member's offers.

        The published offers carried no name, but other hubs would go on listing a
        speaker who is no longer here; the withdrawal tells them to stop."""
        rows = await self._db.fetchall(
            "SELECT published FROM speakers"
            " WHERE member_id = ? AND withdrawn_at IS NULL AND published IS NOT NULL",
            (member_id,),
        )
        for (published,) in rows:
            await self._messages.append("speaker.withdraw", SpeakerWithdraw(offer=bytes(published)))
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM speakers WHERE member_id = ?", (member_id,))
        if rows:
            await self._projections.caught_up()
