"""Events: created, updated (full replacement) and cancelled by the hub that made them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from protocol.kinds.hub import Latitude, Longitude
from protocol.schema import Items, MessageRef, NodeIdText, Range, Text, Timestamp, Url

EventType = Literal["public-meeting", "training", "social", "action", "reading-group", "conference"]
# Members-only events never federate, so the wire knows only these two.
Visibility = Literal["public", "network"]


def _times_in_order(body: EventDetails) -> str | None:
    return None if body.ends >= body.starts else "ends must not be before starts"


def _coordinates_paired(body: EventDetails) -> str | None:
    return (
        None if (body.lat is None) == (body.lon is None) else "lat and lon must be given together"
    )


def _has_place(body: EventDetails) -> str | None:
    return None if body.place or body.online_url else "give a place, an online link or both"


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDetails:
    """`event`: everything a hub says about an event."""

    title: Annotated[str, Text(200)]
    starts: Timestamp
    ends: Timestamp
    timezone: Annotated[str, Text(64, 1, r"[A-Za-z0-9_+\-/]+")]  # IANA name
    type: EventType
    visibility: Visibility
    description: Annotated[str, Text(20000)] | None = None  # Markdown, cleaned on display
    place: Annotated[str, Text(300)] | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    online_url: Url | None = None
    capacity: Annotated[int, Range(1, 1_000_000)] | None = None
    speakers: Annotated[tuple[Annotated[str, Text(100)], ...], Items(20)] = ()
    cohosts: Annotated[tuple[NodeIdText, ...], Items(20)] = ()

    __checks__: ClassVar = (_times_in_order, _has_place, _coordinates_paired)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventUpdate(EventDetails):
    """`event.update`: a complete new version of an event this origin created."""

    event: MessageRef  # id of the original `event` message


@dataclass(frozen=True, slots=True)
class EventCancel:
    """`event.cancel`: the event will not happen; nodes keep showing it as cancelled."""

    event: MessageRef
    reason: Annotated[str, Text(1000)] | None = None


# A hub counts its own members coming to an event; more than this is not believable.
MAX_ATTENDANCE = 100_000


@dataclass(frozen=True, slots=True)
class EventAttendance:
    """`event.attendance`: how many people this origin has down as coming to an event.

    Only a count: who they are stays on the origin. The latest (highest seq) count of
    each origin replaces its earlier ones.
    """

    event: MessageRef  # id of the original `event` message
    count: Annotated[int, Range(0, MAX_ATTENDANCE)]
