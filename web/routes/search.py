"""One search box over events, campaigns, resources, local services and discussions."""

from __future__ import annotations

from aiohttp import web

from node.appkeys import NODE
from node.search import KINDS
from web.i18n import N_, _
from web.keys import viewer
from web.rendering import render
from web.routes import Route

LABELS = {
    "event": N_("Event"),
    "campaign": N_("Campaign"),
    "resource": N_("Resource"),
    "directory": N_("Service"),
    "discussion": N_("Discussion"),
}
# What the kind filter offers, translated where it is shown.
PLURALS = {
    "event": N_("Events"),
    "campaign": N_("Campaigns"),
    "resource": N_("Resources"),
    "directory": N_("Services"),
    "discussion": N_("Discussions"),
}


def link(kind: str, ref: str, stored: str | None = None) -> str:
    if stored is not None:
        return stored
    if kind == "directory":
        return "/directory#" + ref.replace(":", "-")
    return {"event": "/events/", "campaign": "/campaigns/", "resource": "/library/"}[kind] + ref


async def search(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    text = request.query.get("q", "")[:200]
    kind = request.query.get("kind", "")
    kinds = (kind,) if kind in KINDS else KINDS
    await node.projections.caught_up()
    hits = await node.community.search.query(
        text, kinds, limit=50, members=viewer(request) == "member"
    )
    results = [
        {
            "kind": _(LABELS[h.kind]),
            "title": h.title,
            "href": link(h.kind, h.ref, h.link),
            "snippet": h.snippet,
        }
        for h in hits
    ]
    return render(
        request,
        "search.html",
        {"q": text, "kind": kind, "kinds": PLURALS, "results": results},
    )


ROUTES = [Route("GET", "/search", search, None)]
