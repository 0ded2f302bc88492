"""The network calendar and the archive (their feeds: web/routes/feeds.py)."""

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
from protocol.visibility import visible_to
from web.i18n import N_, _, language
from web.kept_pages import kept_page
from web.keys import MEMBER, viewer
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


ROUTES = [
    Route("GET", "/calendar", calendar, None),
    Route("GET", "/calendar/past", archive, None),
]
