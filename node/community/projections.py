"""Tables derived from stored messages: campaigns, the library, speaker offers,
the shared directory, and their rows in the search index.

Stored messages are the source of truth (DESIGN.md). This module reads every
message after the last one it applied (`projection_cursor`), in the order they
were stored, and applies the ones it knows, in one write transaction together
with the new cursor, so a crash never applies a message twice or skips one.
It runs when MessageStore's `on_stored` callbacks fire and before any page
reads these tables, so messages stored by another process (a `hubnet` command
beside the running node) are picked up too. Resetting the cursor to 0 and
emptying the tables rebuilds everything.

The rules are PROTOCOL.md §5: a reference to a message of the same origin
(an update, a replacing directory entry, a withdrawal) applies only if that
message is held and has the same origin. An origin's log is stored in seq
order, so its own earlier message is always held first; a reference that
fails the check is from another hub, or names nothing, and is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable

import aiosqlite

from crypto.nodeid import NodeId
from node.search import Search, Visibility
from node.store.database import Database
from protocol.envelope import Message, parse_payload
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate
from protocol.kinds.community import (
    DirectoryEntry,
    DirectoryWithdraw,
    SpeakerOffer,
    SpeakerWithdraw,
)
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate
from protocol.kinds.hub import Resource

log = logging.getLogger(__name__)

CURSOR = "community"
BATCH = 2000

Apply = Callable[["Projections", aiosqlite.Connection, Message], Awaitable[None]]

# What `hide` takes out for hubs that left: their search rows first (found through the
# tables), then the rows themselves. Replies in discussions stay, as comments do.
_HIDDEN_SEARCH_ROWS = (
    ("event", "SELECT id FROM messages WHERE kind = 'event' AND origin IN ({marks})"),
    ("campaign", "SELECT id FROM campaigns WHERE origin IN ({marks})"),
    ("resource", "SELECT id FROM library WHERE origin IN ({marks})"),
    ("directory", "SELECT entry FROM directory_shared WHERE origin IN ({marks})"),
)
_HIDDEN_ROWS = (
    "DELETE FROM campaign_updates WHERE campaign IN"
    " (SELECT id FROM campaigns WHERE origin IN ({marks}))",
    "DELETE FROM campaign_links WHERE campaign IN"
    " (SELECT id FROM campaigns WHERE origin IN ({marks}))",
    "DELETE FROM campaigns WHERE origin IN ({marks})",
    "DELETE FROM campaign_endorsements WHERE origin IN ({marks})",
    "DELETE FROM library WHERE origin IN ({marks})",
    "DELETE FROM speaker_offers WHERE origin IN ({marks})",
    "DELETE FROM directory_shared WHERE origin IN ({marks})",
)


class Projections:
    def __init__(self, db: Database, node_id: NodeId) -> None:
        self._db = db
        self._node_id = node_id
        self._cursor: int | None = None  # last rowid applied, once read
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        # PROTOCOL.md §14.5: whose messages are shown (node.py: this hub and members).
        self.shows: Callable[[NodeId], bool] = lambda origin: True

    # -- the roster changed ---------------------------------------------------------

    async def hide(self, origins: Iterable[NodeId]) -> None:
        """Take what hubs that left the network published out of these tables and search.

        Their messages stay in the store: if they are admitted again, `replay` puts
        everything back.
        """
        gone = sorted(origins)
        if not gone:
            return
        marks = ",".join("?" * len(gone))
        async with self._lock, self._db.write() as conn:
            for kind, sql in _HIDDEN_SEARCH_ROWS:
                async with conn.execute(sql.format(marks=marks), gone) as cursor:
                    refs = [bytes(row[0]).hex() for row in await cursor.fetchall()]
                for ref in refs:
                    await Search.drop_txn(conn, kind, ref)
            for sql in _HIDDEN_ROWS:
                await conn.execute(sql.format(marks=marks), gone)

    async def replay(self) -> None:
        """Apply every stored message again (after a hub is admitted: its messages show)."""
        async with self._lock, self._db.write() as conn:
            await conn.execute("DELETE FROM projection_cursor WHERE name = ?", (CURSOR,))
        self._cursor = None
        await self.catch_up()

    # -- keeping up -----------------------------------------------------------------

    def on_stored(self, messages: list[Message]) -> None:
        """MessageStore callback: apply the new messages soon, off the caller's path."""
        if not any(m.kind in _APPLY for m in messages):
            return
        task = asyncio.get_running_loop().create_task(self._background())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _background(self) -> None:
        try:
            await self.catch_up()
        except Exception:  # logged; the next read retries from the same cursor
            log.exception("community: applying stored messages failed")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def catch_up(self) -> int:
        """Apply every stored message not yet applied; how many were read."""
        row = await self._db.fetchone("SELECT coalesce(max(rowid), 0) FROM messages")
        newest = int(row[0]) if row else 0
        if self._cursor is not None and self._cursor >= newest:
            return 0
        read = 0
        async with self._lock:
            while True:
                done, count = await self._apply_batch()
                read += count
                if done:
                    return read

    async def _apply_batch(self) -> tuple[bool, int]:
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT last_rowid FROM projection_cursor WHERE name = ?", (CURSOR,)
            ) as cursor:
                row = await cursor.fetchone()
            last = int(row[0]) if row else 0
            marks = ",".join("?" * len(_APPLY))
            async with conn.execute(
                "SELECT rowid, payload, signature FROM messages"
                f" WHERE rowid > ? AND kind IN ({marks}) ORDER BY rowid LIMIT ?",
                (last, *_APPLY, BATCH),
            ) as cursor:
                rows = list(await cursor.fetchall())
            for _, payload, signature in rows:
                message = parse_payload(payload, signature)
                if self.shows(message.origin):
                    await _APPLY[message.kind](self, conn, message)
            if len(rows) == BATCH:
                new_last = int(rows[-1][0])
            else:
                # Nothing relevant after the last row: jump to the newest message.
                async with conn.execute("SELECT coalesce(max(rowid), 0) FROM messages") as cursor:
                    top = await cursor.fetchone()
                new_last = int(top[0]) if top else last
            await conn.execute(
                "INSERT INTO projection_cursor (name, last_rowid) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET last_rowid = excluded.last_rowid",
                (CURSOR, new_last),
            )
        self._cursor = new_last
        return len(rows) < BATCH, len(rows)

    # -- events (read straight from the store; their pages are elsewhere) -------------

    async def _event(self, conn: aiosqlite.Connection, m: Message) -> None:
        body = m.body
        if isinstance(body, EventUpdate):
            if not await _same_origin_txn(conn, body.event, m.origin):
                return
            ref = body.event.hex()
        elif isinstance(body, EventDetails):
            ref = m.id.hex()
        else:
            return
        text = " ".join(x for x in (body.description, body.place, *body.speakers) if x)
        # A network-only event is for members of the network's hubs, not the public.
        visibility: Visibility = "public" if body.visibility == "public" else "members"
        await Search.put_txn(conn, "event", ref, body.title, text, visibility)

    async def _event_cancel(self, conn: aiosqlite.Connection, m: Message) -> None:
        if isinstance(m.body, EventCancel) and await _same_origin_txn(conn, m.body.event, m.origin):
            await Search.drop_txn(conn, "event", m.body.event.hex())

    # -- campaigns --------------------------------------------------------------------

    async def _campaign(self, conn: aiosqlite.Connection, m: Message) -> None:
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
        await Search.put_txn(conn, "campaign", m.id.hex(), body.title, text, "public")

    async def _campaign_update(self, conn: aiosqlite.Connection, m: Message) -> None:
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

    async def _campaign_endorse(self, conn: aiosqlite.Connection, m: Message) -> None:
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

    # -- resources ----------------------------------------------------------------------

    async def _resource(self, conn: aiosqlite.Connection, m: Message) -> None:
        body = m.body
        if not isinstance(body, Resource):
            return
        await conn.execute(
            "INSERT OR IGNORE INTO library (id, origin, created_at, hash, name, media_type, size,"
            " title, description, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                m.id,
                m.origin,
                m.created_at,
                body.hash,
                body.name,
                body.media_type,
                body.size,
                body.title,
                body.description,
                json.dumps(body.tags),
            ),
        )
        text = " ".join(x for x in (body.description, body.name, *body.tags) if x)
        await Search.put_txn(conn, "resource", m.id.hex(), body.title, text, "public")

    # -- speakers -------------------------------------------------------------------------

    async def _speaker_offer(self, conn: aiosqlite.Connection, m: Message) -> None:
        body = m.body
        if isinstance(body, SpeakerOffer):
            await conn.execute(
                "INSERT OR IGNORE INTO speaker_offers (id, origin, created_at, topics, area, note)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (m.id, m.origin, m.created_at, json.dumps(body.topics), body.area, body.note),
            )

    async def _speaker_withdraw(self, conn: aiosqlite.Connection, m: Message) -> None:
        if isinstance(m.body, SpeakerWithdraw):
            await conn.execute(
                "UPDATE speaker_offers SET withdrawn = 1 WHERE id = ? AND origin = ?",
                (m.body.offer, m.origin),
            )

    # -- the shared directory ---------------------------------------------------------------

    async def _directory_entry(self, conn: aiosqlite.Connection, m: Message) -> None:
        body = m.body
        if not isinstance(body, DirectoryEntry):
            return
        entry: bytes = m.id
        if body.replaces is not None:
            found = await _directory_root_txn(conn, body.replaces)
            if found is None or found[1] != m.origin:
                log.info("directory.entry %s replaces nothing of its origin's", m.id.hex())
                return
            entry = found[0]
        await conn.execute(
            "INSERT INTO directory_shared (entry, origin, version, seq, name, category, area,"
            " hours, contact, description, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (entry) DO UPDATE SET version = excluded.version, seq = excluded.seq,"
            " name = excluded.name, category = excluded.category, area = excluded.area,"
            " hours = excluded.hours, contact = excluded.contact,"
            " description = excluded.description, url = excluded.url",
            (
                entry,
                m.origin,
                m.id,
                m.seq,
                body.name,
                body.category,
                body.area,
                body.hours,
                body.contact,
                body.description,
                body.url,
            ),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO directory_versions (version, entry) VALUES (?, ?)",
            (m.id, entry),
        )
        if m.origin != self._node_id:  # this hub's own entries are indexed as local records
            text = " ".join(x for x in (body.description, body.area, body.category) if x)
            await Search.put_txn(conn, "directory", entry.hex(), body.name, text, "public")

    async def _directory_withdraw(self, conn: aiosqlite.Connection, m: Message) -> None:
        if not isinstance(m.body, DirectoryWithdraw):
            return
        found = await _directory_root_txn(conn, m.body.entry)
        if found is None or found[1] != m.origin:
            return
        await conn.execute("DELETE FROM directory_shared WHERE entry = ?", (found[0],))
        await Search.drop_txn(conn, "directory", found[0].hex())


async def _same_origin_txn(conn: aiosqlite.Connection, message_id: bytes, origin: str) -> bool:
    async with conn.execute("SELECT origin FROM messages WHERE id = ?", (message_id,)) as cursor:
        row = await cursor.fetchone()
    return row is not None and row[0] == origin


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


async def _directory_root_txn(
    conn: aiosqlite.Connection, version: bytes
) -> tuple[bytes, str] | None:
    """The first version's id and the origin of the entry `version` belongs to."""
    async with conn.execute(
        "SELECT d.entry, d.origin FROM directory_versions v"
        " JOIN directory_shared d ON d.entry = v.entry WHERE v.version = ?",
        (version,),
    ) as cursor:
        row = await cursor.fetchone()
    return (bytes(row[0]), str(row[1])) if row else None


_APPLY: dict[str, Apply] = {
    "event": Projections._event,
    "event.update": Projections._event,
    "event.cancel": Projections._event_cancel,
    "campaign": Projections._campaign,
    "campaign.update": Projections._campaign_update,
    "campaign.endorse": Projections._campaign_endorse,
    "resource": Projections._resource,
    "speaker.offer": Projections._speaker_offer,
    "speaker.withdraw": Projections._speaker_withdraw,
    "directory.entry": Projections._directory_entry,
    "directory.withdraw": Projections._directory_withdraw,
}
