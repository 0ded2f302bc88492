"""Every hub this node has heard of, from its latest `hub.profile` (the `hubs` table).

Written by the hubs projection (node/projections/hubs.py) for every origin,
member of the network or not (a hub asking to join is shown by name too); read
by `hub_profiles`, the one place names, regions and addresses of hubs come from.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from crypto.nodeid import NodeId
from node.onion import url_is_onion
from node.store.database import Database
from protocol.envelope import Message
from protocol.kinds.hub import HubProfile


@dataclass(frozen=True, slots=True)
class HubInfo:
    origin: NodeId
    name: str
    url: str
    region: str | None
    area: str | None
    description: str | None
    lat: int | None  # millionths of a degree
    lon: int | None
    meeting_place: str | None = None
    contact: str | None = None
    timezone: str | None = None


async def hub_profiles(db: Database) -> dict[NodeId, HubInfo]:
    """Each hub's latest profile, by origin (a copy the caller may change). Many pages
    name hubs, and only a stored profile changes the answer, so it is read once for
    each state of the database (`Database.kept`)."""
    return dict(await db.kept("hub_profiles", lambda: _hub_profiles(db)))


async def _hub_profiles(db: Database) -> dict[NodeId, HubInfo]:
    rows = await db.fetchall(
        "SELECT origin, name, url, region, area, description, lat, lon, meeting_place,"
        " contact, timezone FROM hubs"
    )
    return {NodeId(r[0]): HubInfo(NodeId(r[0]), *r[1:]) for r in rows}


async def put_profile_txn(conn: aiosqlite.Connection, message: Message) -> None:
    """Keep `message` if it is its origin's latest profile (highest seq wins; the same
    seq again rewrites the row, so reading the log again fills in what an older copy lacks).

    PROTOCOL.md §5.1: when a newer profile gives another `url` than the one before it,
    a peer that is this origin is reached at the new address from now on. The message
    is the origin's own, verified against its key, so no hub can move another."""
    body = message.body
    if not isinstance(body, HubProfile):
        return
    async with conn.execute(
        "SELECT seq, url, name FROM hubs WHERE origin = ?", (message.origin,)
    ) as cursor:
        before = await cursor.fetchone()
    await conn.execute(
        "INSERT INTO hubs (origin, seq, name, url, region, area, description, lat, lon,"
        " meeting_place, contact, timezone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (origin) DO UPDATE SET"
        " seq = excluded.seq, name = excluded.name, url = excluded.url,"
        " region = excluded.region, area = excluded.area, description = excluded.description,"
        " lat = excluded.lat, lon = excluded.lon, meeting_place = excluded.meeting_place,"
        " contact = excluded.contact, timezone = excluded.timezone"
        " WHERE excluded.seq >= hubs.seq",
        (
            message.origin,
            message.seq,
            body.name,
            body.url,
            body.region,
            body.area,
            body.description,
            body.lat,
            body.lon,
            body.meeting_place,
            body.contact,
            body.timezone,
        ),
    )
    if before is None or message.seq <= before[0]:
        return
    if body.url != before[1] and not await _held_at_onion_txn(conn, message.origin, body.url):
        # Try the new address at once rather than after the old one's back-off.
        await conn.execute(
            "UPDATE peers SET url = ?, name = ?, failures = 0, next_attempt = 0 WHERE node_id = ?",
            (body.url.rstrip("/"), body.name, message.origin),
        )
    elif body.name != before[2]:
        await conn.execute(
            "UPDATE peers SET name = ? WHERE node_id = ?", (body.name, message.origin)
        )


async def _held_at_onion_txn(conn: aiosqlite.Connection, origin: str, new_url: str) -> bool:
    """Whether this peer is reached at an onion address that a new public url should not
    replace (PROTOCOL.md §12.1: the onion address was given at peering; the profile
    carries the public one). A new onion url does replace it."""
    async with conn.execute("SELECT url FROM peers WHERE node_id = ?", (origin,)) as cursor:
        row = await cursor.fetchone()
    return row is not None and url_is_onion(row[0]) and not url_is_onion(new_url)


async def forget_profiles_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM hubs")
