"""Reading events: one event, the network calendar with its filters, the archive.

Upcoming means not yet ended; past events stay in the table and are shown in
the archive. "Near me" measures from a point the user gives (or a hub's area
coordinates) to the event's coordinates, or to its hub's when it has none.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crypto.nodeid import NodeId
from node.events.drafts import TYPE_TITLES, local_time
from node.events.projection import EventProjection
from node.store.database import Database
from node.store.hubs import hub_profiles

PAGE_SIZE = 50
EARTH_KM = 6371.0088
_RAD = math.pi / 180 / 1_000_000  # millionths of a degree to radians


@dataclass(frozen=True, slots=True)
class EventView:
    id: bytes
    origin: str
    federated: bool
    sequence: int
    title: str
    description: str | None
    starts: int
    ends: int
    timezone: str
    type: str
    visibility: str
    place: str | None
    lat: int | None
    lon: int | None
    online_url: str | None
    capacity: int | None
    speakers: tuple[str, ...]
    cohosts: tuple[str, ...]
    cancelled: bool
    cancel_reason: str | None
    created_at: int
    updated_at: int
    hub_name: str | None
    hub_url: str | None
    hub_region: str | None
    going: int  # RSVPs and registrations on this node (only the organising hub has them)
    # Wall-clock start and end in the event's zone: worked out once here, since a page
    # shows each several times (a zone lookup and conversion every time adds up).
    local_start: datetime
    local_end: datetime
    distance_km: float | None = None

    @property
    def id_hex(self) -> str:
        return self.id.hex()

    @property
    def type_title(self) -> str:
        return TYPE_TITLES.get(self.type, self.type)

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.going)


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


@dataclass(frozen=True, slots=True)
class CalendarPage:
    events: list[EventView]
    more: bool
    regions: tuple[str, ...] = ()
    hubs: tuple[tuple[str, str], ...] = ()  # (node id, name)

    @property
    def region_choices(self) -> tuple[tuple[str, str], ...]:
        return tuple((r, r) for r in self.regions)


_SELECT = (
    "SELECT e.id, e.origin, e.federated, e.sequence, e.title, e.description, e.starts, e.ends,"
    " e.timezone, e.type, e.visibility, e.place, e.lat, e.lon, e.online_url, e.capacity,"
    " e.speakers, e.cohosts, e.cancelled, e.cancel_reason, e.created_at, e.updated_at,"
    " h.name, h.url, h.region,"
    " (SELECT count(*) FROM rsvps r WHERE r.event = e.id)"
    " + (SELECT count(*) FROM registrations g WHERE g.event = e.id)"
    " FROM events e LEFT JOIN hubs h ON h.origin = e.origin"
)


def _view(row: Any, distance: float | None = None) -> EventView:
    return EventView(
        id=bytes(row[0]),
        origin=row[1],
        federated=bool(row[2]),
        sequence=row[3],
        title=row[4],
        description=row[5],
        starts=row[6],
        ends=row[7],
        timezone=row[8],
        type=row[9],
        visibility=row[10],
        place=row[11],
        lat=row[12],
        lon=row[13],
        online_url=row[14],
        capacity=row[15],
        speakers=tuple(json.loads(row[16])),
        cohosts=tuple(json.loads(row[17])),
        cancelled=bool(row[18]),
        cancel_reason=row[19],
        created_at=row[20],
        updated_at=row[21],
        hub_name=row[22],
        hub_url=row[23],
        hub_region=row[24],
        going=row[25],
        local_start=local_time(row[6], row[8]),
        local_end=local_time(row[7], row[8]),
        distance_km=distance,
    )


def distance_km(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Great-circle (haversine) distance between two points in millionths of a degree."""
    lat1, lon1, lat2, lon2 = (math.radians(v / 1_000_000) for v in (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


class Calendar:
    def __init__(self, db: Database, projection: EventProjection) -> None:
        self._db = db
        self._projection = projection
        # (projection.hubs_version, regions, hubs): read again only when hubs changed.
        self._hub_lists: tuple[int, tuple[str, ...], tuple[tuple[str, str], ...]] | None = None

    async def _lists(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """The regions and hubs for the filters, kept until a hub profile or the roster
        changes. Only hubs shown (PROTOCOL.md §14.5) are offered: `hubs` holds every
        hub this node has heard of."""
        version = self._projection.hubs_version
        if self._hub_lists is None or self._hub_lists[0] != version:
            shown = [h for h in (await hub_profiles(self._db)).values() if self._shows(h.origin)]
            self._hub_lists = (
                version,
                tuple(sorted({h.region for h in shown if h.region is not None})),
                tuple((h.origin, h.name) for h in sorted(shown, key=lambda h: (h.name, h.origin))),
            )
        return self._hub_lists[1], self._hub_lists[2]

    def _shows(self, origin: str) -> bool:
        return self._projection.shows(NodeId(origin))

    async def get(self, event_id: bytes) -> EventView | None:
        await self._projection.settle()
        row = await self._db.fetchone(_SELECT + " WHERE e.id = ?", (event_id,))
        return _view(row) if row else None

    async def hub(self, origin: str) -> tuple[str, str, str | None, int | None, int | None] | None:
        """(name, url, region, lat, lon) from the origin's latest hub profile."""
        if not self._shows(origin):
            return None
        row = await self._db.fetchone(
            "SELECT name, url, region, lat, lon FROM hubs WHERE origin = ?", (origin,)
        )
        return tuple(row) if row else None

    async def page(self, query: CalendarQuery) -> CalendarPage:
        await self._projection.settle()
        where, args = self._conditions(query)
        clause = " WHERE " + " AND ".join(where)
        if query.near is None:
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
            events = await self._views([bytes(r[0]) for r in ids])
        else:
            events = await self._nearest(query, clause, args)
        regions, hubs = await self._lists()
        return CalendarPage(events[:PAGE_SIZE], len(events) > PAGE_SIZE, regions, hubs)

    @staticmethod
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

    async def _nearest(self, query: CalendarQuery, clause: str, args: list[Any]) -> list[EventView]:
        assert query.near is not None
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
        views = {v.id: v for v in await self._views([bytes(r[0]) for r in rows])}
        return [
            dataclasses.replace(views[i], distance_km=round(distance_km(query.near, (la, lo)), 1))
            for i, la, lo in ((bytes(r[0]), r[1], r[2]) for r in rows)
            if i in views
        ]

    async def _views(self, ids: list[bytes]) -> list[EventView]:
        """Those events in full, in the order given."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._db.fetchall(f"{_SELECT} WHERE e.id IN ({marks})", ids)
        by_id = {bytes(r[0]): r for r in rows}
        return [_view(by_id[i]) for i in ids if i in by_id]

    async def for_feed(
        self, since: int, audience: tuple[str, ...], origin: str | None = None, limit: int = 500
    ) -> list[EventView]:
        """Events for an iCalendar feed: those ending after `since` (seconds), soonest first."""
        await self._projection.settle()
        where = "e.ends >= ? AND e.visibility IN (" + ",".join("?" * len(audience)) + ")"
        args: list[Any] = [since, *audience]
        if origin is not None:
            where += " AND e.origin = ?"
            args.append(origin)
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE {where} ORDER BY e.starts LIMIT ?", (*args, limit)
        )
        return [_view(r) for r in rows]

    async def of_member(self, member_id: int, since: int) -> list[EventView]:
        """The events a member has said they will come to (for "my events")."""
        await self._projection.settle()
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE e.id IN (SELECT event FROM rsvps WHERE member_id = ?)"
            " AND e.ends >= ? ORDER BY e.starts",
            (member_id, since),
        )
        return [_view(r) for r in rows]
