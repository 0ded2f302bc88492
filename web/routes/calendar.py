"""The network calendar and the archive, iCalendar feeds, Atom feeds, "my events" links."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from crypto.errors import BadNodeId
from crypto.nodeid import parse_node_id
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.digits import is_digits
from node.events.calendar import CalendarQuery
from node.events.drafts import TYPE_TITLES
from protocol.kinds.campaign import Campaign, CampaignUpdate
from protocol.visibility import visible_to
from web import i18n
from web.atom import Entry, atom_response, feed_bytes
from web.flash import done
from web.i18n import N_, _, language
from web.ics import calendar_bytes, ics_response
from web.kept_pages import kept_page
from web.keys import MEMBER, NOTICES, viewer
from web.onion import base_url
from web.rendering import render, render_fragment
from web.routes import Route

# near_lat/near_lon/near_hub still read, for links made before "near" took a name.
_UNKNOWN_PLACE = N_("We do not know where “%(place)s” is: choose a place from the list.")
_FILTERS = (
    "region", "type", "hub", "from", "to", "near", "near_lat", "near_lon", "near_hub", "radius",
)  # fmt: skip


def _day(text: str, label: str, errors: list[str]) -> int | None:
    if not text:
        return None
    try:
        return int(datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC).timestamp())
    except ValueError:
        errors.append(f"Give the {label} date as YYYY-MM-DD.")
        return None


def _degrees(text: str, limit: int, label: str, errors: list[str]) -> int | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(f"The {label} must be a number of degrees, such as 51.5.")
        return None
    if not value.is_finite() or abs(value) > limit:
        errors.append(f"The {label} must be between -{limit} and {limit}.")
        return None
    return int(value * 1_000_000)


async def _query(
    request: web.Request, past: bool
) -> tuple[CalendarQuery, list[str], dict[str, str]]:
    node = request.config_dict[NODE]
    q = {k: request.query.get(k, "").strip()[:100] for k in _FILTERS}
    errors: list[str] = []
    kind = q["type"] or None
    if kind is not None and kind not in TYPE_TITLES:
        errors.append(_("Choose a kind of event from the list."))
        kind = None
    hub = q["hub"] or None
    if hub is not None:
        try:
            hub = str(parse_node_id(hub))
        except BadNodeId:
            errors.append(_("Choose a hub from the list."))
            hub = None
    near = None
    if q["near"]:
        near = await node.events.calendar.place(q["near"])
        if near is None:
            errors.append(_(_UNKNOWN_PLACE) % {"place": q["near"]})
    elif q["near_lat"] or q["near_lon"]:
        lat = _degrees(q["near_lat"], 90, "latitude", errors)
        lon = _degrees(q["near_lon"], 180, "longitude", errors)
        near = (lat, lon) if lat is not None and lon is not None else None
    elif q["near_hub"]:
        found = None
        with contextlib.suppress(BadNodeId):
            found = await node.events.calendar.hub(str(parse_node_id(q["near_hub"])))
        if found is None or found[3] is None or found[4] is None:
            errors.append(_("That hub has not said where it is; give a latitude and longitude."))
        else:
            near = (found[3], found[4])
    radius = 50.0
    if q["radius"]:
        try:
            radius = float(q["radius"])
            if not 1 <= radius <= 20000:
                raise ValueError
        except ValueError:
            errors.append(_("The distance must be between 1 and 20000 km."))
            radius = 50.0
    page_text = request.query.get("page", "0")
    page = int(page_text) if is_digits(page_text) and len(page_text) < 6 else 0
    query = CalendarQuery(
        now=node.clock() // 1000,
        audience=visible_to(viewer(request)),
        past=past,
        region=q["region"] or None,
        type=kind,
        hub=hub,
        from_time=_day(q["from"], "from", errors),
        to_time=(t + 86400) if (t := _day(q["to"], "to", errors)) is not None else None,
        near=near,
        radius_km=radius,
        page=page,
    )
    return query, errors, q


class RenderedCalendars:
    """The calendar's content as last rendered for each recent filter, for a minute.

    With 20,000 events stored, choosing a page and rendering it takes about 9 ms of
    one core, so twenty visitors at once queue behind each other (a p99 near 400 ms);
    most ask for the same few pages. A rendering is kept while nothing it shows can have
    changed: the same filters, audience, events and hubs (the projection's versions)
    and the same minute. The minute bounds staleness from anything this process does
    not see (another process writing the database; an event ending): at most 60 s.
    The page around it (the member's name, notices, form token) is made per request.
    """

    SIZE = 32  # entries; each is one page of HTML, tens of kilobytes

    def __init__(self) -> None:
        self._done: OrderedDict[tuple[Any, ...], tuple[Markup, int]] = OrderedDict()
        # Visitors asking for a page already being rendered wait for that rendering.
        self._pending: dict[tuple[Any, ...], asyncio.Future[tuple[Markup, int]]] = {}

    async def get(
        self, key: tuple[Any, ...], make: Callable[[], Awaitable[tuple[Markup, int]]]
    ) -> tuple[Markup, int]:
        while (pending := self._pending.get(key)) is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                # Go on only if it was the visitor rendering it who went away, not us.
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
        if (done := self._done.get(key)) is not None:
            self._done.move_to_end(key)
            return done
        future: asyncio.Future[tuple[Markup, int]] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            made = await make()
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so no warning if nobody else waited
            raise
        except BaseException:
            future.cancel()  # the waiters render it themselves
            raise
        else:
            future.set_result(made)
            self._done[key] = made
            if len(self._done) > self.SIZE:
                self._done.popitem(last=False)
            return made
        finally:
            del self._pending[key]


RENDERED_CALENDARS = web.AppKey("rendered_calendars", RenderedCalendars)


async def _calendar(request: web.Request, past: bool) -> web.Response:
    node = request.config_dict[NODE]
    projection = node.events.projection
    await projection.settle()
    member = request.get(MEMBER) is not None
    can_manage = _can_manage_events(request)
    key = (
        past,
        tuple(request.query.get(k, "").strip()[:100] for k in _FILTERS),
        request.query.get("page", "0")[:6],
        member,
        can_manage,
        language(),  # its words and dates are in the page's language
        node.clock() // 60_000,
        projection.version,
        projection.hubs_version,
    )

    async def make() -> tuple[Markup, int]:
        query, errors, values = await _query(request, past)
        result = await node.events.calendar.page(query)
        kept = {k: v for k, v in values.items() if v}

        def page_link(n: int) -> str:
            return "?" + urlencode({**kept, "page": str(n)})

        body = render_fragment(
            request,
            "_calendar_body.html",
            {
                # What the content may know of the visitor: only what is in the key.
                "member": member,
                "can": lambda permission: permission == Permission.MANAGE_EVENTS and can_manage,
                "hub_name": node.config.name,
                "own_node_id": node.node_id,
                "past": past,
                "result": result,
                "errors": errors,
                "q": values,
                "types": TYPE_TITLES,
                "near": query.near is not None,
                # The filters stay folded away unless some are in use or refused.
                "filtered": bool(errors) or any(v for k, v in values.items() if k != "radius"),
                "next_link": page_link(query.page + 1) if result.more else None,
                "prev_link": page_link(query.page - 1) if query.page > 0 else None,
            },
        )
        return body, 400 if errors else 200

    body, status = await request.config_dict[RENDERED_CALENDARS].get(key, make)
    return render(request, "calendar.html", {"past": past, "body": body}, status=status)


def _can_manage_events(request: web.Request) -> bool:
    member = request.get(MEMBER)
    return member is not None and Permission.MANAGE_EVENTS in member.permissions


# Kept whole for each visitor as well (web/kept_pages.py): the content above is shared
# by every visitor, but the page around it (base.html: the visitor's name, notices,
# menu) cost as much again to render on every request.
@kept_page
async def calendar(request: web.Request) -> web.Response:
    return await _calendar(request, past=False)


@kept_page
async def archive(request: web.Request) -> web.Response:
    return await _calendar(request, past=True)


# -- iCalendar -------------------------------------------------------------------

# Feeds list what has not ended yet, and a month of what has, so a calendar app
# still receives the cancellation of an event that was last week.
_FEED_PAST_S = 31 * 86400


async def network_ics(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    # Feeds are fetched without logging in: a visitor's events only.
    events = await node.events.calendar.for_feed(
        node.clock() // 1000 - _FEED_PAST_S, visible_to("visitor")
    )
    name = _("Network calendar (%(hub)s)") % {"hub": node.config.name}
    body = calendar_bytes(name, events, base_url(request))
    return ics_response(body, "network.ics")


async def hub_ics(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    try:
        origin = parse_node_id(request.match_info["node_id"])
    except BadNodeId:
        raise web.HTTPNotFound() from None
    hub = await node.events.calendar.hub(origin)
    if hub is None:
        raise web.HTTPNotFound()
    events = await node.events.calendar.for_feed(
        node.clock() // 1000 - _FEED_PAST_S, visible_to("visitor"), origin=origin
    )
    return ics_response(calendar_bytes(hub[0], events, base_url(request)), f"{origin[:12]}.ics")


async def my_ics(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    member_id = await node.events.attendance.feed_member(request.match_info["token"])
    if member_id is None:
        raise web.HTTPNotFound()
    events = await node.events.calendar.of_member(member_id, node.clock() // 1000 - _FEED_PAST_S)
    # A calendar app sends no cookie: the feed's words are in its member's language.
    subscriber = await node.members.get(member_id)
    i18n.use((subscriber.language if subscriber else None) or node.language.code)
    name = _("My events (%(hub)s)") % {"hub": node.config.name}
    body = calendar_bytes(name, events, base_url(request))
    response = ics_response(body, "my-events.ics")
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def new_feed(request: web.Request) -> web.Response:
    # Not a redirect (web/flash.py): the address holds a secret the hub keeps only
    # hashed, so it can be shown once, here; sending the form again makes a new one.
    node = request.config_dict[NODE]
    token = await node.events.attendance.new_feed_token(request[MEMBER].id)
    request[NOTICES].append(_("Your new calendar address is below; any earlier one has stopped."))
    return render(
        request,
        "account.html",
        {"feed_url": f"{base_url(request)}/calendar/mine/{token}.ics", "feed_created": True},
    )


async def revoke_feed(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    await node.events.attendance.revoke_feed_token(request[MEMBER].id)
    raise done(request, "/account", _("Your calendar address no longer works."))


# -- Atom ------------------------------------------------------------------------


async def _hub_names(request: web.Request) -> dict[str, str]:
    node = request.config_dict[NODE]
    return {origin: hub.name for origin, hub in (await node.hubs()).items()}


async def announcements_atom(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    base = base_url(request)
    # An edited item keeps its id and shows its new text; a withdrawn one is gone.
    own = await node.news.items(own=True, limit=50)
    entries = [
        Entry(
            id=f"tag:hubnet,2025:{i.id.hex()}",
            title=i.title or i.text.split("\n", 1)[0][:80],
            text=i.text,
            link=f"{base}/",
            author=node.config.name,
            updated_ms=i.edited_at or i.published_at,
        )
        for i in own
    ]
    return atom_response(
        feed_bytes(
            f"tag:hubnet,2025:{node.node_id}:announcements",
            _("News from %(hub)s") % {"hub": node.config.name},
            f"{base}/feeds/announcements.atom",
            f"{base}/",
            entries,
        )
    )


async def campaigns_atom(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    base = base_url(request)
    names = await _hub_names(request)
    started = await node.messages.recent(kind="campaign", limit=50)
    updates = await node.messages.recent(kind="campaign.update", limit=50)
    titles: dict[bytes, str] = {m.id: m.body.title for m in started if isinstance(m.body, Campaign)}
    entries: list[Entry] = []
    for m in sorted([*started, *updates], key=lambda m: m.created_at, reverse=True)[:50]:
        hub = names.get(m.origin) or _("a hub")
        if isinstance(m.body, Campaign):
            title, text, target = m.body.title, m.body.summary, bytes(m.id)
        elif isinstance(m.body, CampaignUpdate):
            if m.body.campaign not in titles:
                original = await node.messages.get(m.body.campaign)
                if original is None or not isinstance(original.body, Campaign):
                    continue
                titles[original.id] = original.body.title
            title = _("Update: %(title)s") % {"title": titles[m.body.campaign]}
            text, target = m.body.text, m.body.campaign
        else:
            continue
        entries.append(Entry(
            id=f"tag:hubnet,2025:{m.id.hex()}", title=title, text=text,
            link=f"{base}/campaigns/{target.hex()}", author=hub, updated_ms=m.created_at,
        ))  # fmt: skip
    return atom_response(
        feed_bytes(
            f"tag:hubnet,2025:{node.node_id}:campaigns",
            _("Campaigns across the network"),
            f"{base}/feeds/campaigns.atom",
            f"{base}/",
            entries,
        )
    )


ROUTES = [
    Route("GET", "/calendar", calendar, None),
    Route("GET", "/calendar/past", archive, None),
    Route("GET", "/calendar.ics", network_ics, None),
    Route("GET", "/calendar/hubs/{node_id}.ics", hub_ics, None),
    Route("GET", "/calendar/mine/{token}.ics", my_ics, None),
    Route("POST", "/account/calendar-feed", new_feed, Permission.MEMBER),
    Route("POST", "/account/calendar-feed/revoke", revoke_feed, Permission.MEMBER),
    Route("GET", "/feeds/announcements.atom", announcements_atom, None),
    Route("GET", "/feeds/campaigns.atom", campaigns_atom, None),
]
