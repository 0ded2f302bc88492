"""Local proposals and polls: any member proposes, every member votes once, in secret."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.digits import is_digits
from node.funds import polls
from node.funds.errors import FundsError
from node.funds.units import parse_utc, utc_field
from node.wording import Term
from web.flash import done
from web.forms import path_number, refusals_on, text, texts
from web.i18n import _
from web.keys import MEMBER
from web.rendering import hub_zone, render
from web.routes import Route

FIELDS = ("title", "body", "kind", "options", "quorum", "closes")
WEEK_MS = 7 * polls.DAY_MS


async def _list_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    # A refused proposal is shown again as it was filled in.
    values = texts(await request.post(), FIELDS) if errors else {}
    everything = await node.funds.polls()
    defaults = {
        "kind": "yes-no",
        "quorum": "25",
        "closes": utc_field(node.clock() + WEEK_MS, hub_zone()),
    }
    return render(
        request,
        "polls.html",
        {
            "open_polls": [p for p in everything if p.result is None],
            "closed_polls": [p for p in everything if p.result is not None],
            "values": {**defaults, **values},
            "errors": errors or [],
        },
        status=status,
    )


async def poll_list(request: web.Request) -> web.Response:
    return await _list_page(request)


@refusals_on(_list_page)
async def open_poll(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    values = texts(await request.post(), FIELDS)
    kind = polls.parse_kind(values["kind"])
    poll_id = await node.funds.open_poll(
        request[MEMBER],
        values["title"],
        values["body"],
        kind,
        polls.parse_options(kind, values["options"]),
        polls.parse_quorum(values["quorum"]),
        parse_utc(values["closes"], Term("When the poll closes"), hub_zone()),
    )
    raise done(request, f"/polls/{poll_id}", _("Your proposal is open for votes."))


async def _poll_page(
    request: web.Request,
    poll_id: int | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    """The poll `poll_id`, or the one in the path."""
    node = request.config_dict[NODE]
    if poll_id is None:
        poll_id = path_number(request, "poll_id")
    poll = await node.funds.poll(poll_id)
    if poll is None:
        raise web.HTTPNotFound()
    return render(
        request,
        "poll.html",
        {
            "poll": poll,
            "voter": await node.funds.voter_status(request[MEMBER].id, poll_id),
            "turnout": await node.funds.turnout(poll_id),
            "needed": polls.quorum_needed(poll.electorate, poll.quorum_percent),
            "errors": errors or [],
        },
        status=status,
    )


async def poll_page(request: web.Request) -> web.Response:
    return await _poll_page(request)


@refusals_on(_poll_page)
async def vote(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    poll_id = path_number(request, "poll_id")
    if await node.funds.poll(poll_id) is None:
        raise web.HTTPNotFound()
    choice = text(await request.post(), "choice")
    if not is_digits(choice) or len(choice) > 3:
        raise FundsError(_("Choose one of the poll's options."))
    await node.funds.vote(request[MEMBER], poll_id, int(choice))
    raise done(
        request,
        f"/polls/{poll_id}",
        _("Your vote is recorded. How you voted is not kept with your name."),
    )


ROUTES = [
    Route("GET", "/polls", poll_list, Permission.MEMBER),
    Route("POST", "/polls", open_poll, Permission.MEMBER),
    Route("GET", "/polls/{poll_id}", poll_page, Permission.MEMBER),
    Route("POST", "/polls/{poll_id}/vote", vote, Permission.MEMBER),
]
