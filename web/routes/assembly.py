"""The network's assemblies: bodies and delegates, motions, votes, results, voting records.

Reading pages are public: everything on them is signed and federated already, and
anyone may check every vote. Acting for the hub needs the permission the roles grant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crypto.errors import BadNodeId
from crypto.nodeid import NodeId, parse_node_id
from node.accounts.members import Member
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.assembly import NATIONAL, Assembly, AssemblyError, body_words
from node.assembly_records import Checked
from node.digits import is_digits
from protocol.errors import SchemaViolation
from protocol.kinds.assembly import Motion
from protocol.schema import check_body
from protocol.tally import REVEAL_SECONDS, Phase, is_abstain
from web.electing import local_time
from web.flash import done
from web.forms import refusals_on
from web.i18n import N_, _, ngettext
from web.keys import MEMBER
from web.rendering import hub_zone, render, when
from web.routes import Route
from web.wording import words

FOR_AGAINST = (N_("For"), N_("Against"), N_("Abstain"))
# What each kind of message a motion is counted from is, in words (web/node_words.py).
_KINDS = {
    "motion": "Motion",
    "motion.second": "Second",
    "delegate.vote": "Vote",
    "delegate.reveal": "Sealed vote revealed",
    "delegate.mandate": "Delegate's mandate",
    "delegate.recall": "Recall of a delegate",
}
# The words of a motion's own rule, in the page's language where shown.
_RULES = {
    "majority": N_("a simple majority: the winning option needs more than half of the votes cast"),
    "two-thirds": N_("two thirds: the winning option needs at least two thirds of the votes cast"),
}


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


def _seconds(s: int) -> str:
    return when(s * 1000)


def _summary(checked: Checked, names: dict[NodeId, str]) -> dict[str, Any]:
    motion: Motion = checked.motion.body
    r = checked.result
    return {
        "id": checked.motion.id.hex(),
        "title": motion.title,
        "body": words(body_words(motion.body)),
        "hub": names.get(checked.motion.origin) or _("a hub"),
        "closes": _seconds(motion.closes),
        "phase": r.phase.value,
        "seconds": r.seconds,
        "seconds_needed": r.seconds_needed,
        "outcome": _outcome_text(checked),
        "sealed": motion.sealed,
    }


def _standing(checked: Checked) -> str:
    """Where the motion is, in words, and whether its result can still change."""
    r = checked.result
    motion: Motion = checked.motion.body
    if r.phase is Phase.SECONDING:
        return _("waiting for seconds until %(closes)s; not final") % {
            "closes": _seconds(motion.closes)
        }
    if r.phase is Phase.VOTING:
        return _("voting open until %(closes)s; not final") % {"closes": _seconds(motion.closes)}
    if r.phase is Phase.REVEALING:
        return _("voting closed; sealed votes are revealed until %(ends)s; not final") % {
            "ends": _seconds(motion.closes + REVEAL_SECONDS)
        }
    return _("final")


def _outcome_text(checked: Checked) -> str:
    r = checked.result
    rules: Motion = checked.motion.body
    if r.outcome == "not-seconded":
        outcome = ngettext(
            "not seconded (%(seconds)s of %(needed)s second)",
            "not seconded (%(seconds)s of %(needed)s seconds)",
            r.seconds_needed,
        ) % {"seconds": r.seconds, "needed": r.seconds_needed}
    elif r.outcome == "no-quorum":
        outcome = ngettext(
            "quorum not reached (%(took_part)s of %(hubs)s hub took part; %(needed)s needed)",
            "quorum not reached (%(took_part)s of %(hubs)s hubs took part; %(needed)s needed)",
            r.hubs_in_body,
        ) % {"took_part": r.participating, "hubs": r.hubs_in_body, "needed": r.quorum_needed}
    elif r.outcome == "no-decision":
        outcome = (
            _("no option reached a simple majority")
            if rules.rule == "majority"
            else _("no option reached two thirds")
        )
    else:
        outcome = _("decided: %(option)s") % {"option": _option(r.decided or "")}
    return outcome if r.final else _("So far: %(outcome)s") % {"outcome": outcome}


def _option(option: str) -> str:
    """A motion's option as shown: the standard For, Against and Abstain in the page's
    language, an option the motion's author wrote as written."""
    return _(option) if option in FOR_AGAINST else option


def _rules_explained(motion: Motion) -> list[str]:
    lines = [
        ngettext(
            "It goes to the vote once %(num)d hub other than the one that tabled it has"
            " seconded it, through a delegate in office for this body.",
            "It goes to the vote once %(num)d hubs other than the one that tabled it have"
            " seconded it, each through a delegate in office for this body.",
            motion.seconds_needed,
        )
        % {"num": motion.seconds_needed},
        _(
            "Each hub in the body has one vote, cast by its delegate, until %(closes)s. A hub"
            " may change its vote until then: its last vote counts."
        )
        % {"closes": _seconds(motion.closes)},
        _(
            "The decision rule is %(rule)s. Abstentions count towards the quorum but are not"
            " votes cast."
        )
        % {"rule": _(_RULES[motion.rule])},
        _(
            "Quorum: at least %(percent)s%% of the hubs in the body must vote. The hubs in the"
            " body are those whose delegate's mandate for it is in force at the close, and any"
            " other hub whose vote counted."
        )
        % {"percent": motion.quorum_percent},
    ]
    if motion.sealed:
        days = REVEAL_SECONDS // 86400
        lines.append(
            ngettext(
                "Votes are sealed: each hub publishes only a commitment until the close, then"
                " reveals its choice within %(num)d day. A vote never revealed counts as an"
                " abstention.",
                "Votes are sealed: each hub publishes only a commitment until the close, then"
                " reveals its choice within %(num)d days. A vote never revealed counts as an"
                " abstention.",
                days,
            )
            % {"num": days}
        )
    return lines


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
                    % {"start": _seconds(s.starts), "end": _seconds(s.ends)},
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
        groups[checked.result.phase.value].append(_summary(checked, names))
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
    if form["rule"] not in _RULES:
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
            "choice": _option(h.choice) if h.choice else h.choice,
            "note": _(h.note),
            "voted": h.vote is not None,
        }
        for h in r.hubs
    ]
    verdicts = [
        {
            "id": v.id.hex(),
            "kind": _(_KINDS.get(v.kind, v.kind)),
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
            "closes": _seconds(motion.closes),
            "rules": _rules_explained(motion),
            "result": r,
            "outcome": _outcome_text(checked),
            "standing": _standing(checked),
            "counts": [(_option(o), n, is_abstain(o)) for o, n in r.counts],
            "options": [(o, _option(o)) for o in motion.options],
            "hubs": hubs,
            "verdicts": verdicts,
            "own_delegate": own.body.delegate if own else None,
            "ours": checked.motion.origin == assembly.node_id,
            "sealed_choice": _option(choice)
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
                **_summary(checked, names),
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
