"""The election pages: the list, opening an election or a recall vote, and one
election's page with its forms (nominate, accept, decline, vote). Every rule is the
governance service's (node/governance/elections.py); these pages parse forms, call it,
and show its answers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.accounts.permissions import (
    ELECTED_ROLES,
    ROLE_DESCRIPTIONS,
    ROLE_TITLES,
    Permission,
    Role,
)
from node.appkeys import NODE
from node.digits import row_id
from node.governance import tally
from node.governance.records import GovernanceError
from node.node import Node
from web.electing import (
    METHOD_NAMES,
    PHASE_NAMES,
    ballot,
    field,
    from_field,
    new_defaults,
    result_view,
    summary,
)
from web.flash import done as flash
from web.forms import refusals_on
from web.i18n import N_, _
from web.keys import MEMBER
from web.rendering import describe_date, render
from web.routes import Route


def _node(request: web.Request) -> Node:
    return request.config_dict[NODE]


async def elections(request: web.Request) -> web.Response:
    node = _node(request)
    await node.governance.tick()
    now = node.clock()
    items = [summary(e, now) for e in await node.governance.elections()]
    return render(
        request,
        "elections.html",
        {"current": [i for i in items if i["open"]], "past": [i for i in items if not i["open"]]},
    )


_ELECTION_FIELDS = ("role", "method", "nominations_close", "voting_opens", "voting_closes")
_RECALL_FIELDS = ("recall_role", "recall_opens", "recall_closes")


async def _new_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = _node(request)
    holders = {h.role for h in await node.governance.holders()}
    posted = await request.post()
    # A refused election or recall is shown again as it was filled in; the other
    # form on the page keeps its defaults.
    form = (
        {k: field(posted, k) for k in _ELECTION_FIELDS + _RECALL_FIELDS if k in posted}
        if errors
        else {}
    )
    return render(
        request,
        "election_new.html",
        {
            "roles": [
                {"value": r.value, "title": ROLE_TITLES[r], "about": ROLE_DESCRIPTIONS[r]}
                for r in ELECTED_ROLES
            ],
            "held_roles": [
                {"value": r.value, "title": ROLE_TITLES[r]} for r in ELECTED_ROLES if r in holders
            ],
            "methods": [
                {"value": m, "title": _(METHOD_NAMES[m])}
                for m in (tally.INSTANT_RUNOFF, tally.PLURALITY)
            ],
            "form": {**new_defaults(node.clock()), **form},
            "errors": errors or [],
        },
        status=status,
    )


async def new_election(request: web.Request) -> web.Response:
    await _node(request).governance.tick()
    return await _new_page(request)


def _role(text: str) -> Role:
    try:
        role = Role(text)
    except ValueError as exc:
        raise GovernanceError(_("Choose one of the elected roles.")) from exc
    if role not in ELECTED_ROLES:
        raise GovernanceError(_("Choose one of the elected roles."))
    return role


@refusals_on(_new_page)
async def open_election(request: web.Request) -> web.StreamResponse:
    node = _node(request)
    form = await request.post()
    values = {k: field(form, k) for k in _ELECTION_FIELDS}
    election = await node.governance.open_election(
        _role(values["role"]),
        values["method"],
        from_field(values["nominations_close"], "nominations close"),
        from_field(values["voting_opens"], "voting opens"),
        from_field(values["voting_closes"], "voting closes"),
        by=request[MEMBER],
    )
    # See the election at its own address (reloading it then opens nothing twice).
    raise flash(request, f"/elections/{election.id}", _("The election is open for nominations."))


@refusals_on(_new_page)
async def open_recall(request: web.Request) -> web.StreamResponse:
    node = _node(request)
    form = await request.post()
    values = {k: field(form, k) for k in _RECALL_FIELDS}
    election = await node.governance.open_recall(
        _role(values["recall_role"]),
        from_field(values["recall_opens"], "voting opens"),
        from_field(values["recall_closes"], "voting closes"),
        by=request[MEMBER],
    )
    # See the election at its own address (reloading it then opens nothing twice).
    raise flash(request, f"/elections/{election.id}", _("The recall vote is open."))


def _election_id(request: web.Request) -> str:
    text = request.match_info["election_id"]
    if len(text) != 32 or not all(c in "0123456789abcdef" for c in text):
        raise web.HTTPNotFound()
    return text


async def election(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = _node(request)
    governance = node.governance
    election_id = _election_id(request)
    await governance.tick()
    election = await governance.election(election_id)
    if election is None:
        raise web.HTTPNotFound()
    member = request[MEMBER]
    now = node.clock()
    phase = election.phase(now)
    nominations = await governance.nominations(election_id)
    names = {str(n.nominee): n.name or "a former member" for n in nominations}
    mine = next((n for n in nominations if n.nominee == member.id), None)
    candidates = await governance.candidates(election_id)
    nominees = {n.nominee for n in nominations}
    others = []
    if phase == "nominations" and election.kind == "election":
        others = [
            {"id": i, "name": n}
            for i, n in await node.members.active_names()
            if i != member.id and i not in nominees
        ]
    recall_name = None
    if election.kind == "recall" and election.recall_member is not None:
        held = await node.members.get(election.recall_member)
        recall_name = (held.name if held else None) or "a former member"
    result = None
    if election.result is not None:
        result = result_view(election, election.result, names)
    posted = await request.post()
    return render(
        request,
        "election.html",
        {
            "e": election,
            "phase": phase,
            "phase_name": _(PHASE_NAMES[phase]),
            "time_left": summary(election, now)["left"],
            "role_title": _(ROLE_TITLES[election.role]),
            "role_description": ROLE_DESCRIPTIONS[election.role],
            # A refused nomination shows the statement again as it was written.
            "statement": field(posted, "statement") if errors else "",
            "method_name": _(METHOD_NAMES[election.method]),
            "opened": describe_date(election.opened_at),
            "nominations_close": describe_date(election.nominations_close),
            "voting_opens": describe_date(election.voting_opens),
            "voting_closes": describe_date(election.voting_closes),
            "nominations": [
                {
                    "name": n.name or "a former member",
                    "accepted": n.accepted,
                    "network_name": n.network_name,
                    "statement": n.statement,
                }
                for n in nominations
            ],
            "mine": mine,
            "others": others,
            "delegate": election.role == Role.DELEGATE,
            "candidates": [
                {"key": str(c.nominee), "name": c.name, "statement": c.statement}
                for c in candidates
            ],
            "ranks": list(range(1, len(candidates) + 1)),
            "voted": await governance.has_voted(election_id, member.id),
            "turnout": await governance.turnout(election_id),
            "recall_name": recall_name,
            "result": result,
            "errors": errors or [],
        },
        status=status,
    )


async def _act(request: web.Request, action: Any, done: str) -> web.Response:
    await action(_election_id(request))
    raise flash(request, f"/elections/{_election_id(request)}", _(done))


@refusals_on(election)
async def nominate(request: web.Request) -> web.Response:
    form = await request.post()
    me = request[MEMBER]
    text = field(form, "nominee")
    governance = _node(request).governance

    async def action(election_id: str) -> None:
        nominee = me.id if text == "me" else row_id(text)
        if nominee is None:
            raise GovernanceError(_("Choose whom to nominate."))
        await governance.nominate(
            election_id,
            nominee,
            by=me,
            network_name=field(form, "network_name") or None,
            statement=field(form, "statement") if text == "me" else None,
        )

    done = (
        N_("You are standing in this election.")
        if text == "me"
        else N_("Nomination made: they will be asked to accept it.")
    )
    return await _act(request, action, done)


@refusals_on(election)
async def accept(request: web.Request) -> web.Response:
    form = await request.post()
    governance = _node(request).governance
    member = request[MEMBER]

    async def action(election_id: str) -> None:
        await governance.accept(
            election_id, member, field(form, "network_name") or None, field(form, "statement")
        )

    return await _act(request, action, N_("You accepted the nomination: you are a candidate."))


@refusals_on(election)
async def decline(request: web.Request) -> web.Response:
    governance = _node(request).governance
    member = request[MEMBER]

    async def action(election_id: str) -> None:
        await governance.decline(election_id, member)

    return await _act(request, action, N_("You are no longer nominated in this election."))


async def vote(request: web.Request) -> web.Response:
    form = await request.post()
    governance = _node(request).governance
    member = request[MEMBER]

    async def action(election_id: str) -> None:
        election = await governance.election(election_id)
        if election is None:
            raise web.HTTPNotFound()
        await governance.vote(election_id, member, ballot(form, election))

    return await _act(
        request,
        action,
        N_("Your vote is cast. It is secret: the hub keeps that you voted, not how."),
    )


# One table, in this order: /elections/new is registered before /elections/{election_id}.
ROUTES = [
    Route("GET", "/elections", elections, Permission.MEMBER),
    Route("GET", "/elections/new", new_election, Permission.RUN_ELECTIONS),
    Route("POST", "/elections/new", open_election, Permission.RUN_ELECTIONS),
    Route("POST", "/elections/recall", open_recall, Permission.RUN_ELECTIONS),
    Route("GET", "/elections/{election_id}", election, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/nominate", nominate, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/accept", accept, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/decline", decline, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/vote", vote, Permission.MEMBER),
]
