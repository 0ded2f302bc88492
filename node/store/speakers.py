"""SQL for speakers: members' own offers (`speakers`) and the network's (`speaker_offers`).

`speakers` is this hub's record of who offered what; nothing in it leaves the
node. `speaker_offers` is built from `speaker.offer` and `speaker.withdraw`
messages by the speakers projection (node/community/projections.py) and can be
emptied and read again from the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from node.store.database import Database
from protocol.envelope import Message
from protocol.kinds.community import SpeakerOffer, SpeakerWithdraw


@dataclass(frozen=True, slots=True)
class MyOffer:
    id: int
    topics: list[str]
    area: str | None
    note: str | None
    published: bool


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One open offer of the network's, as the projection keeps it."""

    id: bytes
    origin: str
    topics: list[str]
    area: str | None
    note: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class OfferRecord:
    """All this hub keeps of a member's offer (for their data download)."""

    topics: list[str]
    area: str | None
    note: str | None
    created_at: int
    published: bytes | None
    withdrawn_at: int | None


# -- this hub's members' offers ------------------------------------------------------


async def add_offer_txn(
    conn: aiosqlite.Connection,
    member_id: int,
    topics: list[str],
    area: str | None,
    note: str | None,
    created_at: int,
    published: bytes | None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO speakers (member_id, topics, area, note, created_at, published)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (member_id, json.dumps(topics), area, note, created_at, published),
    )
    return int(cursor.lastrowid or 0)


async def open_offer_txn(
    conn: aiosqlite.Connection, offer_id: int, member_id: int
) -> tuple[bytes | None] | None:
    """(the published message id, or None) of the member's offer if it is still open."""
    async with conn.execute(
        "SELECT published FROM speakers WHERE id = ? AND member_id = ? AND withdrawn_at IS NULL",
        (offer_id, member_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return (bytes(row[0]) if row[0] is not None else None,)


async def withdraw_offer_txn(conn: aiosqlite.Connection, offer_id: int, now: int) -> None:
    await conn.execute("UPDATE speakers SET withdrawn_at = ? WHERE id = ?", (now, offer_id))


class SpeakersStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open_offer(self, offer_id: int, member_id: int) -> tuple[bytes | None] | None:
        return await open_offer_txn(self._db.reader, offer_id, member_id)

    async def withdraw_offer(self, offer_id: int, now: int) -> None:
        async with self._db.write() as conn:
            await withdraw_offer_txn(conn, offer_id, now)

    async def mine(self, member_id: int) -> list[MyOffer]:
        rows = await self._db.fetchall(
            "SELECT id, topics, area, note, published IS NOT NULL FROM speakers"
            " WHERE member_id = ? AND withdrawn_at IS NULL ORDER BY id DESC",
            (member_id,),
        )
        return [MyOffer(i, json.loads(t), a, n, bool(p)) for i, t, a, n, p in rows]

    async def open_published(self, member_id: int) -> list[tuple[int, bytes]]:
        """(offer id, published message id) of the member's open published offers."""
        rows = await self._db.fetchall(
            "SELECT id, published FROM speakers"
            " WHERE member_id = ? AND withdrawn_at IS NULL AND published IS NOT NULL",
            (member_id,),
        )
        return [(int(i), bytes(p)) for i, p in rows]

    async def records(self, member_id: int) -> list[OfferRecord]:
        rows = await self._db.fetchall(
            "SELECT topics, area, note, created_at, published, withdrawn_at FROM speakers"
            " WHERE member_id = ? ORDER BY id",
            (member_id,),
        )
        return [
            OfferRecord(json.loads(t), a, n, c, bytes(p) if p is not None else None, w)
            for t, a, n, c, p, w in rows
        ]

    async def forget_member(self, member_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM speakers WHERE member_id = ?", (member_id,))

    # -- the network's offers (the speakers projection) --------------------------------

    async def network_offers(self, like: str | None, limit: int) -> list[OfferRow]:
        """Open offers, newest first; only those whose topics or area match the LIKE
        pattern `like` (escaped with a backslash) when given."""
        where, args = "withdrawn = 0", []
        if like is not None:
            where += " AND (topics LIKE ? ESCAPE '\\' OR area LIKE ? ESCAPE '\\')"
            args = [like, like]
        rows = await self._db.fetchall(
            "SELECT id, origin, topics, area, note, created_at FROM speaker_offers"
            f" WHERE {where} ORDER BY created_at DESC LIMIT ?",
            (*args, limit),
        )
        return [OfferRow(bytes(i), str(o), json.loads(t), a, n, at) for i, o, t, a, n, at in rows]


async def apply_offers_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
    for m in messages:
        body = m.body
        if isinstance(body, SpeakerWithdraw):
            await conn.execute(
                "UPDATE speaker_offers SET withdrawn = 1 WHERE id = ? AND origin = ?",
                (body.offer, m.origin),
            )
        elif isinstance(body, SpeakerOffer):
            await conn.execute(
                "INSERT OR IGNORE INTO speaker_offers (id, origin, created_at, topics, area, note)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (m.id, m.origin, m.created_at, json.dumps(body.topics), body.area, body.note),
            )


async def forget_offers_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM speaker_offers")
