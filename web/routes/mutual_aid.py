"""The mutual aid board: members' requests and offers, never sent to other hubs."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.mutual_aid import MutualAidError
from web import forms
from web.keys import MEMBER, NOTICES
from web.rendering import render
from web.routes import Route


async def _page(
    request: web.Request, errors: list[str] | None = None, form: dict[str, str] | None = None
) -> web.Response:
    node = request.config_dict[NODE]
    return render(
        request,
        "mutual_aid.html",
        {
            "posts": await node.community.mutual_aid.board(),
            "errors": errors or [],
            "form": form or {},
        },
        status=400 if errors else 200,
    )


async def board(request: web.Request) -> web.Response:
    return await _page(request)


async def post(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    form = await request.post()
    values = {f: forms.text(form, f) for f in ("type", "title", "text")}
    try:
        await node.community.mutual_aid.post(
            request[MEMBER].id, values["type"], values["title"], values["text"]
        )
    except MutualAidError as exc:
        return await _page(request, [str(exc)], values)
    request[NOTICES].append("Your post is on the board.")
    return await _page(request)


async def close(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    form = await request.post()
    try:
        await node.community.mutual_aid.close(
            request[MEMBER].id,
            forms.number(request.match_info["post_id"]),
            forms.text(form, "outcome"),
        )
    except MutualAidError as exc:
        return await _page(request, [str(exc)])
    request[NOTICES].append("Your post is closed.")
    return await _page(request)


ROUTES = [
    Route("GET", "/mutual-aid", board, Permission.MEMBER),
    Route("POST", "/mutual-aid", post, Permission.MEMBER),
    Route("POST", "/mutual-aid/{post_id}/close", close, Permission.MEMBER),
]
