"""A member's own pages: the dashboard and their account."""

from __future__ import annotations

import json

from aiohttp import web

from node.accounts.members import AccountError
from node.accounts.permissions import Permission, Role
from node.appkeys import NODE
from node.events.drafts import local_time
from node.store.home import UpcomingEvent
from web.cookies import cookie_name
from web.flash import done
from web.forms import refusals_on
from web.i18n import _
from web.kept_pages import kept_page, page_state
from web.keys import MEMBER, SESSION_TOKEN
from web.rendering import markdown, moment, render, when
from web.routes import Route


class NetworkNews:
    """The dashboard's news, the same for every member: made (Markdown rendered and
    cleaned) again only once it may have changed (a write to the database, the hubs
    in the network, the minute), rather than for each page view."""

    def __init__(self) -> None:
        self._items: list[dict[str, object]] = []
        self._made_for: tuple[object, ...] | None = None

    def forget(self) -> None:
        """Made again on the next view: the hub's own news just changed."""
        self._made_for = None

    async def items(self, request: web.Request) -> list[dict[str, object]]:
        node = request.config_dict[NODE]
        state = page_state(request)
        if state is None or state != self._made_for:
            # PROTOCOL.md §14.5: news from member hubs only (a hub that left too).
            items = await node.news.items(limit=20, shows=node.membership.is_member)
            names = {origin: hub.name for origin, hub in (await node.hubs()).items()}
            items_shown: list[dict[str, object]] = [
                {
                    "title": i.title,
                    "html": markdown(i.text),
                    "hub": names.get(i.origin) or _("a hub"),
                    "when": when(i.published_at),
                    "edited": when(i.edited_at) if i.edited_at else None,
                }
                for i in items
            ]
            self._items = items_shown
            self._made_for = state
        return self._items


NETWORK_NEWS = web.AppKey("network_news", NetworkNews)


def _event_item(event: UpcomingEvent) -> dict[str, str]:
    start = local_time(event.starts, event.timezone)
    return {
        "href": f"/events/{event.id.hex()}",
        "title": event.title,
        "when": f"{moment(start, 'EEE dd MMM, HH:mm')} {start.tzname()}",
        "iso": start.isoformat(),
    }


@kept_page
async def dashboard(request: web.Request) -> web.Response:
    """Home: what needs the member, soonest first, then news (node/home.py)."""
    member = request[MEMBER]
    node = request.config_dict[NODE]
    steps = await node.checklist.steps(member) if member.can(Permission.SET_UP_HUB) else []
    home = await node.home.view(member)
    return render(
        request,
        "dashboard.html",
        {
            "home": home,
            "votes": [
                {"what": v.what, "title": v.title, "href": v.link, "closes": when(v.closes_at)}
                for v in home.votes
            ],
            "my_events": [_event_item(e) for e in home.my_events],
            "hub_events": [_event_item(e) for e in home.hub_events],
            "threads": [
                {"href": f"/discussions/{t.id}", "title": t.title, "when": when(t.last_post_at)}
                for t in home.threads
            ],
            "unread_notices": [
                {"href": f"/notices/{n.id}/open", "text": n.text, "when": when(n.created_at)}
                for n in home.notices
            ],
            "news": await request.config_dict[NETWORK_NEWS].items(request),
            "roles": home.roles,
            "interim": Role.INTERIM in member.roles,
            "checklist": steps,
            "checklist_done": all(step.done for step in steps),
        },
    )


async def account(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    member_id = request[MEMBER].id
    created = await node.events.attendance.feed_created_at(member_id)
    name = await node.discussion.comments.display_name(member_id)
    return render(
        request,
        "account.html",
        {"feed_created": created is not None, "display_name": name},
    )


async def account_refused(request: web.Request, *, errors: list[str], status: int) -> web.Response:
    """The account page with why a change to the account was refused."""
    return render(request, "account.html", {"errors": errors}, status=status)


@refusals_on(account_refused)
async def change_password(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    member = request[MEMBER]
    form = await request.post()
    current, new = form.get("current"), form.get("new")
    if not isinstance(current, str) or not isinstance(new, str):
        raise web.HTTPBadRequest()
    if member.email is None or await node.members.authenticate(member.email, current) is None:
        raise AccountError(_("Your current password is not right."))
    await node.members.set_password(member.id, new)  # ends every session
    response = done(request, "/login", _("Your password is changed. Log in with the new one."))
    response.del_cookie(cookie_name(request, "hubnet_session"), path="/")
    raise response


async def my_data(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    data = await node.members.export(request[MEMBER].id)
    return web.Response(
        text=json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-hubnet-data.json"',
            "Cache-Control": "no-store",
        },
    )


@refusals_on(account_refused)
async def leave(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    form = await request.post()
    if form.get("confirm") != "yes":
        raise AccountError(_("Tick the box to confirm that you want to leave."))
    token = request.get(SESSION_TOKEN)
    await node.members.leave(request[MEMBER].id)
    response = done(
        request,
        "/",
        _("You have left the hub. Your personal data has been erased from this hub's server."),
    )
    if token:
        response.del_cookie(cookie_name(request, "hubnet_session"), path="/")
    raise response


ROUTES = [
    Route("GET", "/dashboard", dashboard, Permission.MEMBER),
    Route("GET", "/account", account, Permission.MEMBER),
    Route("POST", "/account/password", change_password, Permission.MEMBER),
    Route("GET", "/account/data", my_data, Permission.MEMBER),
    Route("POST", "/account/leave", leave, Permission.MEMBER),
]
