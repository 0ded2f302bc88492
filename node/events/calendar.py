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
from node.store.calendar import EARTH_KM, PAGE_SIZE, CalendarStore
from node.store.calendar import CalendarQuery as CalendarQuery  # what pages ask for
from node.store.database import Database
from node.store.hubs import hub_profiles


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
class CalendarPage:
    events: list[EventView]
    more: bool
    regions: tuple[str, ...] = ()
    hubs: tuple[tuple[str, str], ...] = ()  # (node id, name)
    places: tuple[str, ...] = ()  # towns and hub names "near" can be given as

    @property
    def region_choices(self) -> tuple[tuple[str, str], ...]:
        return tuple((r, r) for r in self.regions)


@dataclass(frozen=True, slots=True)
class _HubLists:
    version: int
    regions: tuple[str, ...]
    hubs: tuple[tuple[str, str], ...]
    places: tuple[str, ...]
    points: dict[str, tuple[int, int]]


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
    def __init__(self, db: Database, store: CalendarStore, projection: EventProjection) -> None:
        self._db = db  # for hub profiles
        self._store = store
        self._projection = projection
        # Read again only when a hub profile or the roster changed (hubs_version).
        self._hub_lists: _HubLists | None = None

    async def _lists(self) -> _HubLists:
        """The regions, hubs and places for the filters, kept until a hub profile or the
        roster changes. Only hubs shown (PROTOCOL.md §14.5) are offered: `hubs` holds
        every hub this node has heard of."""
        version = self._projection.hubs_version
        if self._hub_lists is None or self._hub_lists.version != version:
            shown = sorted(
                (h for h in (await hub_profiles(self._db)).values() if self._shows(h.origin)),
                key=lambda h: (h.name, h.origin),
            )
            # "Near" by a hub's name, or by the town or region it serves: the first hub
            # (by name) that says where it is stands for its town.
            points: dict[str, tuple[int, int]] = {}
            for h in shown:
                if h.lat is None or h.lon is None:
                    continue
                for name in (h.name, h.area, h.region):
                    if name:
                        points.setdefault(name.strip().casefold(), (h.lat, h.lon))
            names = {n for h in shown if h.lat is not None for n in (h.name, h.area, h.region) if n}
            self._hub_lists = _HubLists(
                version,
                tuple(sorted({h.region for h in shown if h.region is not None})),
                tuple((h.origin, h.name) for h in shown),
                tuple(sorted(names, key=str.casefold)),
                points,
            )
        return self._hub_lists

    async def place(self, name: str) -> tuple[int, int] | None:
        """Where the town, region or hub called `name` is, from the hubs' profiles."""
        return (await self._lists()).points.get(name.strip().casefold())

    def _shows(self, origin: str) -> bool:
        return self._projection.shows(NodeId(origin))

    async def get(self, event_id: bytes) -> EventView | None:
        await self._projection.settle()
        row = await self._store.event(event_id)
        return _view(row) if row else None

    async def hub(self, origin: str) -> tuple[str, str, str | None, int | None, int | None] | None:
        """(name, url, region, lat, lon) from the origin's latest hub profile."""
        if not self._shows(origin):
            return None
        return await self._store.hub(origin)

    async def page(self, query: CalendarQuery) -> CalendarPage:
        await self._projection.settle()
        if query.near is None:
            events = await self._views(await self._store.page_ids(query))
        else:
            events = await self._nearest(query)
        lists = await self._lists()
        return CalendarPage(
            events[:PAGE_SIZE], len(events) > PAGE_SIZE, lists.regions, lists.hubs, lists.places
        )

    async def _nearest(self, query: CalendarQuery) -> list[EventView]:
        assert query.near is not None
        rows = await self._store.nearest(query)
        views = {v.id: v for v in await self._views([i for i, _, _ in rows])}
        return [
            dataclasses.replace(views[i], distance_km=round(distance_km(query.near, (la, lo)), 1))
            for i, la, lo in rows
            if i in views
        ]

    async def _views(self, ids: list[bytes]) -> list[EventView]:
        """Those events in full, in the order given."""
        return [_view(r) for r in await self._store.events(ids)]

    async def for_feed(
        self, since: int, audience: tuple[str, ...], origin: str | None = None, limit: int = 500
    ) -> list[EventView]:
        """Events for an iCalendar feed: those ending after `since` (seconds), soonest first."""
        await self._projection.settle()
        return [_view(r) for r in await self._store.for_feed(since, audience, origin, limit)]

    async def of_member(self, member_id: int, since: int) -> list[EventView]:
        """The events a member has said they will come to (for "my events")."""
        await self._projection.settle()
        return [_view(r) for r in await self._store.of_member(member_id, since)]
