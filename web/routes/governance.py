"""The hub's governance pages: charter, roles, elections (nominate, accept, vote, results)
and members' notices. Every rule is the governance service's; these pages parse forms,
call it, and show its answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from node.accounts.permissions import ELECTED_ROLES, ROLE_TITLES, Permission, Role
from node.appkeys import NODE
from node.digits import is_digits, row_id
from node.governance import tally
from node.governance.service import Election, GovernanceError, Holder
from node.governance.terms import describe_date
from node.node import Node
from web.forms import refusals_on
from web.keys import MEMBER, NOTICES, UNREAD
from web.rendering import render, when
from web.routes import Route

DAY_MS = 86_400_000
METHOD_NAMES = {
    tally.PLURALITY: "Plurality: one choice each; the most votes wins",
    tally.INSTANT_RUNOFF: "Instant-runoff: rank the candidates; the fewest are eliminated in turn",
    tally.YES_NO: "Yes or no: carried by more yes than no",
}
PHASE_NAMES = {
    "nominations": "Nominations open",
    "waiting": "Nominations closed; voting opens soon",
    "voting": "Voting open",
    "closed": "Closed",
}


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _node(request: web.Request) -> Node:
    return request.config_dict[NODE]


def to_field(ms: int) -> str:
    """A time for a datetime-local field (UTC, to the minute)."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M")


def from_field(text: str, what: str) -> int:
    try:
        moment = dt.datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M")
    except ValueError as exc:
        raise GovernanceError(f"Give the time {what} as a date and time.") from exc
    return int(moment.replace(tzinfo=dt.UTC).timestamp()) * 1000


# -- charter ----------------------------------------------------------------------


_CHARTER_FIELDS = ("version", "title", "text")


async def charter(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    governance = _node(request).governance
    charter = await governance.charter()
    history = await governance.charter_history()
    posted = await request.post()
    # A refused charter is shown again as it was written.
    form = {k: _field(posted, k) for k in _CHARTER_FIELDS} if errors else None
    return render(
        request,
        "charter.html",
        {
            "charter": charter,
            "adopted": when(charter.adopted_at) if charter.adopted_at else None,
            "history": [
                {"version": c.version, "title": c.title, "when": when(c.adopted_at)}
                for c in history
            ],
            "errors": errors or [],
            "form": form or {"version": "", "title": charter.title, "text": charter.text},
        },
        status=status,
    )


@refusals_on(charter)
async def adopt_charter(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {k: _field(form, k) for k in _CHARTER_FIELDS}
    adopted = await _node(request).governance.adopt_charter(
        values["version"], values["title"], values["text"], by=request[MEMBER].id
    )
    request[NOTICES].append(f"Version {adopted.version} of the charter is adopted and published.")
    return await charter(request)


# -- roles ------------------------------------------------------------------------


async def roles(request: web.Request) -> web.Response:
    governance = _node(request).governance
    await governance.tick()
    holders = await governance.holders()
    by_role: dict[Role, Holder] = {h.role: h for h in holders if h.role != Role.INTERIM}
    rows = []
    for role in ELECTED_ROLES:
        holder = by_role.get(role)
        rows.append(
            {
                "title": ROLE_TITLES[role],
                "holder": (holder.name or "a former member") if holder else None,
                "since": describe_date(holder.starts_at) if holder else None,
                "until": describe_date(holder.ends_at) if holder and holder.ends_at else None,
            }
        )
    interim = [h.name or "a former member" for h in holders if h.role == Role.INTERIM]
    past = [
        {
            "title": ROLE_TITLES[h.role],
            "name": h.name or "a former member",
            "from": describe_date(h.starts_at),
            "until": describe_date(h.ends_at) if h.ends_at else "",
        }
        for h in await governance.past_holders()
    ]
    return render(request, "roles.html", {"rows": rows, "interim": interim, "past": past})


# -- elections ----------------------------------------------------------------------


def _summary(election: Election, now: int) -> dict[str, Any]:
    phase = election.phase(now)
    return {
        "id": election.id,
        "title": election.title,
        "phase": PHASE_NAMES[phase],
        "open": phase != "closed",
        "nominations_close": describe_date(election.nominations_close),
        "voting_opens": describe_date(election.voting_opens),
        "voting_closes": describe_date(election.voting_closes),
    }


async def elections(request: web.Request) -> web.Response:
    node = _node(request)
    await node.governance.tick()
    now = node.clock()
    items = [_summary(e, now) for e in await node.governance.elections()]
    return render(
        request,
        "elections.html",
        {"current": [i for i in items if i["open"]], "past": [i for i in items if not i["open"]]},
    )


def _new_defaults(now: int) -> dict[str, str]:
    start = now - now % 60_000
    return {
        "role": "",
        "method": tally.INSTANT_RUNOFF,
        "nominations_close": to_field(start + 7 * DAY_MS),
        "voting_opens": to_field(start + 7 * DAY_MS),
        "voting_closes": to_field(start + 14 * DAY_MS),
        "recall_role": "",
        "recall_opens": to_field(start),
        "recall_closes": to_field(start + 7 * DAY_MS),
    }


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
        {k: _field(posted, k) for k in _ELECTION_FIELDS + _RECALL_FIELDS if k in posted}
        if errors
        else {}
    )
    return render(
        request,
        "election_new.html",
        {
            "roles": [{"value": r.value, "title": ROLE_TITLES[r]} for r in ELECTED_ROLES],
            "held_roles": [
                {"value": r.value, "title": ROLE_TITLES[r]} for r in ELECTED_ROLES if r in holders
            ],
            "methods": [
                {"value": m, "title": METHOD_NAMES[m]}
                for m in (tally.INSTANT_RUNOFF, tally.PLURALITY)
            ],
            "form": {**_new_defaults(node.clock()), **form},
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
        raise GovernanceError("Choose one of the elected roles.") from exc
    if role not in ELECTED_ROLES:
        raise GovernanceError("Choose one of the elected roles.")
    return role


@refusals_on(_new_page)
async def open_election(request: web.Request) -> web.StreamResponse:
    node = _node(request)
    form = await request.post()
    values = {k: _field(form, k) for k in _ELECTION_FIELDS}
    election = await node.governance.open_election(
        _role(values["role"]),
        values["method"],
        from_field(values["nominations_close"], "nominations close"),
        from_field(values["voting_opens"], "voting opens"),
        from_field(values["voting_closes"], "voting closes"),
        by=request[MEMBER].id,
    )
    # See the election at its own address (reloading it then opens nothing twice).
    raise web.HTTPSeeOther(f"/elections/{election.id}")


@refusals_on(_new_page)
async def open_recall(request: web.Request) -> web.StreamResponse:
    node = _node(request)
    form = await request.post()
    values = {k: _field(form, k) for k in _RECALL_FIELDS}
    election = await node.governance.open_recall(
        _role(values["recall_role"]),
        from_field(values["recall_opens"], "voting opens"),
        from_field(values["recall_closes"], "voting closes"),
        by=request[MEMBER].id,
    )
    # See the election at its own address (reloading it then opens nothing twice).
    raise web.HTTPSeeOther(f"/elections/{election.id}")


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
        result = _result_view(election, election.result, names)
    return render(
        request,
        "election.html",
        {
            "e": election,
            "phase": phase,
            "phase_name": PHASE_NAMES[phase],
            "method_name": METHOD_NAMES[election.method],
            "opened": describe_date(election.opened_at),
            "nominations_close": describe_date(election.nominations_close),
            "voting_opens": describe_date(election.voting_opens),
            "voting_closes": describe_date(election.voting_closes),
            "nominations": [
                {
                    "name": n.name or "a former member",
                    "accepted": n.accepted,
                    "network_name": n.network_name,
                }
                for n in nominations
            ],
            "mine": mine,
            "others": others,
            "delegate": election.role == Role.DELEGATE,
            "candidates": [{"key": str(c.nominee), "name": c.name} for c in candidates],
            "ranks": list(range(1, len(candidates) + 1)),
            "voted": await governance.has_voted(election_id, member.id),
            "turnout": await governance.turnout(election_id),
            "recall_name": recall_name,
            "result": result,
            "errors": errors or [],
        },
        status=status,
    )


def _result_view(election: Election, result: tally.Result, names: dict[str, str]) -> dict[str, Any]:
    def name(key: str | None) -> str:
        if key is None:
            return ""
        if election.kind == "recall":
            return key
        return names.get(key, "a former member")

    keys = list(result.rounds[0].counts) if result.rounds else []
    keys.sort(key=lambda k: -result.rounds[0].counts[k])
    rounds = [
        {
            "number": i + 1,
            "counts": [r.counts.get(k) for k in keys],
            "exhausted": r.exhausted,
            "elected": name(r.elected),
            "eliminated": name(r.eliminated),
            "tied": [name(k) for k in r.tied],
        }
        for i, r in enumerate(result.rounds)
    ]
    if election.kind == "recall":
        outcome = (
            "Carried: the term ended when voting closed."
            if result.winner == "yes"
            else "Not carried: the holder stays in office."
        )
    elif not keys:
        outcome = "There were no candidates; the role stays vacant."
    elif result.ballots == 0:
        outcome = "Nobody voted; the role stays vacant."
    else:
        outcome = f"{name(result.winner)} was elected and took office when voting closed."
    return {
        "outcome": outcome,
        "ballots": result.ballots,
        "columns": [name(k) for k in keys],
        "rounds": rounds,
        "lots": sorted(((name(k), k, v) for k, v in result.lots.items()), key=lambda x: x[2]),
    }


async def _act(request: web.Request, action: Any, done: str) -> web.Response:
    await action(_election_id(request))
    request[NOTICES].append(done)
    return await election(request)


@refusals_on(election)
async def nominate(request: web.Request) -> web.Response:
    form = await request.post()
    me = request[MEMBER].id
    text = _field(form, "nominee")
    governance = _node(request).governance

    async def action(election_id: str) -> None:
        nominee = me if text == "me" else row_id(text)
        if nominee is None:
            raise GovernanceError("Choose whom to nominate.")
        await governance.nominate(
            election_id, nominee, by=me, network_name=_field(form, "network_name") or None
        )

    done = (
        "You are standing in this election."
        if text == "me"
        else "Nomination made: they will be asked to accept it."
    )
    return await _act(request, action, done)


@refusals_on(election)
async def accept(request: web.Request) -> web.Response:
    form = await request.post()
    governance = _node(request).governance
    member = request[MEMBER]

    async def action(election_id: str) -> None:
        await governance.accept(election_id, member.id, _field(form, "network_name") or None)

    return await _act(request, action, "You accepted the nomination: you are a candidate.")


@refusals_on(election)
async def decline(request: web.Request) -> web.Response:
    governance = _node(request).governance
    member = request[MEMBER]

    async def action(election_id: str) -> None:
        await governance.decline(election_id, member.id)

    return await _act(request, action, "You are no longer nominated in this election.")


def _ballot(form: Any, election: Election | None) -> tuple[str, ...]:
    if election is None:
        return ()
    if election.method == tally.INSTANT_RUNOFF:
        ranked: list[tuple[int, str]] = []
        for key in form:
            if key.startswith("rank-") and is_digits(_field(form, key)):
                ranked.append((int(_field(form, key)), key.removeprefix("rank-")))
        ranks = [r for r, _ in ranked]
        if len(set(ranks)) != len(ranks):
            raise GovernanceError("Give each candidate a different number.")
        return tuple(c for _, c in sorted(ranked))
    choice = _field(form, "choice")
    return (choice,) if choice else ()


@refusals_on(election)
async def vote(request: web.Request) -> web.Response:
    form = await request.post()
    governance = _node(request).governance
    member = request[MEMBER]

    async def action(election_id: str) -> None:
        election = await governance.election(election_id)
        if election is None:
            raise web.HTTPNotFound()
        await governance.vote(election_id, member.id, _ballot(form, election))

    return await _act(
        request, action, "Your vote is cast. It is secret: the hub keeps that you voted, not how."
    )


# -- notices ------------------------------------------------------------------------


async def _notices_page(request: web.Request) -> web.Response:
    node = _node(request)
    items = [
        {"id": n.id, "text": n.text, "link": n.link, "when": when(n.created_at), "read": n.read}
        for n in await node.notices.recent(request[MEMBER].id)
    ]
    return render(request, "notices.html", {"items": items})


async def notices(request: web.Request) -> web.Response:
    return await _notices_page(request)


async def read_all(request: web.Request) -> web.Response:
    changed = await _node(request).notices.mark_read(request[MEMBER].id)
    request[UNREAD] = 0
    request[NOTICES].append(f"{changed} marked read." if changed else "Nothing was unread.")
    return await _notices_page(request)


async def read_one(request: web.Request) -> web.Response:
    notice_id = row_id(request.match_info["notice_id"])
    if notice_id is None:
        raise web.HTTPNotFound()
    node = _node(request)
    await node.notices.mark_read(request[MEMBER].id, notice_id)
    request[UNREAD] = await node.notices.unread_count(request[MEMBER].id)
    return await _notices_page(request)


ROUTES = [
    Route("GET", "/charter", charter, None),
    Route("POST", "/charter", adopt_charter, Permission.ADOPT_CHARTER),
    Route("GET", "/roles", roles, Permission.MEMBER),
    Route("GET", "/elections", elections, Permission.MEMBER),
    Route("GET", "/elections/new", new_election, Permission.RUN_ELECTIONS),
    Route("POST", "/elections/new", open_election, Permission.RUN_ELECTIONS),
    Route("POST", "/elections/recall", open_recall, Permission.RUN_ELECTIONS),
    Route("GET", "/elections/{election_id}", election, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/nominate", nominate, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/accept", accept, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/decline", decline, Permission.MEMBER),
    Route("POST", "/elections/{election_id}/vote", vote, Permission.MEMBER),
    Route("GET", "/notices", notices, Permission.MEMBER),
    Route("POST", "/notices/read", read_all, Permission.MEMBER),
    Route("POST", "/notices/{notice_id}/read", read_one, Permission.MEMBER),
]
