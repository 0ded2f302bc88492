"""The network's hubs: who is a member, who asks to join, and sponsoring a newcomer.

The roster is this node's own count from signed messages (PROTOCOL.md §14); the page
shows names, never ids, except under "Technical details".
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crypto.errors import BadNodeId
from crypto.nodeid import NodeId, parse_node_id
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.network.actions import NetworkActions, NetworkError
from node.store.hubs import HubInfo
from web.flash import done
from web.forms import refusals_on
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route


def _hub(origin: NodeId, body: HubInfo | None) -> dict[str, Any]:
    if body is None:
        return {"node_id": origin, "name": f"A hub not yet described ({origin[:8]}…)"}
    return {
        "node_id": origin,
        "name": body.name,
        "url": body.url,
        "region": body.region,
        "area": body.area,
        "description": body.description,
    }


async def _page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    membership = node.membership
    roster = membership.roster
    profiles = await node.hubs()
    members = sorted(
        (_hub(h, profiles.get(h)) for h in membership.members), key=lambda h: h["name"]
    )
    names = {h: _hub(h, profiles.get(h))["name"] for h in profiles}
    candidates = [
        {
            **_hub(c.hub, profiles.get(c.hub)),
            "sponsors": [names.get(s, "a member hub") for s in c.sponsors],
            "pending": [names.get(s, "a member hub") for s in c.pending],
            "sponsored_by_us": node.node_id in c.sponsors or node.node_id in c.pending,
        }
        for c in roster.candidates
    ]
    statement = roster.statement
    return render(
        request,
        "network_hubs.html",
        {
            "network_name": statement.name if statement else None,
            "network_id": membership.network.hex() if membership.network else None,
            "sponsors_needed": statement.sponsors_needed if statement else None,
            "regions": list(roster.regions),
            "members": members,
            "candidates": candidates,
            "we_are_member": membership.is_member(node.node_id),
            "digest": roster.digest,
            # NetworkError speaks in the CLI's lower-case phrases; here, sentences.
            "errors": [e[:1].upper() + e[1:] + "." for e in errors or []],
        },
        status=status,
    )


async def hubs(request: web.Request) -> web.Response:
    return await _page(request)


@refusals_on(_page)
async def sponsor(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    try:
        hub = parse_node_id(request.match_info["node_id"])
    except BadNodeId as exc:
        raise web.HTTPNotFound() from exc
    if hub not in {c.hub for c in node.membership.roster.candidates}:
        raise NetworkError("that hub is not asking to join")
    await NetworkActions(node.messages, node.membership).sponsor(hub, by=request[MEMBER])
    raise done(
        request,
        "/network/hubs",
        "Sponsored. The hub becomes a member once enough member hubs have sponsored it.",
    )


ROUTES = [
    Route("GET", "/network/hubs", hubs, Permission.MEMBER),
    Route("POST", "/network/hubs/{node_id}/sponsor", sponsor, Permission.MANAGE_PEERS),
]
