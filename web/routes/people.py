"""A member's page, for the other members of their hub: where an @mention links."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import ROLE_TITLES, Permission
from node.appkeys import NODE
from node.discussion.mentions import handle
from web.forms import path_number
from web.rendering import render
from web.routes import Route


async def member_page(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    member = await node.members.get(path_number(request, "member_id"))
    if member is None or member.status != "active":
        raise web.HTTPNotFound()
    network_name = await node.discussion.comments.display_name(member.id)
    return render(
        request,
        "member.html",
        {
            "person": member,
            "roles": sorted(ROLE_TITLES[r] for r in member.roles),
            "network_name": network_name,
            "handle": network_name or handle(member.name or ""),
        },
    )


ROUTES = [
    Route("GET", "/members/{member_id}", member_page, Permission.MEMBER),
]
