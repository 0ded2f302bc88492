"""The network's assemblies: bodies and delegates, motions, votes, results, voting records.

Reading pages are public: everything on them is signed and federated already, and
anyone may check every vote. Acting for the hub needs the permission the roles grant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crypto.errors import BadNodeId
from crypto.nodeid import parse_node_id
from node.accounts.members import Member
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.assembly import NATIONAL, Assembly, AssemblyError, body_words
from node.digits import is_digits
from protocol.errors import SchemaViolation
from protocol.kinds.assembly import Motion
from protocol.schema import check_body
from protocol.tally import Phase, is_abstain
from web.electing import local_time
from web.flash import done
from web.forms import refusals_on
from web.i18n import _
from web.keys import MEMBER
from web.motion_words import (
    FOR_AGAINST,
    KINDS,
    RULES,
    at_seconds,
    option_words,
    outcome_text,
    rules_explained,
    standing,
    summary,
)
from web.rendering import hub_zone, render, when
from web.routes import Route
from web.wording import words


def _assembly(request: web.Request) -> Assembly:
    return request.config_dict[NODE].assembly


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _motion_id(request: web.Request) -> bytes:
    text = request.match_info["motion_id"]
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise web.HTTPNotFound()
    return raw


# -- pages ------------------------------------------------------------------------


async def network(request: web.Request) -> web.Response:
    assembly = _assembly(request)
    seats = await assembly.seats()
    bodies = [
        {
            "title": words(body_words(body)),
            "seats": [
                {
                    "hub": s.hub,
                    "origin": s.origin,
                    "delegate": s.delegate,
                    "mandate": s.mandate.hex(),
                    "term": _("%(start)s to %(end)s")
                    % {"start": at_seconds(s.starts), "end": at_seconds(s.ends)},
                }
                for s in body_seats
            ],
        }
        for body, body_seats in sorted(seats.items(), key=lambda b: (b[0] != NATIONAL, b[0]))
    ]
    own = [
        {"body": m.body.body, "title": words(body_words(m.body.body)), "delegate": m.body.delegate}
        for m in await assembly.own_mandates()
    ]
    return render(request, "network.html", {"bodies": bodies, "own": own})


async def motions(request: web.Request) -> web.Response:
    assembly = _assembly(request)
    names = await assembly.hub_names()
    groups: dict[str, list[dict[str, Any]]] = {p.value: [] for p in Phase}
    for checked in await assembly.motions():
        groups[checked.result.phase.value].append(summary(checked, names))
    waiting = len(await assembly.waiting())
    return render(request, "motions.html", {"groups": groups, "waiting": waiting})


_EMPTY = {
    "body": NATIONAL,
    "title": "",
    "text": "",
    "options_kind": "for-against",
    "choices": "",
    "seconds_needed": "2",
    "closes": "",
    "rule": "majority",
    "quorum_percent": "50",
    "sealed": "",
}


async def _bodies(request: web.Request) -> list[str]:
    return [NATIONAL, *(f"region:{r}" for r in await _assembly(request).regions())]


async def new_motion(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    """The form to table a motion; a refused one as it was filled in."""
    posted = await request.post()
    form = {k: _field(posted, k) for k in _EMPTY} if errors else dict(_EMPTY)
    bodies = [(b, words(body_words(b))) for b in await _bodies(request)]
    context = {"form": form, "bodies": bodies, "errors": errors or []}
    return render(request, "motion_new.html", context, status=status)


def _parse_motion(form: dict[str, str]) -> Motion:
    """A Motion from the form, or AssemblyError naming what is wrong."""
    if form["options_kind"] == "choices":
        options = tuple(line.strip() for line in form["choices"].splitlines() if line.strip())
        if len(options) < 2:
            raise AssemblyError(_("Give at least two choices, one a line."))
    else:
        options = FOR_AGAINST
    numbers = {}
    for name, label in (("seconds_needed", _("Seconds needed")), ("quorum_percent", _("Quorum"))):
        if not is_digits(form[name]):
            raise AssemblyError(_("%(label)s must be a whole number.") % {"label": label})
        numbers[name] = int(form[name])
    written = local_time(form["closes"])
    if written is None:
        zone = str(hub_zone()).replace("_", " ")
        raise AssemblyError(_("Give the closing date and time (%s time).") % zone)
    closes = int(written.replace(tzinfo=hub_zone()).timestamp())
    if form["rule"] not in RULES:
        raise AssemblyError(_("Choose a decision rule."))
    motion = Motion(
        body=form["body"],
        title=form["title"],
        text=form["text"],
        options=options,
        seconds_needed=numbers["seconds_needed"],
        closes=closes,
        rule="two-thirds" if form["rule"] == "two-thirds" else "majority",
        quorum_percent=numbers["quorum_percent"],
        sealed=form["sealed"] == "yes",
    )
    try:
        check_body(motion)
    except SchemaViolation as exc:
        raise AssemblyError(_plain(exc.message)) from exc
    return motion


def _plain(message: str) -> str:
    text = message.split(": ", 1)[-1].removeprefix("Motion.")
    return text[:1].upper() + text[1:] + "."


@refusals_on(new_motion)
async def table_motion(request: web.Request) -> web.StreamResponse:
    assembly = _assembly(request)
    posted = await request.post()
    form = {k: _field(posted, k) for k in _EMPTY}
    if form["body"] not in await _bodies(request):
        raise AssemblyError(_("Choose the body the motion is for."))
    message = await assembly.table(_parse_motion(form), by=request[MEMBER])
    raise done(request, f"/network/motions/{message.id.hex()}", _("The motion is tabled."))


async def motion_page(
    request: web.Request, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    assembly = _assembly(request)
    checked = await assembly.result(_motion_id(request))
    if checked is None:
        raise web.HTTPNotFound()
    names = await assembly.hub_names()
    motion: Motion = checked.motion.body
    r = checked.result
    hubs = [
        {
            "hub": names.get(h.origin) or _("a hub"),
            "origin": h.origin,
            "delegate": h.delegate or "",
            "mandate": h.mandate.hex() if h.mandate else "",
            "choice": option_words(h.choice) if h.choice else h.choice,
            "note": _(h.note),
            "voted": h.vote is not None,
        }
        for h in r.hubs
    ]
    verdicts = [
        {
            "id": v.id.hex(),
            "kind": _(KINDS.get(v.kind, v.kind)),
            "hub": names.get(v.origin) or _("a hub"),
            "seq": v.seq,
            "when": when(v.ts),
            "counted": v.counted,
            "reason": _(v.reason),
        }
        for v in r.verdicts
    ]
    own = await assembly.own_mandate(motion.body)
    return render(
        request,
        "motion.html",
        {
            "id": checked.motion.id.hex(),
            "motion": motion,
            "body": words(body_words(motion.body)),
            "tabled_by": names.get(checked.motion.origin) or _("a hub"),
            "tabled_origin": checked.motion.origin,
            "tabled_when": when(checked.motion.created_at),
            "closes": at_seconds(motion.closes),
            "rules": rules_explained(motion),
            "result": r,
            "outcome": outcome_text(checked),
            "standing": standing(checked),
            "counts": [(option_words(o), n, is_abstain(o)) for o, n in r.counts],
            "options": [(o, option_words(o)) for o in motion.options],
            "hubs": hubs,
            "verdicts": verdicts,
            "own_delegate": own.body.delegate if own else None,
            "ours": checked.motion.origin == assembly.node_id,
            "sealed_choice": option_words(choice)
            if motion.sealed and (choice := await assembly.sealed_choice(checked.motion.id))
            else None,
            "errors": errors or [],
        },
        status=status,
    )


async def motion(request: web.Request) -> web.Response:
    return await motion_page(request)


async def _act(request: web.Request, act: Callable[[bytes, Member], Awaitable[object]]) -> None:
    """Check the motion in the path is one this node holds, then act on it for the member."""
    motion_id = _motion_id(request)
    if await _assembly(request).result(motion_id) is None:
        raise web.HTTPNotFound()
    await act(motion_id, request[MEMBER])


@refusals_on(motion_page)
async def second(request: web.Request) -> web.Response:
    await _act(request, lambda m, by: _assembly(request).second(m, by=by))
    # Back to the motion's page: the path without its last part (/second, /vote, /reveal).
    raise done(request, request.path.rsplit("/", 1)[0], _("This hub has seconded the motion."))


@refusals_on(motion_page)
async def vote(request: web.Request) -> web.Response:
    choice = _field(await request.post(), "choice")
    await _act(request, lambda m, by: _assembly(request).vote(m, choice, by=by))
    cast = _("This hub's vote is cast: %s.") % choice
    raise done(request, request.path.rsplit("/", 1)[0], cast)


@refusals_on(motion_page)
async def reveal(request: web.Request) -> web.Response:
    await _act(request, lambda m, by: _assembly(request).reveal(m, by=by))
    raise done(request, request.path.rsplit("/", 1)[0], _("This hub's vote is revealed."))


async def hub_record(request: web.Request) -> web.Response:
    try:
        origin = parse_node_id(request.match_info["node_id"])
    except BadNodeId as exc:
        raise web.HTTPNotFound() from exc
    assembly = _assembly(request)
    names = await assembly.hub_names()
    rows = []
    for checked, part in await assembly.record(origin):
        hub = part["hub"]
        rows.append(
            {
                **summary(checked, names),
                "tabled": checked.motion.origin == origin,
                "choice": hub.choice if hub else None,
                "note": hub.note if hub else "not in the body",
                "verdicts": [
                    {"kind": v.kind, "when": when(v.ts), "counted": v.counted, "reason": v.reason}
                    for v in part["verdicts"]
                ],
            }
        )
    return render(
        request,
        "hub_record.html",
        {"hub": names.get(origin, origin), "origin": origin, "rows": rows},
    )


ROUTES = [
    Route("GET", "/network", network, None),
    Route("GET", "/network/motions", motions, None),
    Route("GET", "/network/motions/new", new_motion, Permission.TABLE_MOTIONS),
    Route("POST", "/network/motions", table_motion, Permission.TABLE_MOTIONS),
    Route("GET", "/network/motions/{motion_id}", motion, None),
    Route("POST", "/network/motions/{motion_id}/second", second, Permission.TABLE_MOTIONS),
    Route("POST", "/network/motions/{motion_id}/vote", vote, Permission.CAST_NETWORK_VOTES),
    Route("POST", "/network/motions/{motion_id}/reveal", reveal, Permission.CAST_NETWORK_VOTES),
    Route("GET", "/network/hubs/{node_id}", hub_record, None),
]
