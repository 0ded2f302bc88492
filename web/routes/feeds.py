"""Feeds a calendar app or feed reader fetches: iCalendar (the network's, a hub's, a
member's "my events" address, made and revoked here) and Atom (news, campaigns)."""

from __future__ import annotations

from aiohttp import web

from crypto.errors import BadNodeId
from crypto.nodeid import parse_node_id
from node.accounts.permissions import Permission
from node.appkeys import NODE
from protocol.kinds.campaign import Campaign, CampaignUpdate
from protocol.visibility import visible_to
from web import i18n
from web.atom import Entry, atom_response, feed_bytes
from web.flash import done
from web.i18n import _
from web.ics import calendar_bytes, ics_response
from web.keys import MEMBER, NOTICES
from web.onion import base_url
from web.rendering import render
from web.routes import Route

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
    Route("GET", "/calendar.ics", network_ics, None),
    Route("GET", "/calendar/hubs/{node_id}.ics", hub_ics, None),
    Route("GET", "/calendar/mine/{token}.ics", my_ics, None),
    Route("POST", "/account/calendar-feed", new_feed, Permission.MEMBER),
    Route("POST", "/account/calendar-feed/revoke", revoke_feed, Permission.MEMBER),
    Route("GET", "/feeds/announcements.atom", announcements_atom, None),
    Route("GET", "/feeds/campaigns.atom", campaigns_atom, None),
]
