"""Participatory budgeting pages: rounds, proposals, approvals and results."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.digits import is_digits
from node.funds.budget import Phase
from node.funds.errors import FundsError
from node.funds.rounds import RoundView
from node.funds.units import parse_pounds, parse_utc, utc_field
from node.wording import Term
from web.flash import done
from web.forms import path_number, refusals_on, texts
from web.i18n import _, ngettext
from web.keys import MEMBER
from web.rendering import hub_zone, render, span, time_left, when
from web.routes import Route

ROUND_FIELDS = ("title", "amount", "proposals_close", "voting_open", "voting_close")
PROPOSAL_FIELDS = ("title", "description", "cost")
MINUTE_MS = 60_000


def describe_phase(r: RoundView, now: int) -> str:
    """Where the round is, with the next time that matters and how long until it."""
    w = r.windows
    times = {
        "proposals_close": when(w.proposals_close_at),
        "voting_open": when(w.voting_open_at),
        "voting_close": when(w.voting_close_at),
    }
    if r.phase is Phase.PROPOSALS:
        return _(
            "Taking proposals until %(proposals_close)s (%(left)s);"
            " voting %(voting_open)s to %(voting_close)s."
        ) % {**times, "left": time_left(now, w.proposals_close_at)}
    if r.phase is Phase.WAITING:
        return _("Proposals have closed; voting opens %(voting_open)s, %(left)s.") % {
            **times,
            "left": time_left(now, w.voting_open_at),
        }
    if r.phase is Phase.VOTING:
        return _("Voting closes at %(voting_close)s, %(left)s.") % {
            **times,
            "left": time_left(now, w.voting_close_at),
        }
    return _("Decided: voting closed %(voting_close)s.") % times


async def _list_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    now = node.clock()
    # A refused round is shown again as it was filled in.
    values = texts(await request.post(), ROUND_FIELDS) if errors else {}
    # Suggested windows, from the hub's settings (a fortnight, then a week, unless set).
    # Whole minutes, rounded up, so a short practice round is not cut short by seconds.
    start = -(-now // MINUTE_MS) * MINUTE_MS
    proposals_close = start + node.config.budget_proposal_minutes * MINUTE_MS
    defaults = {
        "proposals_close": utc_field(proposals_close, hub_zone()),
        "voting_open": utc_field(proposals_close, hub_zone()),
        "voting_close": utc_field(
            proposals_close + node.config.budget_voting_minutes * MINUTE_MS, hub_zone()
        ),
    }
    return render(
        request,
        "budget.html",
        {
            "rounds": [
                {"round": r, "phase": describe_phase(r, now)} for r in await node.funds.rounds()
            ],
            "available": (await node.funds.summary()).available,
            "shortest": span(node.funds.budgeting.shortest_window_ms),
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
        parse_pounds(values["amount"], Term("The round's amount")),
        parse_utc(values["proposals_close"], Term("When proposals close"), hub_zone()),
        parse_utc(values["voting_open"], Term("When voting opens"), hub_zone()),
        parse_utc(values["voting_close"], Term("When voting closes"), hub_zone()),
    )
    raise done(request, f"/budget/{round_id}", _("The budget round is open."))


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
    chosen = node.funds.budgeting.chosen(request[MEMBER].id, round_id)
    chosen_total = sum(p.cost for p in proposals if p.id in chosen)
    return render(
        request,
        "budget_round.html",
        {
            "round": r,
            "phase": describe_phase(r, node.clock()),
            "chosen": chosen,
            "chosen_total": chosen_total,
            "over": chosen_total > r.amount,
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
        parse_pounds(values["cost"], Term("The cost")),
    )
    raise done(
        request,
        f"/budget/{round_id}",
        _("Your proposal “%(title)s” has been added.") % {"title": values["title"].strip()},
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
        raise FundsError(_("You can only approve proposals made in this round."))
    await node.funds.approve(request[MEMBER], round_id, [int(v) for v in chosen])
    raise done(
        request,
        f"/budget/{round_id}",
        ngettext(
            "Your approvals are recorded (%(num)d proposal). Who approved what is not kept.",
            "Your approvals are recorded (%(num)d proposals). Who approved what is not kept.",
            len(chosen),
        )
        % {"num": len(chosen)},
    )


def _proposal_number(form: Mapping[str, object]) -> int:
    value = form.get("proposal", "")
    if not isinstance(value, str) or not is_digits(value) or len(value) > 12:
        raise FundsError(_("You can only approve proposals made in this round."))
    return int(value)


@refusals_on(_round_page)
async def choose(request: web.Request) -> web.StreamResponse:
    """Add a proposal to the member's choices, or take it out; back to the round, where
    the running total is worked out (no script needed)."""
    node = request.config_dict[NODE]
    round_id = path_number(request, "round_id")
    form = await request.post()
    proposal = _proposal_number(form)
    chosen = form.get("chosen") == "yes"
    await node.funds.budgeting.choose(request[MEMBER], round_id, proposal, chosen=chosen)
    raise done(
        request,
        f"/budget/{round_id}#proposal-{proposal}",
        _("Added to your choices.") if chosen else _("Taken out of your choices."),
    )


async def review(request: web.Request) -> web.Response:
    """The member's choices and their total, to check before sending them once."""
    node = request.config_dict[NODE]
    round_id = path_number(request, "round_id")
    r = await node.funds.get_round(round_id)
    if r is None:
        raise web.HTTPNotFound()
    if r.phase is not Phase.VOTING or await node.funds.has_approved(request[MEMBER].id, round_id):
        raise web.HTTPSeeOther(f"/budget/{round_id}")
    chosen = node.funds.budgeting.chosen(request[MEMBER].id, round_id)
    picked = [p for p in await node.funds.proposals(round_id) if p.id in chosen]
    total = sum(p.cost for p in picked)
    return render(
        request,
        "budget_review.html",
        {
            "round": r,
            "phase": describe_phase(r, node.clock()),
            "picked": picked,
            "total": total,
            "over": total > r.amount,
        },
    )


ROUTES = [
    Route("GET", "/budget", budget, Permission.MEMBER),
    Route("POST", "/budget", open_round, Permission.MANAGE_FUNDS),
    Route("GET", "/budget/{round_id}", round_page, Permission.MEMBER),
    Route("POST", "/budget/{round_id}/proposals", propose, Permission.MEMBER),
    Route("POST", "/budget/{round_id}/choices", choose, Permission.MEMBER),
    Route("GET", "/budget/{round_id}/review", review, Permission.MEMBER),
    Route("POST", "/budget/{round_id}/approvals", approve, Permission.MEMBER),
]
