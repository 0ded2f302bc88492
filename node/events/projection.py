"""The events table, kept up to date from the stored event messages.

Raw messages are the source of truth (STYLE.md, Storage); `events` holds the
latest version of each event (protocol.event_versions decides which) and
`calendar_hubs` each origin's latest hub profile. `event_projection` records how
far through the messages table (by rowid) this has read, so a message stored
while the node was down, by another process, or before this table existed is
applied on the next catch-up, and an empty table is rebuilt from the whole log.

`MessageStore.on_stored` wakes a catch-up after every commit that stored
messages, own or received; pages call `settle()` first, so what a page shows
never lags what the store holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiosqlite

from crypto.nodeid import NodeId
from node.events.drafts import zone_known
from node.store.database import Database
from node.store.messages import MessageStore
from protocol.envelope import Message, parse_payload
from protocol.event_versions import EventState, latest_version
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate
from protocol.kinds.hub import HubProfile

KINDS = ("event", "event.update", "event.cancel", "hub.profile")
_BATCH = 1000


class EventProjection:
    def __init__(self, db: Database, messages: MessageStore) -> None:
        self._db = db
        self._dirty = True  # nothing is known about the table until the first catch-up
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        # Raised after every commit that may have changed `calendar_hubs`, so readers
        # can keep the hub and region lists until it moves (they change rarely).
        self.hubs_version = 0
        self._hubs_touched = False
        # Raised after every commit that may have changed `events` (a catch-up, a
        # rebuild, or a members-only event written by the organiser), so a reader may
        # keep what it built from the table while this stays the same.
        self.version = 0
        # PROTOCOL.md §14.5: which hubs' events and profiles are shown (node.py sets it
        # to this hub and the network's members); a change of roster rebuilds the table.
        self.shows: Callable[[NodeId], bool] = lambda origin: True
        messages.on_stored.append(self._stored)

    def _stored(self, stored: list[Message]) -> None:
        if not any(m.kind in KINDS for m in stored):
            return
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.settle())

    async def settle(self) -> None:
        """Apply every stored message this table has not yet seen."""
        if not self._dirty and not self._lock.locked():
            return
        # A catch-up under way may be applying the very message asked about: wait for it.
        async with self._lock:
            while self._dirty:
                self._dirty = False
                try:
                    await self._catch_up()
                except BaseException:
                    self._dirty = True  # try again on the next read; nothing half-applied
                    raise

    def touched(self) -> None:
        """Say that a row of `events` changed outside the log (a members-only event)."""
        self.version += 1

    async def close(self) -> None:
        if self._task is not None:
            await self._task

    async def rebuild(self) -> None:
        """Forget the federated rows and read the whole log again (members-only rows stay)."""
        async with self._lock:
            async with self._db.write() as conn:
                await conn.execute("DELETE FROM events WHERE federated = 1")
                await conn.execute("DELETE FROM event_versions")
                await conn.execute("DELETE FROM calendar_hubs")
                await conn.execute("DELETE FROM event_projection")
            self.hubs_version += 1
            self.version += 1
            await self._catch_up()

    async def _catch_up(self) -> None:
        while True:
            async with self._db.write() as conn:
                done = await self._catch_up_batch_txn(conn)
            self.version += 1
            if self._hubs_touched:
                self._hubs_touched = False
                self.hubs_version += 1
            if done:
                return

    async def _catch_up_batch_txn(self, conn: aiosqlite.Connection) -> bool:
        async with conn.execute("SELECT last_rowid FROM event_projection WHERE id = 1") as cursor:
            row = await cursor.fetchone()
        last = row[0] if row else 0
        marks = ",".join("?" * len(KINDS))
        async with conn.execute(
            f"SELECT rowid, payload, signature FROM messages WHERE rowid > ? AND kind IN ({marks})"
            " ORDER BY rowid LIMIT ?",
            (last, *KINDS, _BATCH),
        ) as cursor:
            rows = list(await cursor.fetchall())
        for _, payload, signature in rows:
            await self._apply_txn(conn, parse_payload(payload, signature))
        if len(rows) == _BATCH:
            upto = rows[-1][0]
        else:
            async with conn.execute("SELECT coalesce(max(rowid), 0) FROM messages") as cursor:
                top = await cursor.fetchone()
            upto = max(last, top[0] if top else 0)
        await conn.execute(
            "INSERT INTO event_projection (id, last_rowid) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET last_rowid = excluded.last_rowid",
            (upto,),
        )
        return len(rows) < _BATCH

    async def _apply_txn(self, conn: aiosqlite.Connection, message: Message) -> None:
        if not self.shows(message.origin):
            return
        body = message.body
        if isinstance(body, HubProfile):
            self._hubs_touched = True
            await conn.execute(
                "INSERT INTO calendar_hubs (origin, seq, name, url, region, lat, lon)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET"
                " seq = excluded.seq, name = excluded.name, url = excluded.url,"
                " region = excluded.region, lat = excluded.lat, lon = excluded.lon"
                " WHERE excluded.seq > calendar_hubs.seq",
                (message.origin, message.seq, body.name, body.url, body.region, body.lat, body.lon),
            )
        elif isinstance(body, EventUpdate | EventCancel):
            # Kept whatever its origin: recorded, but latest_version applies only the
            # event's own origin's; one that arrives first waits here for its event.
            await conn.execute(
                "INSERT OR IGNORE INTO event_versions (id, event, origin, seq) VALUES (?, ?, ?, ?)",
                (message.id, body.event, message.origin, message.seq),
            )
            await self._refresh_txn(conn, body.event)
        elif isinstance(body, EventDetails):
            await self._refresh_txn(conn, message.id, original=message)

    async def _refresh_txn(
        self, conn: aiosqlite.Connection, event_id: bytes, original: Message | None = None
    ) -> None:
        """Recompute one event's row from its original and every version citing it."""
        if original is None:
            async with conn.execute(
                "SELECT m.payload, m.signature FROM messages m JOIN events e ON e.id = m.id"
                " WHERE e.id = ? AND e.federated = 1",
                (event_id,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return  # the event has not arrived (or cannot be shown): wait
            original = parse_payload(row[0], row[1])
        async with conn.execute(
            "SELECT m.payload, m.signature FROM event_versions v JOIN messages m ON m.id = v.id"
            " WHERE v.event = ? AND v.origin = ?",
            (event_id, original.origin),
        ) as cursor:
            followers = [parse_payload(p, s) for p, s in await cursor.fetchall()]
        state = latest_version(original, followers, zone_known)
        if state is not None:
            await conn.execute(_UPSERT, _row(original, state))


def _row(original: Message, state: EventState) -> tuple[Any, ...]:
    d = state.details
    return (
        original.id,
        original.origin,
        state.version_seq,
        state.sequence,
        d.title,
        d.description,
        d.starts,
        d.ends,
        d.timezone,
        d.type,
        d.visibility,
        d.place,
        d.lat,
        d.lon,
        d.online_url,
        d.capacity,
        json.dumps(list(d.speakers)),
        json.dumps(list(d.cohosts)),
        int(state.cancelled),
        state.cancel_reason,
        original.created_at,
        state.updated_at,
    )


_COLUMNS = (
    "id, origin, version_seq, sequence, title, description, starts, ends, timezone, type,"
    " visibility, place, lat, lon, online_url, capacity, speakers, cohosts, cancelled,"
    " cancel_reason, created_at, updated_at"
)
_UPSERT = (
    f"INSERT INTO events (federated, {_COLUMNS}) VALUES (1, {','.join('?' * 22)})"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _COLUMNS.split(",")[2:])
)
