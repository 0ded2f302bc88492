"""An organiser's event form, checked and turned into an event's details.

Times are entered as a local date and time in the event's IANA time zone and
stored as UTC seconds (PROTOCOL.md §5.3). Every refusal says what to fix.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crypto.errors import BadNodeId
from crypto.nodeid import parse_node_id
from node.digits import is_digits
from node.errors import NodeError, NotAllowed, NotFound
from node.wording import Term
from protocol.errors import SchemaViolation
from protocol.kinds.event import EventDetails, EventType
from protocol.schema import check_body
from protocol.visibility import VISIBILITIES as RULE_VISIBILITIES

TYPE_TITLES: dict[str, str] = {
    "public-meeting": "Public meeting",
    "training": "Training",
    "social": "Social",
    "action": "Action or picket",
    "reading-group": "Reading group",
    "conference": "Conference",
}
assert set(TYPE_TITLES) == set(get_args(EventType))
VISIBILITIES = {
    "public": "Public: anyone may see it",
    "network": "Network: members of the network's hubs",
    "members": "Members only: this hub's members; never sent to other hubs",
}
assert tuple(VISIBILITIES) == RULE_VISIBILITIES


class EventError(NodeError):
    """Input that cannot make an event, with what to fix."""


class EventNotFound(EventError, NotFound):
    """No event with that id."""


class EventNotAllowed(EventError, NotAllowed):
    """A member whose roles do not grant what they asked to do (permissions.require)."""


@functools.cache
def zone(name: str) -> ZoneInfo | None:
    """The time zone of that IANA name, or None if this node's zone database lacks it."""
    if not name or len(name) > 64 or name.startswith("/") or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone_known(name: str) -> bool:
    return zone(name) is not None


def local_time(seconds: int, zone_name: str) -> datetime:
    """A UTC instant as a wall-clock time in the zone (UTC if the zone is unknown)."""
    return datetime.fromtimestamp(seconds, zone(zone_name) or UTC)


def to_utc_seconds(day: str, clock_time: str, zone_name: str, label: str) -> int:
    """`day` (YYYY-MM-DD) and `clock_time` (HH:MM) in the zone, as UTC seconds."""
    tz = zone(zone_name)
    if tz is None:
        raise EventError(
            "There is no time zone called %(zone)s; use a name such as Europe/London.",
            zone=repr(zone_name),
        )
    try:
        local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock_time))
    except ValueError:
        raise EventError(
            "Give %(what)s as a date (YYYY-MM-DD) and a time (HH:MM).", what=label
        ) from None
    aware = local.replace(tzinfo=tz)
    # A time skipped when the clocks go forward does not exist: say so, don't guess.
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise EventError(
            "%(moment)s does not exist in %(zone)s (the clocks change then); choose another"
            " time for %(what)s.",
            moment=f"{day} {clock_time}",
            zone=zone_name,
            what=label,
        )
    return int(aware.timestamp())


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _coordinate(text: str | None, label: str, limit: int) -> int | None:
    if text is None:
        return None
    try:
        degrees = Decimal(text)
    except InvalidOperation:
        raise EventError(
            "%(what)s must be a number of degrees, such as 51.5074.", what=label
        ) from None
    if not degrees.is_finite() or abs(degrees) > limit:
        raise EventError(
            "%(what)s must be between -%(limit)s and %(limit)s degrees.", what=label, limit=limit
        )
    return int((degrees * 1_000_000).to_integral_value())


def check_link(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", url):
        raise EventError("The online link must be a web address starting http:// or https://.")
    return url


@dataclass(frozen=True, slots=True)
class Draft:
    """A checked event: its details, and who may see it (`members` never federates)."""

    details: EventDetails
    visibility: str


def parse_form(form: Mapping[str, str]) -> Draft:
    """The organiser's form as a Draft, or EventError saying what is wrong."""
    title = _text(form, "title")
    if title is None:
        raise EventError("Give the event a title.")
    zone_name = (_text(form, "timezone") or "").strip()
    if zone(zone_name) is None:
        raise EventError(
            "There is no time zone called %(zone)s; use a name such as Europe/London.",
            zone=repr(zone_name),
        )
    starts = to_utc_seconds(
        form.get("start_date", ""), form.get("start_time", ""), zone_name, Term("the start")
    )
    ends = to_utc_seconds(
        form.get("end_date", "") or form.get("start_date", ""),
        form.get("end_time", ""),
        zone_name,
        Term("the end"),
    )
    if ends < starts:
        raise EventError("The event ends before it starts.")
    kind = form.get("type", "")
    if kind not in TYPE_TITLES:
        raise EventError("Choose what kind of event this is.")
    visibility = form.get("visibility", "")
    if visibility not in VISIBILITIES:
        raise EventError("Choose who may see the event.")
    place, link = _text(form, "place"), _text(form, "online_url")
    if link is not None:
        check_link(link)
    if place is None and link is None:
        raise EventError("Give a place, an online link, or both.")
    lat = _coordinate(_text(form, "lat"), Term("The latitude"), 90)
    lon = _coordinate(_text(form, "lon"), Term("The longitude"), 180)
    if (lat is None) != (lon is None):
        raise EventError("Give both latitude and longitude, or neither.")
    capacity_text = _text(form, "capacity")
    capacity = None
    if capacity_text is not None:
        if not is_digits(capacity_text) or not 1 <= int(capacity_text) <= 1_000_000:
            raise EventError("Capacity must be a whole number of places, at least 1.")
        capacity = int(capacity_text)
    speakers = tuple(s.strip() for s in form.get("speakers", "").splitlines() if s.strip())
    cohosts = []
    for line in form.get("cohosts", "").split():
        try:
            cohosts.append(str(parse_node_id(line)))
        except BadNodeId:
            raise EventError("%(text)s is not a hub's node id.", text=repr(line[:60])) from None
    details = EventDetails(
        title=title,
        starts=starts,
        ends=ends,
        timezone=zone_name,
        type=kind,  # type: ignore[arg-type]  # checked against TYPE_TITLES above
        # Members-only events never become messages; the wire value is a placeholder.
        visibility="network" if visibility == "members" else visibility,  # type: ignore[arg-type]
        description=_text(form, "description"),
        place=place,
        lat=lat,
        lon=lon,
        online_url=link,
        capacity=capacity,
        speakers=speakers,
        cohosts=tuple(dict.fromkeys(cohosts)),
    )
    try:
        check_body(details)  # lengths and counts, with the protocol's own limits
    except SchemaViolation as exc:
        raise EventError("That cannot be published: %(why)s.", why=exc.message) from None
    return Draft(details, visibility)


def form_from(row: Mapping[str, Any]) -> dict[str, str]:
    """An event's stored fields as the form's values, for editing."""
    starts = local_time(row["starts"], row["timezone"])
    ends = local_time(row["ends"], row["timezone"])

    def degrees(value: int | None) -> str:
        return "" if value is None else str(Decimal(value) / 1_000_000)

    return {
        "title": row["title"],
        "description": row["description"] or "",
        "start_date": starts.date().isoformat(),
        "start_time": starts.strftime("%H:%M"),
        "end_date": ends.date().isoformat(),
        "end_time": ends.strftime("%H:%M"),
        "timezone": row["timezone"],
        "type": row["type"],
        "visibility": row["visibility"],
        "place": row["place"] or "",
        "lat": degrees(row["lat"]),
        "lon": degrees(row["lon"]),
        "online_url": row["online_url"] or "",
        "capacity": "" if row["capacity"] is None else str(row["capacity"]),
        "speakers": "\n".join(json.loads(row["speakers"])),
        "cohosts": "\n".join(json.loads(row["cohosts"])),
    }
