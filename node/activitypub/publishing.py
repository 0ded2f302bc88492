"""What the hub publishes to the fediverse, made from its own signed messages.

A projection (node/projections/runner.py) over the hub's own events, news and
campaigns: for each message it keeps the object as it now stands (ap_objects, read
by the outbox and the object URLs) and queues the activity for every follower's
inbox (ap_deliveries), in the runner's transaction, so nothing is announced twice
or lost in a crash, and it works alike for what the web pages and the CLI publish.

Other hubs' messages are never published here: the hub speaks for itself alone.
Only public events go out (protocol/visibility.py: what a visitor may see); an
event made members-only or network-only after it went out is deleted.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import aiosqlite

from crypto.nodeid import NodeId
from node.activitypub.documents import (
    Hub,
    activity,
    campaign_object,
    event_object,
    news_object,
    tombstone,
)
from node.markdown import html_of
from node.projections.runner import Projection
from node.store.activitypub import blocked_by
from node.store.activitypub_objects import (
    block_targets_txn,
    delete_object_txn,
    enqueue_txn,
    follower_inboxes_txn,
    keep_object_txn,
    published_txn,
)
from protocol.envelope import Message
from protocol.kinds.campaign import Campaign, CampaignUpdate
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate
from protocol.kinds.hub import Announcement, AnnouncementUpdate, AnnouncementWithdraw
from protocol.visibility import may_see

KINDS = frozenset(
    {
        "event",
        "event.update",
        "event.cancel",
        "announcement",
        "announcement.update",
        "announcement.withdraw",
        "campaign",
        "campaign.update",
    }
)


def publishing_projection(
    node_id: NodeId,
    hub: Callable[[], Hub],
    enabled: Callable[[], bool],
    queued: Callable[[], None],
) -> Projection:
    async def apply_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
        current = hub()
        for message in messages:
            if message.origin != node_id:
                continue  # never another hub's event or news under this hub's name
            made = await _activity_txn(conn, current, message)
            if made is not None:
                # One activity per message: an edit and a cancellation in the same
                # second are two activities (servers drop a repeated id as seen).
                made["id"] = f"{current.url}/ap/activities/{message.id.hex()}"
            if made is not None and enabled():
                await _fan_out_txn(conn, made, message.created_at)

    # Not rebuilt with the roster (it would announce everything again), and never reset.
    # The sender is woken once the runner's transaction has committed the deliveries.
    return Projection(
        "activitypub",
        KINDS,
        apply_txn,
        reset_txn=None,
        roster=False,
        committed=queued,
        own_only=True,
    )


async def _fan_out_txn(conn: aiosqlite.Connection, made: dict[str, Any], now: int) -> None:
    blocks = await block_targets_txn(conn)
    for inbox, host in await follower_inboxes_txn(conn):
        if not blocked_by(blocks, host, inbox):
            await enqueue_txn(conn, inbox, host, made, now)


async def _activity_txn(
    conn: aiosqlite.Connection, hub: Hub, message: Message
) -> dict[str, Any] | None:
    """Keep the object `message` makes or changes; the activity announcing it, if any."""
    body, when = message.body, message.created_at // 1000
    if isinstance(body, EventUpdate):
        return await _event_txn(conn, hub, body.event, body, when)
    if isinstance(body, EventDetails):
        return await _event_txn(conn, hub, message.id, body, when)
    if isinstance(body, EventCancel):
        existing = await published_txn(conn, body.event)
        if existing is None or existing.deleted:
            return None
        # Mobilizon reads ical:status; Mastodon and others show the content, so it says so.
        said = f"<p><strong>Cancelled.</strong> {html.escape(body.reason or '')}</p>"
        change = {"ical:status": "CANCELLED", "content": said + existing.document["content"]}
        return await _changed_txn(conn, hub, body.event, when, change)
    if isinstance(body, Announcement):
        document = news_object(hub, message.id, body, when)
        return await _keep_txn(conn, hub, message.id, "news", document, when, "Create")
    if isinstance(body, AnnouncementUpdate):
        existing = await published_txn(conn, body.announcement)
        if existing is None or existing.deleted:
            return None
        again = Announcement(text=body.text, title=body.title)
        document = news_object(hub, body.announcement, again, existing.published_at)
        return await _keep_txn(conn, hub, body.announcement, "news", document, when, "Update")
    if isinstance(body, AnnouncementWithdraw):
        return await _delete_txn(conn, hub, body.announcement, when)
    if isinstance(body, Campaign):
        document = campaign_object(hub, message.id, body, when)
        return await _keep_txn(conn, hub, message.id, "campaign", document, when, "Create")
    if isinstance(body, CampaignUpdate):
        existing = await published_txn(conn, body.campaign)
        if existing is None or existing.deleted:
            return None
        content = existing.document.get("content", "") + html_of(body.text)
        return await _changed_txn(conn, hub, body.campaign, when, {"content": content})
    return None


async def _event_txn(
    conn: aiosqlite.Connection, hub: Hub, event: bytes, body: EventDetails, when: int
) -> dict[str, Any] | None:
    existing = await published_txn(conn, event)
    if not may_see("visitor", body.visibility):
        # Not (or no longer) public: what went out is taken back.
        return await _delete_txn(conn, hub, event, when)
    if existing is not None and existing.document.get("ical:status") == "CANCELLED":
        return None  # a cancelled event stays as it was cancelled
    first = existing is None or existing.deleted
    published = when if existing is None or existing.deleted else existing.published_at
    document = event_object(hub, event, body, published)
    verb = "Create" if first else "Update"
    return await _keep_txn(conn, hub, event, "event", document, when, verb)


async def _keep_txn(
    conn: aiosqlite.Connection,
    hub: Hub,
    message: bytes,
    kind: str,
    document: dict[str, Any],
    when: int,
    verb: str,
) -> dict[str, Any]:
    await keep_object_txn(conn, message, kind, document, when)
    return activity(hub, verb, document, hub.activity_id(message, verb, f"-{when}"), when)


async def _changed_txn(
    conn: aiosqlite.Connection, hub: Hub, message: bytes, when: int, change: dict[str, Any]
) -> dict[str, Any] | None:
    existing = await published_txn(conn, message)
    if existing is None or existing.deleted:
        return None
    document = {**existing.document, **change}
    return await _keep_txn(conn, hub, message, existing.kind, document, when, "Update")


async def _delete_txn(
    conn: aiosqlite.Connection, hub: Hub, message: bytes, when: int
) -> dict[str, Any] | None:
    existing = await published_txn(conn, message)
    if existing is None or existing.deleted:
        return None
    await delete_object_txn(conn, message, when)
    object_id = hub.object_id(message)
    return activity(hub, "Delete", tombstone(object_id), hub.activity_id(message, "delete"), when)
