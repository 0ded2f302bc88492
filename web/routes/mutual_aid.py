"""The mutual aid board: members' requests and offers, never sent to other hubs."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from web import forms
from web.flash import done
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route

_FIELDS = ("type", "title", "text")


async def _page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    # A refused post is shown again as it was written.
    form = forms.texts(await request.post(), _FIELDS) if errors else {}
    return render(
        request,
        "mutual_aid.html",
        {
            "posts": await node.community.mutual_aid.board(),
            "errors": errors or [],
            "form": form,
        },
        status=status,
    )


async def board(request: web.Request) -> web.Response:
    return await _page(request)


@forms.refusals_on(_page)
async def post(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    values = forms.texts(await request.post(), _FIELDS)
    await node.community.mutual_aid.post(
        request[MEMBER], values["type"], values["title"], values["text"]
    )
    raise done(request, "/mutual-aid", _("Your post is on the board."))


@forms.refusals_on(_page)
async def close(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    await node.community.mutual_aid.close(
        request[MEMBER],
        forms.number(request.match_info["post_id"]),
        forms.text(form, "outcome"),
    )
    raise done(request, "/mutual-aid", _("Your post is closed."))


ROUTES = [
    Route("GET", "/mutual-aid", board, Permission.MEMBER),
    Route("POST", "/mutual-aid", post, Permission.MEMBER),
    Route("POST", "/mutual-aid/{post_id}/close", close, Permission.MEMBER),
]
