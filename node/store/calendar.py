"""SQL for reading events: one event, the network calendar with its filters, feeds.

node/events/calendar.py turns the rows into what pages show; the queries, their
indexes and the distance ordering are here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from node.store.database import Database

PAGE_SIZE = 50
EARTH_KM = 6371.0088
_RAD = math.pi / 180 / 1_000_000  # millionths of a degree to radians


@dataclass(frozen=True, slots=True)
class CalendarQuery:
    """What the calendar page asks for; None means any."""

    now: int  # seconds
    audience: tuple[str, ...] = ("public",)  # visibilities the viewer may see
    past: bool = False
    region: str | None = None
    type: str | None = None
    hub: str | None = None
    from_time: int | None = None  # seconds: starts at or after
    to_time: int | None = None  # seconds: starts before
    near: tuple[int, int] | None = None  # (lat, lon) in millionths of a degree
    radius_km: float = 50.0
    page: int = 0


_SELECT = (
    "SELECT e.id, e.origin, e.federated, e.sequence, e.title, e.description, e.starts, e.ends,"
    " e.timezone, e.type, e.visibility, e.place, e.lat, e.lon, e.online_url, e.capacity,"
    " e.speakers, e.cohosts, e.cancelled, e.cancel_reason, e.created_at, e.updated_at,"
    " h.name, h.url, h.region,"
    " (SELECT count(*) FROM rsvps r WHERE r.event = e.id)"
    " + (SELECT count(*) FROM registrations g WHERE g.event = e.id)"
    " FROM events e LEFT JOIN hubs h ON h.origin = e.origin"
)


class CalendarStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def event(self, event_id: bytes) -> Any | None:
        return await self._db.fetchone(_SELECT + " WHERE e.id = ?", (event_id,))

    async def hub(self, origin: str) -> tuple[str, str, str | None, int | None, int | None] | None:
        row = await self._db.fetchone(
            "SELECT name, url, region, lat, lon FROM hubs WHERE origin = ?", (origin,)
        )
        return tuple(row) if row else None

    async def page_ids(self, query: CalendarQuery) -> list[bytes]:
        """The ids of the page's events (and one more, if there are more), in order."""
        where, args = _conditions(query)
        # Choose the page's ids first, then read those rows in full: the full row
        # (with its counts) would otherwise be built for every match before sorting.
        # Walking the starts index in order lets LIMIT stop early; events under
        # way (started, not ended) come first, found through the ends index.
        filters = " AND ".join(where[1:])
        base = "SELECT e.id, e.starts, e.rowid AS r FROM events e"
        base += " LEFT JOIN hubs h ON h.origin = e.origin WHERE "
        if query.past:
            sql = (
                f"{base}e.starts < ? AND +e.ends < ? AND {filters}"
                " ORDER BY e.starts DESC, e.rowid DESC LIMIT ? OFFSET ?"
            )
            ids = await self._db.fetchall(
                sql, (query.now, query.now, *args[1:], PAGE_SIZE + 1, query.page * PAGE_SIZE)
            )
        else:
            wanted = (query.page + 1) * PAGE_SIZE + 1
            under_way = await self._db.fetchall(
                f"{base}e.ends >= ? AND e.starts < ? AND {filters} ORDER BY e.starts, e.rowid",
                (query.now, query.now, *args[1:]),
            )
            coming = await self._db.fetchall(
                f"{base}e.starts >= ? AND {filters} ORDER BY e.starts, e.rowid LIMIT ?",
                (query.now, *args[1:], wanted),
            )
            ids = [*under_way, *coming][query.page * PAGE_SIZE : wanted]
        return [bytes(r[0]) for r in ids]

    async def nearest(self, query: CalendarQuery) -> list[tuple[bytes, int, int]]:
        """(id, lat, lon) of the page's events nearest `query.near`, nearest first."""
        assert query.near is not None
        where, args = _conditions(query)
        clause = " WHERE " + " AND ".join(where)
        lat, lon = query.near
        # A box around the point narrows the rows; SQLite then orders what is left by
        # the haversine term, hav = sin²(dlat/2) + cos lat1 cos lat2 sin²(dlon/2) (in
        # the form (1 - cos x) / 2), which grows with distance, and stops at the page.
        # Only the page's events have their distance worked out in Python.
        dlat = int(query.radius_km / 111.2 * 1_000_000) + 1
        coslat = max(0.01, math.cos(math.radians(lat / 1_000_000)))
        dlon = min(360_000_000, int(query.radius_km / (111.2 * coslat) * 1_000_000) + 1)
        lat_r, lon_r = math.radians(lat / 1_000_000), math.radians(lon / 1_000_000)
        most = (1 - math.cos(min(math.pi, query.radius_km / EARTH_KM))) / 2
        rows = await self._db.fetchall(
            "SELECT id, la, lo FROM (SELECT e.id, coalesce(e.lat, h.lat) AS la,"
            " coalesce(e.lon, h.lon) AS lo FROM events e"
            f" LEFT JOIN hubs h ON h.origin = e.origin{clause}"
            " AND coalesce(e.lat, h.lat) BETWEEN ? AND ?"
            " AND coalesce(e.lon, h.lon) BETWEEN ? AND ?)"
            " WHERE (1 - cos(la * ? - ?)) / 2 + ? * cos(la * ?) * (1 - cos(lo * ? - ?)) / 2 <= ?"
            " ORDER BY (1 - cos(la * ? - ?)) / 2 + ? * cos(la * ?) * (1 - cos(lo * ? - ?)) / 2,"
            " id LIMIT ? OFFSET ?",
            (
                *args,
                lat - dlat, lat + dlat, lon - dlon, lon + dlon,
                *(_RAD, lat_r, math.cos(lat_r), _RAD, _RAD, lon_r), most,
                *(_RAD, lat_r, math.cos(lat_r), _RAD, _RAD, lon_r),
                PAGE_SIZE + 1, query.page * PAGE_SIZE,
            ),
        )  # fmt: skip
        return [(bytes(r[0]), r[1], r[2]) for r in rows]

    async def events(self, ids: list[bytes]) -> list[Any]:
        """Those events' rows, in the order given."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._db.fetchall(f"{_SELECT} WHERE e.id IN ({marks})", ids)
        by_id = {bytes(r[0]): r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def for_feed(
        self, since: int, audience: tuple[str, ...], origin: str | None, limit: int
    ) -> list[Any]:
        where = "e.ends >= ? AND e.visibility IN (" + ",".join("?" * len(audience)) + ")"
        args: list[Any] = [since, *audience]
        if origin is not None:
            where += " AND e.origin = ?"
            args.append(origin)
        return await self._db.fetchall(
            f"{_SELECT} WHERE {where} ORDER BY e.starts LIMIT ?", (*args, limit)
        )

    async def of_member(self, member_id: int, since: int) -> list[Any]:
        return await self._db.fetchall(
            f"{_SELECT} WHERE e.id IN (SELECT event FROM rsvps WHERE member_id = ?)"
            " AND e.ends >= ? ORDER BY e.starts",
            (member_id, since),
        )


def _conditions(query: CalendarQuery) -> tuple[list[str], list[Any]]:
    where = ["e.ends < ?" if query.past else "e.ends >= ?"]
    args: list[Any] = [query.now]
    where.append(f"e.visibility IN ({','.join('?' * len(query.audience))})")
    args.extend(query.audience)
    for column, value in (
        ("h.region", query.region),
        ("e.type", query.type),
        ("e.origin", query.hub),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if query.from_time is not None:
        where.append("e.starts >= ?")
        args.append(query.from_time)
    if query.to_time is not None:
        where.append("e.starts < ?")
        args.append(query.to_time)
    return where, args
