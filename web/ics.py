"""iCalendar (RFC 5545) feeds of events, built with the icalendar package.

Times carry the event's own zone (DTSTART;TZID=Europe/London:…) with a
VTIMEZONE for each zone used, so calendar apps keep an event at its local time
across a change of the clocks. UID is the event's id, SEQUENCE counts its
revisions, and a cancelled event stays in the feed with STATUS:CANCELLED so
subscribed calendars mark it rather than silently dropping it.

The feed's own words (its name, "Cancelled", each event's kind) are in the request's
language: a subscriber's own for "my events", else the hub's (or a visitor's choice).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiohttp import web

from node.events.calendar import EventView
from protocol.visibility import may_see
from web.i18n import _


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def calendar_bytes(name: str, events: Sequence[EventView], base_url: str) -> bytes:
    import icalendar  # loaded on first use, like the other page-only libraries

    cal = icalendar.Calendar()
    cal.add("prodid", "-//hubnet//events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for e in events:
        item = icalendar.Event()
        item.add("uid", f"{e.id_hex}@hubnet")
        item.add("dtstamp", _utc(e.updated_at))
        item.add("created", _utc(e.created_at))
        item.add("last-modified", _utc(e.updated_at))
        item.add("sequence", e.sequence)
        item.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        summary = _("Cancelled: %(title)s") % {"title": e.title} if e.cancelled else e.title
        item.add("summary", summary)
        item.add("dtstart", e.local_start)
        item.add("dtend", e.local_end)
        description = e.description or ""
        if e.cancelled and e.cancel_reason:
            cancelled = _("Cancelled: %(title)s") % {"title": e.cancel_reason}
            description = f"{cancelled}\n\n{description}"
        if description:
            item.add("description", description)
        if e.place:
            item.add("location", e.place)
        if e.lat is not None and e.lon is not None:
            item.add("geo", (e.lat / 1_000_000, e.lon / 1_000_000))
        item.add("url", f"{base_url}/events/{e.id_hex}")
        item.add("categories", [_(e.type_title)])
        if e.hub_name:
            item.add("organizer", f"{e.hub_url or base_url}", parameters={"cn": e.hub_name})
        item.add("class", "PUBLIC" if may_see("visitor", e.visibility) else "PRIVATE")
        cal.add_component(item)
    if events:
        # Zone rules only for the span the feed covers: smaller, and readers such as
        # dateutil misread the full 1970-2038 history icalendar writes by default.
        first = min(e.local_start.date() for e in events) - timedelta(days=1)
        last = max(e.local_end.date() for e in events) + timedelta(days=366)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return bytes(cal.to_ical())


def ics_response(body: bytes, filename: str) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-cache",
        },
    )
