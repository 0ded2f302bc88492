"""The events table, kept up to date from the stored event messages.

Raw messages are the source of truth (STYLE.md, Storage); `events` holds the
latest version of each event and `search` its row, both worked out with the one
rule every node shares, `protocol.event_versions.latest_version` (only the
event's origin counts, the highest seq wins, a cancellation is final). So search
can never show an event the calendar shows as cancelled, whatever order an edit
and a cancellation were sent or arrived in.

The projection runner (node/projections/runner.py) applies the messages and
keeps the cursor; pages call `settle()` first, so what a page shows never lags
what the store holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiosqlite

from crypto.nodeid import NodeId
from node.events.drafts import zone_known
from node.projections.runner import Projection, ProjectionRunner
from node.store import search as search_index
from node.store.search import Visibility
from protocol.envelope import Message, parse_payload
from protocol.event_versions import EventState, latest_version
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate

KINDS = frozenset({"event", "event.update", "event.cancel"})


class EventProjection:
    def __init__(self, runner: ProjectionRunner) -> None:
        self._runner = runner
        # Raised after every commit that may have changed `hubs` or which hubs are
        # shown, so readers can keep the hub and region lists until it moves.
        self.hubs_version = 0
        # Raised after every commit that may have changed `events` (applied messages,
        # a rebuild, or a members-only event written by the organiser), so a reader
        # may keep what it built from the table while this stays the same.
        self.version = 0
        runner.add(Projection("events", KINDS, self._apply_txn, _reset_txn, committed=self.touched))

    @property
    def shows(self) -> Callable[[NodeId], bool]:
        """PROTOCOL.md §14.5: whose events and profiles are shown (the runner's roster)."""
        return self._runner.shows

    async def settle(self) -> None:
        """Apply every stored message this table has not yet seen."""
        await self._runner.caught_up()

    def touched(self) -> None:
        """Say that a row of `events` changed (applied messages, a members-only event)."""
        self.version += 1

    def hubs_touched(self) -> None:
        self.hubs_version += 1

    async def rebuild(self) -> None:
        """Forget the federated rows and read the whole log again (members-only rows stay)."""
        await self._runner.rebuild(["events"])

    async def _apply_txn(self, conn: aiosqlite.Connection, messages: list[Message]) -> None:
        for message in messages:
            body = message.body
            if isinstance(body, EventUpdate | EventCancel):
                # Kept whatever its origin: recorded, but latest_version applies only the
                # event's own origin's; one that arrives first waits here for its event.
                await conn.execute(
                    "INSERT OR IGNORE INTO event_versions (id, event, origin, seq)"
                    " VALUES (?, ?, ?, ?)",
                    (message.id, body.event, message.origin, message.seq),
                )
                await _refresh_txn(conn, body.event)
            elif isinstance(body, EventDetails):
                await _refresh_txn(conn, message.id, original=message)


async def _reset_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM events WHERE federated = 1")
    await conn.execute("DELETE FROM event_versions")
    await search_index.drop_kind_txn(conn, "event")


async def _refresh_txn(
    conn: aiosqlite.Connection, event_id: bytes, original: Message | None = None
) -> None:
    """Recompute one event's row and search entry from its original and every version."""
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
    if state is None:
        return
    await conn.execute(_UPSERT, _row(original, state))
    ref = original.id.hex()
    if state.cancelled:
        await search_index.drop_txn(conn, "event", ref)
        return
    d = state.details
    text = " ".join(x for x in (d.description, d.place, *d.speakers) if x)
    # A network-only event is for members of the network's hubs, not the public.
    visibility: Visibility = "public" if d.visibility == "public" else "members"
    await search_index.put_txn(conn, "event", ref, d.title, text, visibility)


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
