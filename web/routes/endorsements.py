"""The charter across the network: who endorses it (grouped by kind of organisation,
each with the hub that recorded it), recording and withdrawing an endorsement, the
badge an organisation shows on its site, and each member hub's adopted charter.

Reading is public: endorsements and charters are signed and federated already, and a
badge links to its endorsement's page. Recording takes PUBLISH_FOR_HUB.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.network.endorsements import (
    KIND_LABELS,
    KINDS_OF_ORGANISATION,
    Endorsement,
    Endorsements,
)
from web.badges import badge_snippet, badge_svg
from web.flash import done
from web.forms import optional, ref, refusals_marking_field_on, refusals_on, text, texts
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render, when
from web.routes import Route

_FIELDS = ("organisation", "kind", "date", "website", "statement")
LIST = "/network/charter/endorsements"


def _service(request: web.Request) -> Endorsements:
    return request.config_dict[NODE].endorsements


def _network(request: web.Request) -> str:
    return _service(request).network_name or "network's"


def _view(e: Endorsement) -> dict[str, Any]:
    return {
        "id": e.id.hex(),
        "organisation": e.organisation,
        "kind": KIND_LABELS.get(e.kind, e.kind),
        "date": e.date,
        "website": e.website,
        "statement": e.statement,
        "hub": e.hub,
        "origin": e.origin,
        "recorded": when(e.recorded_at),
        "withdrawn": e.withdrawn,
        "reason": e.reason,
    }


async def listing(request: web.Request) -> web.Response:
    groups = await _service(request).listing()
    return render(
        request,
        "endorsements.html",
        {
            "network": _service(request).network_name,
            "groups": [
                (KINDS_OF_ORGANISATION[k], [_view(e) for e in items]) for k, items in groups.items()
            ],
        },
    )


async def new_form(
    request: web.Request,
    *,
    errors: list[str] | None = None,
    field: str | None = None,
    status: int = 200,
) -> web.Response:
    form = texts(await request.post(), _FIELDS) if errors else {"kind": "union"}
    form.setdefault("date", dt.date.today().isoformat())
    return render(
        request,
        "endorsement_form.html",
        {
            "form": form,
            "kinds": KIND_LABELS,
            "errors": errors or [],
            "field": field,
            "network": _service(request).network_name,
        },
        status=status,
    )


@refusals_marking_field_on(new_form)
async def record(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    message = await _service(request).record(
        organisation=text(form, "organisation"),
        kind=text(form, "kind"),
        date=text(form, "date"),
        website=optional(form, "website"),
        statement=optional(form, "statement"),
        by=request[MEMBER],
    )
    raise done(
        request, f"{LIST}/{message.id.hex()}", _("Recorded, and sent to the network's hubs.")
    )


async def endorsement_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    endorsement_id = ref(request.match_info["message_id"])
    e = await _service(request).get(endorsement_id)
    base = request.config_dict[NODE].config.url.rstrip("/")
    page_url = f"{base}{LIST}/{e.id.hex()}"
    badge_url = f"{base}/charter/endorsements/{e.id.hex()}/badge.svg"
    return render(
        request,
        "endorsement.html",
        {
            "e": _view(e),
            "network": _service(request).network_name,
            "badge_path": f"/charter/endorsements/{e.id.hex()}/badge.svg",
            "snippet": badge_snippet(page_url, badge_url, e.organisation, _network(request)),
            "ours": e.origin == request.config_dict[NODE].node_id,
            "errors": errors or [],
        },
        status=status,
    )


@refusals_on(endorsement_page)
async def withdraw(request: web.Request) -> web.StreamResponse:
    endorsement_id = ref(request.match_info["message_id"])
    form = await request.post()
    await _service(request).withdraw(endorsement_id, optional(form, "reason"), by=request[MEMBER])
    raise done(
        request,
        f"{LIST}/{endorsement_id.hex()}",
        _("Endorsement withdrawn: the network's hubs will show it as withdrawn."),
    )


async def badge(request: web.Request) -> web.Response:
    endorsement_id = ref(request.match_info["message_id"])
    e = await _service(request).get(endorsement_id)
    tag = f'"{e.id.hex()[:32]}-{int(e.withdrawn)}"'
    headers = {"Cache-Control": "public, max-age=3600", "ETag": tag}
    if request.headers.get("If-None-Match") == tag:
        return web.Response(status=304, headers=headers)
    svg = badge_svg(e.organisation, _network(request), withdrawn=e.withdrawn)
    return web.Response(text=svg, content_type="image/svg+xml", headers=headers)


async def hub_charter(request: web.Request) -> web.Response:
    charter = await _service(request).hub_charter(ref(request.match_info["message_id"]))
    return render(
        request,
        "hub_charter.html",
        {"charter": charter, "adopted": when(charter.adopted_at)},
    )


ROUTES = [
    Route("GET", LIST, listing, None),
    Route("GET", f"{LIST}/new", new_form, Permission.PUBLISH_FOR_HUB),
    Route("POST", LIST, record, Permission.PUBLISH_FOR_HUB),
    Route("GET", LIST + "/{message_id}", endorsement_page, None),
    Route("POST", LIST + "/{message_id}/withdraw", withdraw, Permission.PUBLISH_FOR_HUB),
    Route("GET", "/charter/endorsements/{message_id}/badge.svg", badge, None),
    Route("GET", "/network/charters/{message_id}", hub_charter, None),
]
