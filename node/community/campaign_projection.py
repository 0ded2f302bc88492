"""The campaigns projection: campaigns, their updates, links and endorsements.

PROTOCOL.md §5: an update applies only if the campaign is held and has the same
origin (an origin's log is stored in seq order, so its own campaign is always
held first); endorsements are kept whether or not the campaign is held, and
joined to it when a page is read, so one that arrives first shows once the
campaign does.
"""

from __future__ import annotations

import json
import logging

import aiosqlite

from node.projections.runner import Projection
from node.store import search as search_index
from protocol.envelope import Message
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate

log = logging.getLogger(__name__)

KINDS = frozenset({"campaign", "campaign.update", "campaign.endorse"})


def campaigns_projection() -> Projection:
    return Projection("campaigns", KINDS, _apply_txn, _reset_txn)


async def _apply_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
    for m in messages:
        if isinstance(m.body, CampaignUpdate):
            await _campaign_update(conn, m)
        elif isinstance(m.body, CampaignEndorse):
            await _campaign_endorse(conn, m)
        elif isinstance(m.body, Campaign):
            await _campaign(conn, m)


async def _reset_txn(conn: aiosqlite.Connection) -> None:
    for table in ("campaigns", "campaign_updates", "campaign_links", "campaign_endorsements"):
        await conn.execute(f"DELETE FROM {table}")
    await search_index.drop_kind_txn(conn, "campaign")


async def _campaign(conn: aiosqlite.Connection, m: Message) -> None:
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


async def _campaign_update(conn: aiosqlite.Connection, m: Message) -> None:
    body = m.body
    if not isinstance(body, CampaignUpdate):
        return
    async with conn.execute(
        "SELECT origin FROM campaigns WHERE id = ?", (body.campaign,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row[0] != m.origin:
        log.info("campaign.update %s: not by the campaign's origin; not applied", m.id.hex())
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


async def _campaign_endorse(conn: aiosqlite.Connection, m: Message) -> None:
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
