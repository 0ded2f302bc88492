"""The campaigns projection: campaigns, their updates, links and endorsements.

PROTOCOL.md §5: an update applies only if the campaign is held and has the same
origin (an origin's log is stored in seq order, so its own campaign is always
held first); endorsements are kept whether or not the campaign is held, and
joined to it when a page is read, so one that arrives first shows once the
campaign does.
"""

from __future__ import annotations

import logging

import aiosqlite

from node.projections.runner import Projection
from node.store import campaigns as store
from protocol.envelope import Message
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate

log = logging.getLogger(__name__)

KINDS = frozenset({"campaign", "campaign.update", "campaign.endorse"})


def campaigns_projection() -> Projection:
    return Projection("campaigns", KINDS, _apply_txn, store.forget_campaigns_txn)


async def _apply_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
    for m in messages:
        if isinstance(m.body, CampaignUpdate):
            if await store.origin_txn(conn, m.body.campaign) != m.origin:
                log.info(
                    "campaign.update %s: not by the campaign's origin; not applied", m.id.hex()
                )
                continue
            await store.update_campaign_txn(conn, m)
        elif isinstance(m.body, CampaignEndorse):
            await store.endorse_txn(conn, m)
        elif isinstance(m.body, Campaign):
            await store.put_campaign_txn(conn, m)
