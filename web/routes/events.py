"""An event's page, and organising it: create, edit, cancel; RSVPs and registrations."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from aiohttp import web

from crypto.nodeid import NodeId
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.errors import RateLimited
from node.events.calendar import EventView
from node.events.drafts import TYPE_TITLES, VISIBILITIES, form_from, parse_form
from protocol.visibility import may_see
from web import i18n
from web.client_address import client_key
from web.flash import done
from web.forms import refusals_on
from web.i18n import _, listed
from web.ics import calendar_bytes, ics_response
from web.keys import MEMBER, REGISTRATION_GUARD, viewer
from web.onion import base_url
from web.registration_guard import PER_ADDRESS_AND_EVENT
from web.rendering import hub_zone, render
from web.routes import Route
from web.routes.activitypub import replies_context

_FIELDS = (
    "title", "description", "start_date", "start_time", "end_date", "end_time", "timezone",
    "type", "visibility", "place", "lat", "lon", "online_url", "capacity", "speakers", "cohosts",
)  # fmt: skip
_BLANK = dict.fromkeys(_FIELDS, "") | {
    "timezone": "Europe/London",
    "type": "public-meeting",
    "visibility": "public",
}


def event_id(request: web.Request) -> bytes:
    text = request.match_info["event_id"]
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise web.HTTPNotFound() from None
    if len(raw) != 32:
        raise web.HTTPNotFound()
    return raw


async def _visible_event(request: web.Request) -> EventView:
    event = await request.config_dict[NODE].events.calendar.get(event_id(request))
    if event is None or not may_see(viewer(request), event.visibility):
        raise web.HTTPNotFound()
    return event


def map_url(event: EventView) -> str | None:
    """OpenStreetMap at the event's point when it has one, else a search for its place."""
    if event.lat is not None and event.lon is not None:
        lat, lon = f"{event.lat / 1_000_000:.6f}", f"{event.lon / 1_000_000:.6f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    if event.place:
        return f"https://www.openstreetmap.org/search?query={quote_plus(event.place)}"
    return None


async def _form(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    form = {k: v if isinstance(v := posted.get(k, ""), str) else "" for k in _FIELDS}
    # Co-hosts are ticked by name, one checkbox a hub: each sends its hub's node id,
    # which parse_form checks like any other.
    form["cohosts"] = "\n".join(v for v in posted.getall("cohosts", []) if isinstance(v, str))
    return form


async def _cohost_choices(request: web.Request, chosen: str) -> list[tuple[str, str, bool]]:
    """(node id, name, ticked) for every other hub heard of, by name; a co-host this
    node has no profile for yet keeps its place, named as such."""
    node = request.config_dict[NODE]
    ticked = set(chosen.split())
    hubs = {o: h.name for o, h in (await node.hubs()).items() if o != node.node_id}
    unknown = {o: "A hub not heard from yet" for o in ticked if o not in hubs}
    both = hubs | unknown
    return [(o, name, o in ticked) for o, name in sorted(both.items(), key=lambda i: i[1])]


async def _form_page(
    request: web.Request,
    form: dict[str, str],
    errors: list[str],
    editing: bytes | None = None,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "event_form.html",
        {
            "form": form,
            "errors": errors,
            "types": TYPE_TITLES,
            "visibilities": VISIBILITIES,
            "editing": editing.hex() if editing else None,
            "cohost_choices": await _cohost_choices(request, form.get("cohosts", "")),
        },
        status=status,
    )


async def _refused_form(request: web.Request, *, errors: list[str], status: int) -> web.Response:
    """The organiser's form as they filled it in, with why it cannot make the event."""
    editing = event_id(request) if "event_id" in request.match_info else None
    return await _form_page(request, await _form(request), errors, editing=editing, status=status)


async def event_page(
    request: web.Request,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    node = request.config_dict[NODE]
    event = await _visible_event(request)
    member = request.get(MEMBER)
    own = event.origin == node.node_id
    # Everyone coming, through every hub: counts alone cross the network (§5.37).
    coming = await node.events.attendance.counts.coming(event.id, event.origin, event.capacity)
    comments = node.discussion.comments
    hub_names = {o: h.name for o, h in (await node.hubs()).items()}
    # Members discuss an event that went out to the network (members-only ones did not).
    discussable = member is not None and await comments.subject(event.id) is not None
    context: dict[str, Any] = {
        "event": event,
        "map_url": map_url(event),
        "share_url": f"{base_url(request)}/events/{event.id_hex}",
        "discuss_count": (
            sum(c.state == "shown" for c in await comments.thread(event.id, None))
            if discussable
            else None
        ),
        "own": own,
        "coming": coming,
        "full": event.capacity is not None and coming.total >= event.capacity,
        "hub_names": hub_names,
        # "Hosted by Riverside with Northgate and Oakfield": the co-hosts by name.
        "cohosts": listed(
            [hub_names.get(NodeId(c)) or _("a hub") for c in event.cohosts if c != event.origin]
        ),
        "going": member is not None and await node.events.attendance.is_going(event.id, member.id),
        "attendees": (
            await node.events.attendance.attendees(event.id)
            if own and member is not None and member.can(Permission.MANAGE_EVENTS)
            else None
        ),
        "over": event.ends * 1000 < node.clock(),
        # Without email a registration cannot be confirmed, so the form says what
        # limits it instead (web/registration_guard.py).
        "email_confirms": node.notices.mail is not None,
        "registration_limit": PER_ADDRESS_AND_EVENT,
        "errors": errors or [],
        "reg": {"name": "", "email": ""},
        "fediverse": await replies_context(request, event.id) if own else None,
    }
    return render(request, "event.html", context, status=status)


async def show(request: web.Request) -> web.Response:
    return await event_page(request)


async def new_form(request: web.Request) -> web.Response:
    # A new event starts in the hub's own time zone.
    return await _form_page(request, _BLANK | {"timezone": str(hub_zone())}, [])


@refusals_on(_refused_form)
async def create(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    new_id = await node.events.organiser.create(
        parse_form(await _form(request)), by=request[MEMBER]
    )
    raise done(request, f"/events/{new_id.hex()}", _("Event created."))


async def edit_form(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    event = await _visible_event(request)
    if event.origin != node.node_id:
        raise web.HTTPNotFound()
    return await _form_page(request, form_from(_as_row(event)), [], editing=event.id)


def _as_row(event: EventView) -> dict[str, Any]:
    import json

    return {
        "title": event.title, "description": event.description, "starts": event.starts,
        "ends": event.ends, "timezone": event.timezone, "type": event.type,
        "visibility": event.visibility, "place": event.place, "lat": event.lat,
        "lon": event.lon, "online_url": event.online_url, "capacity": event.capacity,
        "speakers": json.dumps(list(event.speakers)), "cohosts": json.dumps(list(event.cohosts)),
    }  # fmt: skip


@refusals_on(_refused_form)
async def edit(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    target = event_id(request)
    await node.events.organiser.edit(target, parse_form(await _form(request)), by=request[MEMBER])
    raise done(request, f"/events/{target.hex()}", _("Event updated."))


async def event_ics(request: web.Request) -> web.Response:
    """This one event for a calendar app ("Add to my calendar")."""
    event = await _visible_event(request)
    response = ics_response(calendar_bytes(event.title, [event], base_url(request)), "event.ics")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.id_hex[:12]}.ics"'
    return response


async def cancel_form(request: web.Request) -> web.Response:
    """Asks before cancelling: every hub will show the event as cancelled."""
    node = request.config_dict[NODE]
    event = await _visible_event(request)
    if event.origin != node.node_id or event.cancelled:
        raise web.HTTPNotFound()
    return render(request, "event_cancel.html", {"event": event})


@refusals_on(event_page)
async def cancel(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    target = event_id(request)
    posted = await request.post()
    reason = posted.get("reason", "")
    await node.events.organiser.cancel(
        target, reason if isinstance(reason, str) else "", by=request[MEMBER]
    )
    raise done(
        request,
        f"/events/{event_id(request).hex()}",
        _("The event is cancelled; every hub will show it as cancelled."),
    )


@refusals_on(event_page)
async def rsvp(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await _visible_event(request)
    await node.events.attendance.rsvp(event_id(request), request[MEMBER])
    raise done(request, f"/events/{event_id(request).hex()}", _("You are down as coming."))


async def withdraw(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    await _visible_event(request)
    if await node.events.attendance.withdraw(event_id(request), request[MEMBER]):
        raise done(
            request, f"/events/{event_id(request).hex()}", _("You are no longer down as coming.")
        )
    raise done(request, f"/events/{event_id(request).hex()}", _("You were not down as coming."))


@refusals_on(event_page)
async def register(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    event = await _visible_event(request)
    posted = await request.post()
    name, email = posted.get("name", ""), posted.get("email", "")
    if not isinstance(name, str) or not isinstance(email, str):
        raise web.HTTPBadRequest()
    guard, address, now = (
        request.config_dict[REGISTRATION_GUARD],
        client_key(request),
        node.clock(),
    )
    if not guard.may_register(address, event.id, now):
        raise RateLimited("Too many registrations have come from your address. Try again tomorrow.")
    guard.registered(address, event.id, now)
    confirms = node.confirmations.enabled
    if confirms:
        # The same answer whatever the email: the link, or a note that the address
        # is registered already, goes by email (node/accounts/confirmations.py).
        await node.confirmations.ask_to_register(event.id, name, email, i18n.language())
    else:
        await node.events.attendance.register(event.id, name, email)
    raise done(
        request,
        f"/events/{event.id.hex()}",
        _(
            "Check your email: we have sent a message to the address you gave. Your place is"
            " kept only once you follow its link, within a day."
        )
        if confirms
        else _(
            "Thank you: you are registered. The hub will keep your name and email for this"
            " event only."
        ),
    )


ROUTES = [
    Route("GET", "/events/new", new_form, Permission.MANAGE_EVENTS),
    Route("POST", "/events/new", create, Permission.MANAGE_EVENTS),
    Route("GET", "/events/{event_id}", show, None),
    Route("GET", "/events/{event_id}/edit", edit_form, Permission.MANAGE_EVENTS),
    Route("POST", "/events/{event_id}/edit", edit, Permission.MANAGE_EVENTS),
    Route("GET", "/events/{event_id}/event.ics", event_ics, None),
    Route("GET", "/events/{event_id}/cancel", cancel_form, Permission.MANAGE_EVENTS),
    Route("POST", "/events/{event_id}/cancel", cancel, Permission.MANAGE_EVENTS),
    Route("POST", "/events/{event_id}/rsvp", rsvp, Permission.MEMBER),
    Route("POST", "/events/{event_id}/withdraw", withdraw, Permission.MEMBER),
    Route("POST", "/events/{event_id}/register", register, None),
]
