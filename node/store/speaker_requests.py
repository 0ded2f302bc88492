"""SQL for requests for a speaker across hubs (`speaker_requests`).

One row per request this hub is party to: asked by one of its members (the row is
written with the `speaker.request` message, naming the member), or asked of this
hub (written by the speaker requests projection when the request arrives, naming
the member who offered). Names are read from `members` here, on this node only;
the messages carry none (node/community/speaker_requests.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.database import Database
from protocol.envelope import Message
from protocol.kinds.community import SpeakerAnswer, SpeakerRequest

_COLUMNS = (
    "r.id, r.origin, r.to_hub, r.offer, r.topic, r.starts, r.timezone, r.place, r.message,"
    " r.created_at, r.asker_id, unseal('members.name', a.name), unseal('members.email', a.email),"
    " r.share_contact, r.speaker_id, unseal('members.name', s.name),"
    " r.passed_at, r.answer, r.answer_message, r.answered_at"
)
_FROM = (
    " FROM speaker_requests r LEFT JOIN members a ON a.id = r.asker_id"
    " LEFT JOIN members s ON s.id = r.speaker_id"
)


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: bytes
    origin: str  # the hub that asked
    to_hub: str  # the hub whose speaker was asked for
    offer: bytes
    topic: str
    starts: int  # seconds
    timezone: str
    place: str
    message: str | None
    created_at: int  # ms
    asker_id: int | None  # on the asking hub only
    asker_name: str | None
    asker_email: str | None
    share_contact: bool
    speaker_id: int | None  # on the speaker's hub only
    speaker_name: str | None
    passed_at: int | None
    answer: str | None  # "accept", "decline", or None while unanswered
    answer_message: str | None
    answered_at: int | None


def _row(r: Any) -> RequestRow:
    return RequestRow(
        bytes(r[0]), r[1], r[2], bytes(r[3]), r[4], r[5], r[6], r[7], r[8], r[9],
        r[10], r[11], r[12], bool(r[13]), r[14], r[15], r[16], r[17], r[18], r[19],
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Arrived:
    """What the projection applied that someone on this hub should be told of."""

    request: bytes
    what: str  # "asked" (a request for our speaker) or "answered" (an answer to ours)
    member_id: int | None  # the asker (answered); None for "asked" (the organisers)


async def _insert_txn(
    conn: aiosqlite.Connection,
    message: Message,
    body: SpeakerRequest,
    *,
    asker_id: int | None = None,
    share_contact: bool = False,
    speaker_id: int | None = None,
) -> bool:
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO speaker_requests (id, origin, to_hub, offer, topic, starts,"
        " timezone, place, message, created_at, asker_id, share_contact, speaker_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message.id,
            message.origin,
            body.to,
            body.offer,
            body.topic,
            body.starts,
            body.timezone,
            body.place,
            body.message,
            message.created_at,
            asker_id,
            int(share_contact),
            speaker_id,
        ),
    )
    return bool(cursor.rowcount)


async def add_asked_txn(
    conn: aiosqlite.Connection, message: Message, asker_id: int, share_contact: bool
) -> None:
    """The asking hub's row, written with its `speaker.request` (naming the member)."""
    assert isinstance(message.body, SpeakerRequest)
    await _insert_txn(conn, message, message.body, asker_id=asker_id, share_contact=share_contact)


async def _offered_by_txn(conn: aiosqlite.Connection, offer: bytes) -> int | None:
    """The member of this hub whose published, still open offer this is."""
    async with conn.execute(
        "SELECT member_id FROM speakers WHERE published = ? AND withdrawn_at IS NULL", (offer,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def unanswered_txn(conn: aiosqlite.Connection, request: bytes, to_hub: str) -> bool:
    """Whether the request was made of `to_hub` and has no answer yet."""
    async with conn.execute(
        "SELECT 1 FROM speaker_requests WHERE id = ? AND to_hub = ? AND answer IS NULL",
        (request, to_hub),
    ) as cursor:
        return await cursor.fetchone() is not None


async def answer_txn(
    conn: aiosqlite.Connection, request: bytes, answer: str, message: str | None, at: int
) -> bool:
    """Record the first answer to a request (a later one changes nothing)."""
    cursor = await conn.execute(
        "UPDATE speaker_requests SET answer = ?, answer_message = ?, answered_at = ?"
        " WHERE id = ? AND answer IS NULL",
        (answer, message, at, request),
    )
    return bool(cursor.rowcount)


async def apply_requests_txn(
    conn: aiosqlite.Connection, messages: Iterable[Message], me: str
) -> list[Arrived]:
    """PROTOCOL.md §5.35, §5.36: keep requests made of this hub for an offer it
    published, and answers to this hub's requests from the hub asked; ignore the rest."""
    arrived: list[Arrived] = []
    for m in messages:
        body = m.body
        if isinstance(body, SpeakerRequest):
            if body.to != me or m.origin == me:
                continue
            speaker = await _offered_by_txn(conn, body.offer)
            if speaker is None:
                continue  # not an open offer of ours
            if await _insert_txn(conn, m, body, speaker_id=speaker):
                arrived.append(Arrived(m.id, "asked", None))
        elif isinstance(body, SpeakerAnswer):
            # Only the hub asked may answer, and only a request this hub is party to.
            async with conn.execute(
                "SELECT origin, asker_id FROM speaker_requests WHERE id = ? AND to_hub = ?",
                (body.request, m.origin),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or body.to != row[0] or me not in (row[0], m.origin):
                continue
            applied = await answer_txn(conn, body.request, body.answer, body.message, m.created_at)
            if applied and row[0] == me:
                arrived.append(Arrived(body.request, "answered", row[1]))
    return arrived


async def organisers_txn(conn: aiosqlite.Connection, roles: Iterable[str], now: int) -> list[int]:
    """Active members holding any of `roles` at `now`."""
    wanted = sorted(roles)
    marks = ", ".join("?" for _ in wanted)
    async with conn.execute(
        "SELECT DISTINCT m.id FROM members m JOIN member_roles r ON r.member_id = m.id"
        f" WHERE m.status = 'active' AND r.role IN ({marks}) AND r.starts_at <= ?"
        " AND (r.ends_at IS NULL OR r.ends_at > ?)",
        (*wanted, now, now),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


class SpeakerRequestsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open_offer(self, offer: bytes) -> tuple[str, list[str]] | None:
        """(origin, topics) of an offer still open on the network."""
        row = await self._db.fetchone(
            "SELECT origin, topics FROM speaker_offers WHERE id = ? AND withdrawn = 0", (offer,)
        )
        return (str(row[0]), list(json.loads(row[1]))) if row else None

    async def get(self, request: bytes) -> RequestRow | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS}{_FROM} WHERE r.id = ?", (request,))
        return _row(row) if row else None

    async def asked_of(self, hub: str) -> list[RequestRow]:
        """Requests made of `hub` (this one), newest first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS}{_FROM} WHERE r.to_hub = ? ORDER BY r.created_at DESC", (hub,)
        )
        return [_row(r) for r in rows]

    async def asked_by(self, hub: str) -> list[RequestRow]:
        """Requests `hub`'s (this hub's) members made, newest first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS}{_FROM} WHERE r.origin = ? ORDER BY r.created_at DESC", (hub,)
        )
        return [_row(r) for r in rows]

    async def of_member(self, member_id: int) -> list[RequestRow]:
        """Requests the member made, or that were passed on to them, newest first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS}{_FROM} WHERE r.asker_id = ?"
            " OR (r.speaker_id = ? AND r.passed_at IS NOT NULL) ORDER BY r.created_at DESC",
            (member_id, member_id),
        )
        return [_row(r) for r in rows]

    async def pass_on(self, request: bytes, now: int) -> bool:
        """Mark a request passed on to its speaker; False if it already was."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE speaker_requests SET passed_at = ?"
                " WHERE id = ? AND passed_at IS NULL AND speaker_id IS NOT NULL",
                (now, request),
            )
            return bool(cursor.rowcount)

    async def records(self, member_id: int) -> list[RequestRow]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS}{_FROM} WHERE r.asker_id = ? OR r.speaker_id = ?"
            " ORDER BY r.created_at",
            (member_id, member_id),
        )
        return [_row(r) for r in rows]

    async def forget_member(self, member_id: int) -> None:
        """The requests stay (the other hub holds them too); who they were goes."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE speaker_requests SET asker_id = NULL, share_contact = 0 WHERE asker_id = ?",
                (member_id,),
            )
            await conn.execute(
                "UPDATE speaker_requests SET speaker_id = NULL WHERE speaker_id = ?",
                (member_id,),
            )
