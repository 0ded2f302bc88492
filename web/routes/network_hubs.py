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
from node.assembly import NATIONAL
from node.network.actions import NetworkActions, NetworkError
from node.store.hubs import HubInfo
from web.flash import done
from web.forms import refusals_on
from web.hubs_map import Pin, hubs_map
from web.i18n import N_, _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route


def _hub(origin: NodeId, body: HubInfo | None) -> dict[str, Any]:
    if body is None:
        return {"node_id": origin, "name": "A hub not yet described", "region": None}
    return {
        "node_id": origin,
        "name": body.name,
        "url": body.url,
        "region": body.region,
        "area": body.area,
        "description": body.description,
        "meeting_place": body.meeting_place,
        "contact": body.contact,
    }


def _by_region(hubs: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The hubs grouped by region, regions in alphabetical order, hubs without one last."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for hub in hubs:
        groups.setdefault(hub["region"] or "", []).append(hub)
    named = sorted((r for r in groups if r), key=str.casefold)
    return [(r, groups[r]) for r in named] + (
        [(N_("No region given"), groups[""])] if "" in groups else []
    )


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
    seats = await node.assembly.seats()
    delegates = {seat.origin: seat.delegate for seat in seats.get(NATIONAL, [])}
    for hub in members:
        hub["delegate"] = delegates.get(hub["node_id"])
    pins = [
        Pin(p.name, p.url, p.area, p.lat, p.lon)
        for h in membership.members
        if (p := profiles.get(h)) is not None and p.lat is not None and p.lon is not None
    ]
    names = {h: _hub(h, profiles.get(h))["name"] for h in profiles}
    charters = {o: i.hex() for o, i in (await node.endorsements.charter_ids()).items()}
    for hub in members:
        hub["charter"] = charters.get(hub["node_id"])
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
            "regions_with_hubs": _by_region(members),
            "map": hubs_map(
                pins, f"Map of the UK with {len(pins)} member hub{'' if len(pins) == 1 else 's'}"
            ),
            "unplaced": len(members) - len(pins),
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
        raise NetworkError(_("that hub is not asking to join"))
    await NetworkActions(node.messages, node.membership).sponsor(hub, by=request[MEMBER])
    raise done(
        request,
        "/network/hubs",
        _("Sponsored. The hub becomes a member once enough member hubs have sponsored it."),
    )


ROUTES = [
    Route("GET", "/network/hubs", hubs, Permission.MEMBER),
    Route("POST", "/network/hubs/{node_id}/sponsor", sponsor, Permission.MANAGE_PEERS),
]
