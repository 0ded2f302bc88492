"""Campaigns: the list, each campaign's page, starting, updating and joining one."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.campaigns import STATUSES, CampaignError
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignStatus, CampaignUpdate
from web import forms
from web.keys import NOTICES
from web.rendering import render
from web.routes import Route


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _status(text: str) -> CampaignStatus | None:
    for status in STATUSES:
        if status == text:
            return status
    return None


async def campaigns(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    items = await node.community.campaigns.all()
    return render(request, "campaigns.html", {"campaigns": items, "me": node.node_id})


async def _page(
    request: web.Request, campaign_id: bytes, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    page = await node.community.campaigns.page(campaign_id)
    if page is None:
        raise web.HTTPNotFound()
    return render(
        request,
        "campaign.html",
        {
            "page": page,
            "statuses": STATUSES,
            "own": page.campaign.origin == node.node_id,
            "joined": any(j.origin == node.node_id for j in page.joined),
            "errors": errors or [],
        },
        status=status,
    )


async def campaign(request: web.Request) -> web.Response:
    return await _page(request, forms.ref(request.match_info["campaign_id"]))


async def new_form(request: web.Request) -> web.Response:
    return render(request, "campaign_new.html", {"statuses": STATUSES, "form": {}})


async def create(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    values = {k: forms.text(form, k) for k in ("title", "summary", "status", "principles", "goals")}
    errors = []
    if not values["title"] or not values["summary"]:
        errors.append("Give the campaign a title and a summary.")
    status = _status(values["status"])
    if status is None:
        errors.append("Choose the campaign's status.")
    if not errors:
        assert status is not None
        try:
            campaign_id = await node.community.campaigns.start(
                Campaign(
                    title=values["title"],
                    summary=values["summary"],
                    status=status,
                    principles=_lines(values["principles"]),
                    goals=_lines(values["goals"]),
                )
            )
        except CampaignError as exc:
            errors.append(str(exc))
        else:
            raise web.HTTPSeeOther(f"/campaigns/{campaign_id.hex()}")
    return render(
        request,
        "campaign_new.html",
        {"statuses": STATUSES, "form": values, "errors": errors},
        status=400,
    )


def _refs(text: str) -> tuple[bytes, ...]:
    """Message ids pasted one a line (or as links ending in one); ValueError if not."""
    out = []
    for line in _lines(text):
        digits = line.rstrip("/").rsplit("/", 1)[-1]
        if len(digits) != 64:
            raise ValueError(f"{line[:80]!r} is not a message id (64 hex digits)")
        out.append(bytes.fromhex(digits))
    return tuple(out)


async def update(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    campaign_id = forms.ref(request.match_info["campaign_id"])
    form = await request.post()
    text = forms.text(form, "text")
    status_text = forms.text(form, "status")
    status = _status(status_text) if status_text else None
    if not text:
        return await _page(request, campaign_id, ["Write the update's text."], 400)
    if status_text and status is None:
        return await _page(request, campaign_id, ["Choose a status from the list."], 400)
    try:
        events = _refs(forms.text(form, "events"))
        resources = _refs(forms.text(form, "resources"))
    except ValueError as exc:
        return await _page(request, campaign_id, [f"Linked items: {exc}."], 400)
    try:
        await node.community.campaigns.update(
            CampaignUpdate(
                campaign=campaign_id,
                text=text,
                status=status,
                events=events,
                resources=resources,
            )
        )
    except CampaignError as exc:
        return await _page(request, campaign_id, [str(exc)], 400)
    request[NOTICES].append("Update published.")
    return await _page(request, campaign_id)


async def join(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    campaign_id = forms.ref(request.match_info["campaign_id"])
    form = await request.post()
    try:
        await node.community.campaigns.endorse(
            CampaignEndorse(campaign=campaign_id, statement=forms.optional(form, "statement"))
        )
    except CampaignError as exc:
        return await _page(request, campaign_id, [str(exc)], 400)
    request[NOTICES].append("This hub has joined the campaign.")
    return await _page(request, campaign_id)


ROUTES = [
    Route("GET", "/campaigns", campaigns, None),
    Route("GET", "/campaigns/new", new_form, Permission.MANAGE_CAMPAIGNS),
    Route("POST", "/campaigns/new", create, Permission.MANAGE_CAMPAIGNS),
    Route("GET", "/campaigns/{campaign_id}", campaign, None),
    Route("POST", "/campaigns/{campaign_id}/update", update, Permission.MANAGE_CAMPAIGNS),
    Route("POST", "/campaigns/{campaign_id}/join", join, Permission.MANAGE_CAMPAIGNS),
]
