"""The roles page: who holds each elected role now and until when, the interim group,
and past holders."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import ELECTED_ROLES, ROLE_TITLES, Permission, Role
from node.appkeys import NODE
from node.governance.records import Holder
from web.rendering import describe_date, render
from web.routes import Route


async def roles(request: web.Request) -> web.Response:
    governance = request.config_dict[NODE].governance
    await governance.tick()
    holders = await governance.holders()
    by_role: dict[Role, Holder] = {h.role: h for h in holders if h.role != Role.INTERIM}
    rows = []
    for role in ELECTED_ROLES:
        holder = by_role.get(role)
        rows.append(
            {
                "title": ROLE_TITLES[role],
                "holder": (holder.name or "a former member") if holder else None,
                "since": describe_date(holder.starts_at) if holder else None,
                "until": describe_date(holder.ends_at) if holder and holder.ends_at else None,
            }
        )
    interim = [h.name or "a former member" for h in holders if h.role == Role.INTERIM]
    past = [
        {
            "title": ROLE_TITLES[h.role],
            "name": h.name or "a former member",
            "from": describe_date(h.starts_at),
            "until": describe_date(h.ends_at) if h.ends_at else "",
        }
        for h in await governance.past_holders()
    ]
    return render(request, "roles.html", {"rows": rows, "interim": interim, "past": past})


ROUTES = [
    Route("GET", "/roles", roles, Permission.MEMBER),
]
