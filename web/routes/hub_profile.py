"""The hub's profile page: organisers say who the hub is, where, and how to reach it.

One form; saving publishes a new `hub.profile` (node/network/profile.py), which every
peered hub shows within seconds. Errors are shown beside their fields, the values kept.
"""

from __future__ import annotations

from aiohttp import web

from node import geo
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.network.profile import FIELDS, ProfileInvalid, draft_from
from web.flash import done
from web.forms import refusals_on, texts
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route
from web.wording import words

_FIELDS = FIELDS  # the form is the service's list of fields


async def _page(
    request: web.Request,
    *,
    errors: list[str] | None = None,
    faults: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    node = request.config_dict[NODE]
    profiles = node.profile
    if request.method == "POST":
        form = texts(await request.post(), _FIELDS)  # a refused form, as it was typed
    else:
        form = await profiles.form()
    return render(
        request,
        "hub_profile.html",
        {
            "form": form,
            "faults": faults or {},
            "errors": errors or [],
            "regions": await profiles.regions(node.membership.roster.regions),
            "places": geo.place_names(),
            "timezones": geo.timezones_listed(),
            "hub_language": node.language.code,
        },
        status=status,
    )


async def show(request: web.Request) -> web.Response:
    return await _page(request)


@refusals_on(_page)
async def save(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    draft = draft_from(await request.post())
    try:
        moved = await node.profile.save(draft, node.membership.roster.regions, by=request[MEMBER])
    except ProfileInvalid as exc:
        faults = {field: words(fault) for field, fault in exc.fields.items()}
        return await _page(request, faults=faults, status=400)
    raise done(
        request,
        "/organise/profile",
        _("Profile saved: every hub will see it within a minute.")
        + (
            " " + _("The hub's name or address changed: peers follow it from now on.")
            if moved
            else ""
        ),
    )


ROUTES = [
    Route("GET", "/organise/profile", show, Permission.EDIT_HUB_PROFILE),
    Route("POST", "/organise/profile", save, Permission.EDIT_HUB_PROFILE),
]
