"""Campaigns: the list, each campaign's page, starting, updating and joining one."""

from __future__ import annotations

import string
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.campaigns import STATUSES, CampaignError
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignStatus, CampaignUpdate
from web import forms
from web.flash import done
from web.keys import MEMBER
from web.rendering import render, when
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
    request: web.Request,
    campaign_id: bytes | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    """The campaign `campaign_id`, or the one in the path."""
    node = request.config_dict[NODE]
    if campaign_id is None:
        campaign_id = forms.ref(request.match_info["campaign_id"])
    page = await node.community.campaigns.page(campaign_id)
    if page is None:
        raise web.HTTPNotFound()
    own = page.campaign.origin == node.node_id
    return render(
        request,
        "campaign.html",
        {
            "page": page,
            "statuses": STATUSES,
            "own": own,
            **(await _link_choices(request) if own else {}),
            "joined": any(j.origin == node.node_id for j in page.joined),
            "errors": errors or [],
        },
        status=status,
    )


# How far back an update may link events: a campaign reports on what it did lately.
_LINKABLE_SINCE_MS = 90 * 86_400_000


async def _link_choices(request: web.Request) -> dict[str, list[tuple[str, str]]]:
    """What an update may link, by name: the network's events (title and date, from
    three months ago on) and the library's resources; each choice sends its id."""
    node = request.config_dict[NODE]
    since = (node.clock() - _LINKABLE_SINCE_MS) // 1000
    # An update goes out to the network: members-only events cannot be linked from it.
    events = await node.events.calendar.for_feed(since, ("public", "network"), limit=200)
    items = await node.community.library.items(limit=200)
    return {
        "event_choices": [(e.id.hex(), f"{e.title} ({when(e.starts * 1000)})") for e in events],
        "resource_choices": [(i.id.hex(), i.title) for i in items],
    }


async def campaign(request: web.Request) -> web.Response:
    return await _page(request)


_NEW_FIELDS = ("title", "summary", "status", "principles", "goals")


async def _new_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    """The form to start a campaign; a refused one as it was filled in."""
    values = forms.texts(await request.post(), _NEW_FIELDS) if errors else {}
    context = {"statuses": STATUSES, "form": values, "errors": errors or []}
    return render(request, "campaign_new.html", context, status=status)


async def new_form(request: web.Request) -> web.Response:
    return await _new_page(request)


@forms.refusals_on(_new_page)
async def create(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    values = forms.texts(await request.post(), _NEW_FIELDS)
    if not values["title"] or not values["summary"]:
        raise CampaignError("Give the campaign a title and a summary.")
    status = _status(values["status"])
    if status is None:
        raise CampaignError("Choose the campaign's status.")
    campaign_id = await node.community.campaigns.start(
        Campaign(
            title=values["title"],
            summary=values["summary"],
            status=status,
            principles=_lines(values["principles"]),
            goals=_lines(values["goals"]),
        ),
        by=request[MEMBER],
    )
    raise done(request, f"/campaigns/{campaign_id.hex()}", "Campaign created.")


def _refs(text: str) -> tuple[bytes, ...]:
    """Message ids pasted one a line (or as links ending in one); CampaignError if not."""
    out = []
    for line in _lines(text):
        digits = line.rstrip("/").rsplit("/", 1)[-1]
        if len(digits) != 64 or not all(c in string.hexdigits for c in digits):
            raise CampaignError(f"Linked items: {line[:80]!r} is not a message id (64 hex digits).")
        out.append(bytes.fromhex(digits))
    return tuple(out)


def _picked(form: MultiDictProxy[Any], name: str) -> str:
    """The ids chosen in a multiple select, one a line, for _refs to check."""
    return "\n".join(v for v in form.getall(name, []) if isinstance(v, str))


@forms.refusals_on(_page)
async def update(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    campaign_id = forms.ref(request.match_info["campaign_id"])
    form = await request.post()
    text = forms.text(form, "text")
    status_text = forms.text(form, "status")
    status = _status(status_text) if status_text else None
    if not text:
        raise CampaignError("Write the update's text.")
    if status_text and status is None:
        raise CampaignError("Choose a status from the list.")
    await node.community.campaigns.update(
        CampaignUpdate(
            campaign=campaign_id,
            text=text,
            status=status,
            events=_refs(_picked(form, "events")),
            resources=_refs(_picked(form, "resources")),
        ),
        by=request[MEMBER],
    )
    raise done(request, f"/campaigns/{campaign_id.hex()}", "Update published.")


@forms.refusals_on(_page)
async def join(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    campaign_id = forms.ref(request.match_info["campaign_id"])
    form = await request.post()
    await node.community.campaigns.endorse(
        CampaignEndorse(campaign=campaign_id, statement=forms.optional(form, "statement")),
        by=request[MEMBER],
    )
    raise done(request, f"/campaigns/{campaign_id.hex()}", "This hub has joined the campaign.")


ROUTES = [
    Route("GET", "/campaigns", campaigns, None),
    Route("GET", "/campaigns/new", new_form, Permission.MANAGE_CAMPAIGNS),
    Route("POST", "/campaigns/new", create, Permission.MANAGE_CAMPAIGNS),
    Route("GET", "/campaigns/{campaign_id}", campaign, None),
    Route("POST", "/campaigns/{campaign_id}/update", update, Permission.MANAGE_CAMPAIGNS),
    Route("POST", "/campaigns/{campaign_id}/join", join, Permission.MANAGE_CAMPAIGNS),
]
