"""Asking another hub for a speaker; passing requests on and answering them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.speaker_requests import ANSWERS, Ask
from node.events.drafts import local_time
from node.store.speaker_requests import RequestRow
from web import forms
from web.flash import done
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route

_ASK_FIELDS = ("topic", "day", "time", "timezone", "place", "message", "share_contact")


async def _names(request: web.Request) -> dict[str, tuple[str, str | None]]:
    hubs = await request.config_dict[NODE].hubs()
    return {origin: (hub.name, hub.url) for origin, hub in hubs.items()}


async def _ask_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    offer = forms.ref(request.match_info["offer_id"])
    found = await node.community.speaker_requests.offer_topics(offer)
    if found is None:
        raise web.HTTPNotFound()
    origin, topics = found
    if request.method == "POST":
        form = forms.texts(await request.post(), _ASK_FIELDS)
    else:
        form = dict.fromkeys(_ASK_FIELDS, "") | {
            "timezone": "Europe/London",
            "topic": topics[0] if len(topics) == 1 else "",
        }
    names = await _names(request)
    return render(
        request,
        "speaker_ask.html",
        {
            "offer_hex": offer.hex(),
            "topics": topics,
            "hub": names.get(origin, ("another hub", None))[0],
            "form": form,
            "errors": errors or [],
        },
        status=status,
    )


async def ask_form(request: web.Request) -> web.Response:
    return await _ask_page(request)


@forms.refusals_on(_ask_page)
async def ask(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    offer = forms.ref(request.match_info["offer_id"])
    form = await request.post()
    request_id = await node.community.speaker_requests.ask(
        request[MEMBER],
        offer,
        Ask(
            topic=forms.text(form, "topic"),
            day=forms.text(form, "day"),
            time=forms.text(form, "time"),
            timezone=forms.text(form, "timezone"),
            place=forms.text(form, "place"),
            message=forms.optional(form, "message"),
            share_contact=forms.text(form, "share_contact") == "yes",
        ),
    )
    raise done(
        request,
        f"/speakers/requests/{request_id.hex()}",
        _("Your request is on its way. You will get a notice here when the speaker's hub answers."),
    )


def _view(row: RequestRow, names: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    return {
        "row": row,
        "hex": row.id.hex(),
        "when": local_time(row.starts, row.timezone),
        "asking_hub": names.get(row.origin, ("another hub", None))[0],
        "speaker_hub": names.get(row.to_hub, ("another hub", None))[0],
        "speaker_hub_url": names.get(row.to_hub, ("", None))[1],
    }


async def _request_page(
    request: web.Request,
    request_id: bytes | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    node = request.config_dict[NODE]
    member = request[MEMBER]
    if request_id is None:
        request_id = forms.ref(request.match_info["request_id"])
    row = await node.community.speaker_requests.get(member, request_id)
    ours_to_answer = row.to_hub == node.node_id
    organiser = member.can(Permission.MANAGE_EVENTS)
    speaker = row.speaker_id == member.id and row.passed_at is not None
    return render(
        request,
        "speaker_request.html",
        {
            **_view(row, await _names(request)),
            "asked_here": row.origin == node.node_id,
            "asked_of_us": ours_to_answer,
            "organiser": organiser,
            "may_pass": ours_to_answer and organiser and row.passed_at is None,
            "may_answer": ours_to_answer and row.answer is None and (organiser or speaker),
            "answers": ANSWERS,
            "errors": errors or [],
        },
        status=status,
    )


async def show(request: web.Request) -> web.Response:
    return await _request_page(request)


async def requests(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    lists = await node.community.speaker_requests.lists(request[MEMBER])
    names = await _names(request)
    return render(
        request,
        "speaker_requests.html",
        {
            "mine": [_view(r, names) for r in lists.mine],
            "asked_of_us": [_view(r, names) for r in lists.asked_of_us],
            "asked_by_us": [_view(r, names) for r in lists.asked_by_us],
            "me": node.node_id,
            "organiser": request[MEMBER].can(Permission.MANAGE_EVENTS),
        },
    )


@forms.refusals_on(_request_page)
async def pass_on(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    request_id = forms.ref(request.match_info["request_id"])
    row = await node.community.speaker_requests.pass_on(request[MEMBER], request_id)
    where = f"/speakers/requests/{request_id.hex()}"
    raise done(
        request, where, _("Passed on to %(name)s.") % {"name": row.speaker_name or _("the speaker")}
    )


@forms.refusals_on(_request_page)
async def answer(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    request_id = forms.ref(request.match_info["request_id"])
    await node.community.speaker_requests.answer(
        request[MEMBER], request_id, forms.text(form, "answer"), forms.optional(form, "message")
    )
    where = f"/speakers/requests/{request_id.hex()}"
    raise done(request, where, _("Your answer is on its way to the hub that asked."))


ROUTES = [
    Route("GET", "/speakers/ask/{offer_id}", ask_form, Permission.MEMBER),
    Route("POST", "/speakers/ask/{offer_id}", ask, Permission.MEMBER),
    Route("GET", "/speakers/requests", requests, Permission.MEMBER),
    Route("GET", "/speakers/requests/{request_id}", show, Permission.MEMBER),
    Route("POST", "/speakers/requests/{request_id}/pass", pass_on, Permission.MANAGE_EVENTS),
    Route("POST", "/speakers/requests/{request_id}/answer", answer, Permission.MEMBER),
]
