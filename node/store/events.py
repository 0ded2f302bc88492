"""SQL for the `events` table and its `event_versions`: written by the events
projection (node/events/projection.py applies the one rule every node shares) and,
for members-only events that never leave this node, by the organiser directly.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.database import Database
from protocol.envelope import Message, parse_payload
from protocol.event_versions import EventState
from protocol.kinds.event import EventCancel

# Run first inside a write transaction; raises to refuse (and roll back) the write.
TxnCheck = Callable[[aiosqlite.Connection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Standing:
    """What decides whether an organiser may still change an event."""

    origin: str
    federated: bool
    cancelled: bool


async def standing_txn(conn: aiosqlite.Connection, event_id: bytes) -> Standing | None:
    """The event's origin and whether it is federated and cancelled, counting a
    cancellation stored in the log that the projection has not applied yet."""
    async with conn.execute(
        "SELECT origin, federated, cancelled FROM events WHERE id = ?", (event_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    standing = Standing(str(row[0]), bool(row[1]), bool(row[2]))
    if standing.federated and not standing.cancelled:
        async with conn.execute(
            "SELECT payload, signature FROM messages WHERE origin = ? AND kind = 'event.cancel'",
            (standing.origin,),
        ) as cursor:
            cancels = [parse_payload(p, s) for p, s in await cursor.fetchall()]
        if any(isinstance(m.body, EventCancel) and m.body.event == event_id for m in cancels):
            return Standing(standing.origin, True, True)
    return standing


class EventsStore:
    """The organiser's writes of members-only events."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_members_event(
        self, event_id: bytes, origin: str, columns: tuple[object, ...], now: int
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO events (id, origin, federated, version_seq, sequence, title,"
                " description, starts, ends, timezone, type, visibility, place, lat, lon,"
                " online_url, capacity, speakers, cohosts, created_at, updated_at)"
                " VALUES (?, ?, 0, 0, 0, ?, ?, ?, ?, ?, ?, 'members',"
                " ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (event_id, origin, *columns, now, now),
            )

    async def edit_members_event(
        self, event_id: bytes, columns: tuple[object, ...], now: int, check: TxnCheck
    ) -> None:
        async with self._db.write() as conn:
            await check(conn)
            await conn.execute(
                "UPDATE events SET title = ?, description = ?, starts = ?, ends = ?,"
                " timezone = ?, type = ?, place = ?, lat = ?, lon = ?, online_url = ?,"
                " capacity = ?, speakers = ?, cohosts = ?, sequence = sequence + 1,"
                " updated_at = ? WHERE id = ? AND federated = 0",
                (*columns, now, event_id),
            )

    async def cancel_members_event(
        self, event_id: bytes, reason: str | None, now: int, check: TxnCheck
    ) -> None:
        async with self._db.write() as conn:
            await check(conn)
            await conn.execute(
                "UPDATE events SET cancelled = 1, cancel_reason = ?, sequence = sequence + 1,"
                " updated_at = ? WHERE id = ? AND federated = 0",
                (reason, now, event_id),
            )


# -- the events projection -------------------------------------------------------------


async def add_versions_txn(
    conn: aiosqlite.Connection, versions: list[tuple[bytes, bytes, str, int]]
) -> None:
    """Record (version id, event id, origin, seq) of many updates and cancellations."""
    await conn.executemany(
        "INSERT OR IGNORE INTO event_versions (id, event, origin, seq) VALUES (?, ?, ?, ?)",
        versions,
    )


async def originals_txn(conn: aiosqlite.Connection, event_ids: list[bytes]) -> dict[bytes, Message]:
    """The `event` messages of the federated events held among `event_ids`."""
    found: dict[bytes, Message] = {}
    for part in _chunks(event_ids):
        async with conn.execute(
            "SELECT m.id, m.payload, m.signature FROM messages m JOIN events e ON e.id = m.id"
            f" WHERE e.federated = 1 AND e.id IN ({','.join('?' * len(part))})",
            part,
        ) as cursor:
            found.update({bytes(i): parse_payload(p, s) for i, p, s in await cursor.fetchall()})
    return found


async def versions_of_txn(
    conn: aiosqlite.Connection, event_ids: list[bytes]
) -> dict[bytes, list[Message]]:
    """Every `event.update` and `event.cancel` held naming each of `event_ids`, from any
    origin (the caller keeps the event's own origin's: protocol/event_versions.py)."""
    found: dict[bytes, list[Message]] = {}
    for part in _chunks(event_ids):
        async with conn.execute(
            "SELECT v.event, m.payload, m.signature FROM event_versions v"
            f" JOIN messages m ON m.id = v.id WHERE v.event IN ({','.join('?' * len(part))})",
            part,
        ) as cursor:
            for event, payload, signature in await cursor.fetchall():
                found.setdefault(bytes(event), []).append(parse_payload(payload, signature))
    return found


async def put_events_txn(
    conn: aiosqlite.Connection, states: list[tuple[Message, EventState]]
) -> None:
    await conn.executemany(_UPSERT, [_row(original, state) for original, state in states])


def _chunks(ids: list[bytes], size: int = 500) -> list[list[bytes]]:
    # Bound parameters per statement stay well under SQLite's limit.
    return [ids[i : i + size] for i in range(0, len(ids), size)]


async def forget_federated_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM events WHERE federated = 1")
    await conn.execute("DELETE FROM event_versions")


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
