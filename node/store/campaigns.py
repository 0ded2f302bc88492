"""SQL for campaigns: the tables the campaigns projection builds from the log
(node/community/campaign_projection.py decides what applies) and the pages read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from node.store import search as search_index
from node.store.database import Database
from protocol.envelope import Message
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: bytes
    origin: str
    title: str
    summary: str
    status: str
    created_at: int
    principles: list[str]
    goals: list[str]
    joined: int  # other hubs' endorsements (listing only)


async def origin_txn(conn: aiosqlite.Connection, campaign: bytes) -> str | None:
    async with conn.execute("SELECT origin FROM campaigns WHERE id = ?", (campaign,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def endorsed_txn(conn: aiosqlite.Connection, campaign: bytes, origin: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM campaign_endorsements WHERE campaign = ? AND origin = ?",
        (campaign, origin),
    ) as cursor:
        return await cursor.fetchone() is not None


class CampaignsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[CampaignRow]:
        rows = await self._db.fetchall(
            "SELECT c.id, c.origin, c.title, c.summary, c.status, c.created_at,"
            " (SELECT count(*) FROM campaign_endorsements e"
            "  WHERE e.campaign = c.id AND e.origin != c.origin)"
            " FROM campaigns c ORDER BY c.created_at DESC, c.id LIMIT 500"
        )
        return [
            CampaignRow(bytes(i), str(o), t, s, st, at, [], [], int(n))
            for i, o, t, s, st, at, n in rows
        ]

    async def get(self, campaign_id: bytes) -> CampaignRow | None:
        row = await self._db.fetchone(
            "SELECT origin, title, summary, status, created_at, principles, goals"
            " FROM campaigns WHERE id = ?",
            (campaign_id,),
        )
        if row is None:
            return None
        o, t, s, st, at, p, g = row
        return CampaignRow(campaign_id, str(o), t, s, st, at, json.loads(p), json.loads(g), 0)

    async def updates(self, campaign_id: bytes) -> list[tuple[str, str | None, int]]:
        """(text, status, created_at) of each update, newest first."""
        rows = await self._db.fetchall(
            "SELECT text, status, created_at FROM campaign_updates WHERE campaign = ?"
            " ORDER BY seq DESC",
            (campaign_id,),
        )
        return [(t, s, at) for t, s, at in rows]

    async def endorsements(
        self, campaign_id: bytes, origin: str
    ) -> list[tuple[str, str | None, int]]:
        """(origin, statement, created_at) of each hub but `origin` that joined."""
        rows = await self._db.fetchall(
            "SELECT origin, statement, created_at FROM campaign_endorsements"
            " WHERE campaign = ? AND origin != ? ORDER BY created_at, origin",
            (campaign_id, origin),
        )
        return [(str(o), s, at) for o, s, at in rows]

    async def links(self, campaign_id: bytes) -> list[tuple[str, bytes, str | None]]:
        """(kind, target, title if held) of the events and resources linked."""
        rows = await self._db.fetchall(
            "SELECT l.kind, l.target, coalesce(s.title, b.title) FROM campaign_links l"
            " LEFT JOIN search s ON s.kind = 'event' AND l.kind = 'event'"
            "  AND s.ref = lower(hex(l.target))"
            " LEFT JOIN library b ON l.kind = 'resource' AND b.id = l.target"
            " WHERE l.campaign = ? ORDER BY l.rowid",
            (campaign_id,),
        )
        return [(str(k), bytes(t), n) for k, t, n in rows]


# -- the campaigns projection ------------------------------------------------------------


async def forget_campaigns_txn(conn: aiosqlite.Connection) -> None:
    for table in ("campaigns", "campaign_updates", "campaign_links", "campaign_endorsements"):
        await conn.execute(f"DELETE FROM {table}")
    await search_index.drop_kind_txn(conn, "campaign")


async def put_campaign_txn(conn: aiosqlite.Connection, m: Message) -> None:
    body = m.body
    if not isinstance(body, Campaign):
        return
    await conn.execute(
        "INSERT OR IGNORE INTO campaigns (id, origin, seq, created_at, title, summary,"
        " status, principles, goals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            m.id,
            m.origin,
            m.seq,
            m.created_at,
            body.title,
            body.summary,
            body.status,
            json.dumps(body.principles),
            json.dumps(body.goals),
        ),
    )
    await _link_txn(conn, m.id, body.events, body.resources)
    text = " ".join((body.summary, *body.principles, *body.goals))
    await search_index.put_txn(conn, "campaign", m.id.hex(), body.title, text, "public")


async def update_campaign_txn(conn: aiosqlite.Connection, m: Message) -> None:
    body = m.body
    if not isinstance(body, CampaignUpdate):
        return
    await conn.execute(
        "INSERT OR IGNORE INTO campaign_updates (id, campaign, seq, created_at, text, status)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (m.id, body.campaign, m.seq, m.created_at, body.text, body.status),
    )
    if body.status is not None:
        await conn.execute(
            "UPDATE campaigns SET status = ? WHERE id = ?", (body.status, body.campaign)
        )
    await _link_txn(conn, body.campaign, body.events, body.resources)


async def endorse_txn(conn: aiosqlite.Connection, m: Message) -> None:
    body = m.body
    if not isinstance(body, CampaignEndorse):
        return
    # Kept whether or not the campaign is held: pages join on campaigns.
    await conn.execute(
        "INSERT INTO campaign_endorsements (campaign, origin, message_id, created_at,"
        " statement) VALUES (?, ?, ?, ?, ?) ON CONFLICT (campaign, origin) DO UPDATE SET"
        " message_id = excluded.message_id, created_at = excluded.created_at,"
        " statement = excluded.statement",
        (body.campaign, m.origin, m.id, m.created_at, body.statement),
    )


async def _link_txn(
    conn: aiosqlite.Connection,
    campaign: bytes,
    events: tuple[bytes, ...],
    resources: tuple[bytes, ...],
) -> None:
    rows = [(campaign, "event", e) for e in events] + [(campaign, "resource", r) for r in resources]
    if rows:
        await conn.executemany(
            "INSERT OR IGNORE INTO campaign_links (campaign, kind, target) VALUES (?, ?, ?)", rows
        )
