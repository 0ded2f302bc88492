"""Speakers: members offer to speak; organisers find speakers across the network."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.speakers import parse_topics
from web import forms
from web.flash import done
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route


async def _page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    topic = request.query.get("topic", "")[:100]
    return render(
        request,
        "speakers.html",
        {
            "mine": await node.community.speakers.mine(request[MEMBER].id),
            "offers": await node.community.speakers.search(topic),
            "topic": topic,
            "me": node.node_id,
            "errors": errors or [],
        },
        status=status,
    )


async def speakers(request: web.Request) -> web.Response:
    return await _page(request)


@forms.refusals_on(_page)
async def offer(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    await node.community.speakers.offer(
        request[MEMBER],
        parse_topics(forms.text(form, "topics")),
        forms.optional(form, "area"),
        forms.optional(form, "note"),
    )
    raise done(request, "/speakers", _("Thank you: other hubs can now ask this hub for a speaker."))


@forms.refusals_on(_page)
async def withdraw(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await node.community.speakers.withdraw(
        request[MEMBER], forms.number(request.match_info["offer_id"])
    )
    raise done(request, "/speakers", _("Your offer is withdrawn."))


ROUTES = [
    Route("GET", "/speakers", speakers, Permission.MEMBER),
    Route("POST", "/speakers/offer", offer, Permission.MEMBER),
    Route("POST", "/speakers/{offer_id}/withdraw", withdraw, Permission.MEMBER),
]
