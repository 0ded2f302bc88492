"""Participatory budgeting pages: rounds, proposals, approvals and results."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.digits import is_digits
from node.funds.budget import HOUR_MS, Phase
from node.funds.errors import FundsError
from node.funds.rounds import RoundView
from node.funds.units import parse_pounds, parse_utc, utc_field
from web.flash import done
from web.forms import path_number, refusals_on, texts
from web.keys import MEMBER
from web.rendering import render, when
from web.routes import Route

ROUND_FIELDS = ("title", "amount", "proposals_close", "voting_open", "voting_close")
PROPOSAL_FIELDS = ("title", "description", "cost")
DAY_MS = 24 * HOUR_MS


def describe_phase(r: RoundView) -> str:
    w = r.windows
    if r.phase is Phase.PROPOSALS:
        return (
            f"Taking proposals until {when(w.proposals_close_at)};"
            f" voting {when(w.voting_open_at)} to {when(w.voting_close_at)}."
        )
    if r.phase is Phase.WAITING:
        return f"Proposals have closed; voting opens {when(w.voting_open_at)}."
    if r.phase is Phase.VOTING:
        return f"Voting until {when(w.voting_close_at)}."
    return f"Decided: voting closed {when(w.voting_close_at)}."


async def _list_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    now = node.clock()
    # A refused round is shown again as it was filled in.
    values = texts(await request.post(), ROUND_FIELDS) if errors else {}
    # Suggested windows: a fortnight for proposals, then a week of voting.
    defaults = {
        "proposals_close": utc_field(now + 14 * DAY_MS),
        "voting_open": utc_field(now + 14 * DAY_MS),
        "voting_close": utc_field(now + 21 * DAY_MS),
    }
    return render(
        request,
        "budget.html",
        {
            "rounds": [{"round": r, "phase": describe_phase(r)} for r in await node.funds.rounds()],
            "available": (await node.funds.summary()).available,
            "values": {**defaults, **values},
            "errors": errors or [],
        },
        status=status,
    )


async def budget(request: web.Request) -> web.Response:
    return await _list_page(request)


@refusals_on(_list_page)
async def open_round(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    values = texts(await request.post(), ROUND_FIELDS)
    round_id = await node.funds.open_round(
        request[MEMBER],
        values["title"],
        parse_pounds(values["amount"], "The round's amount"),
        parse_utc(values["proposals_close"], "When proposals close"),
        parse_utc(values["voting_open"], "When voting opens"),
        parse_utc(values["voting_close"], "When voting closes"),
    )
    raise done(request, f"/budget/{round_id}", "The budget round is open.")


async def _round_page(
    request: web.Request,
    round_id: int | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    """The round `round_id`, or the one in the path; a refused proposal is shown
    again as it was filled in."""
    node = request.config_dict[NODE]
    if round_id is None:
        round_id = path_number(request, "round_id")
    r = await node.funds.get_round(round_id)
    if r is None:
        raise web.HTTPNotFound()
    values = texts(await request.post(), PROPOSAL_FIELDS) if errors else {}
    proposals = await node.funds.proposals(round_id)
    funded = [p for p in proposals if p.outcome is not None and p.outcome.funded]
    decided = r.resolved_at is not None
    return render(
        request,
        "budget_round.html",
        {
            "round": r,
            "phase": describe_phase(r),
            "proposals": proposals,
            "taking_proposals": r.phase is Phase.PROPOSALS,
            "voting": r.phase is Phase.VOTING,
            "decided": decided,
            "approved": await node.funds.has_approved(request[MEMBER].id, round_id),
            "voters": await node.funds.voters(round_id),
            "funded_total": sum(p.cost for p in funded),
            "left_over": r.amount - sum(p.cost for p in funded),
            "seed": r.seed.hex(),
            "values": values,
            "errors": errors or [],
        },
        status=status,
    )


async def round_page(request: web.Request) -> web.Response:
    return await _round_page(request)


@refusals_on(_round_page)
async def propose(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    round_id = path_number(request, "round_id")
    if await node.funds.get_round(round_id) is None:
        raise web.HTTPNotFound()
    values = texts(await request.post(), PROPOSAL_FIELDS)
    await node.funds.propose(
        request[MEMBER],
        round_id,
        values["title"],
        values["description"],
        parse_pounds(values["cost"], "The cost"),
    )
    raise done(
        request, f"/budget/{round_id}", f"Your proposal “{values['title'].strip()}” has been added."
    )


@refusals_on(_round_page)
async def approve(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    round_id = path_number(request, "round_id")
    if await node.funds.get_round(round_id) is None:
        raise web.HTTPNotFound()
    form = await request.post()
    chosen = [v for v in form.getall("proposal", []) if isinstance(v, str)]
    if not all(is_digits(v) and len(v) <= 12 for v in chosen):
        raise FundsError("You can only approve proposals made in this round.")
    await node.funds.approve(request[MEMBER], round_id, [int(v) for v in chosen])
    raise done(
        request,
        f"/budget/{round_id}",
        f"Your approvals are recorded ({len(chosen)} proposal{'s' * (len(chosen) != 1)})."
        " Who approved what is not kept.",
    )


ROUTES = [
    Route("GET", "/budget", budget, Permission.MEMBER),
    Route("POST", "/budget", open_round, Permission.MANAGE_FUNDS),
    Route("GET", "/budget/{round_id}", round_page, Permission.MEMBER),
    Route("POST", "/budget/{round_id}/proposals", propose, Permission.MEMBER),
    Route("POST", "/budget/{round_id}/approvals", approve, Permission.MEMBER),
]
