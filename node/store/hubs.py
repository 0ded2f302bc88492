"""Every hub this node has heard of, from its latest `hub.profile` (the `hubs` table).

Written by the hubs projection (node/projections/hubs.py) for every origin,
member of the network or not (a hub asking to join is shown by name too); read
by `hub_profiles`, the one place names, regions and addresses of hubs come from.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from crypto.nodeid import NodeId
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


async def hub_profiles(db: Database) -> dict[NodeId, HubInfo]:
    """Each hub's latest profile, by origin."""
    rows = await db.fetchall(
        "SELECT origin, name, url, region, area, description, lat, lon FROM hubs"
    )
    return {NodeId(r[0]): HubInfo(NodeId(r[0]), *r[1:]) for r in rows}


async def put_profile_txn(conn: aiosqlite.Connection, message: Message) -> None:
    """Keep `message` if it is its origin's latest profile (highest seq wins; the same
    seq again rewrites the row, so reading the log again fills in what an older copy lacks)."""
    body = message.body
    if not isinstance(body, HubProfile):
        return
    await conn.execute(
        "INSERT INTO hubs (origin, seq, name, url, region, area, description, lat, lon)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET"
        " seq = excluded.seq, name = excluded.name, url = excluded.url,"
        " region = excluded.region, area = excluded.area, description = excluded.description,"
        " lat = excluded.lat, lon = excluded.lon WHERE excluded.seq >= hubs.seq",
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
        ),
    )


async def forget_profiles_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM hubs")
