"""Organisers' pages: members (approve, reject, suspend, reset links), peers, node health."""

from __future__ import annotations

from aiohttp import web

from crypto.errors import BadNodeId
from crypto.nodeid import parse_node_id
from node.accounts.members import Member
from node.accounts.permissions import Permission
from node.appkeys import FEDERATION, NODE
from node.digits import row_id
from node.federation.admin import PeerAdmin
from node.federation.invites import Invite
from web.flash import done as flash
from web.forms import refusals_on, text
from web.i18n import N_, _
from web.keys import MEMBER
from web.onion import ONION_URL, base_url
from web.rendering import describe_age, render, when
from web.routes import Handler, Route

_SECTIONS = (
    (
        N_("Applications waiting"),
        "applied",
        (("approve", N_("Approve"), ""), ("reject", N_("Reject"), "secondary")),
    ),
    (
        N_("Members"),
        "active",
        (("suspend", N_("Suspend"), "secondary"), ("reset", N_("Reset link"), "secondary")),
    ),
    (N_("Suspended"), "suspended", (("reinstate", N_("Reinstate"), ""),)),
)


def _row(m: Member) -> dict[str, object]:
    return {
        "id": m.id,
        "name": m.name,
        "email": m.email,
        "statement": m.statement,
        "applied": when(m.applied_at),
    }


async def _members_page(
    request: web.Request,
    *,
    errors: list[str] | None = None,
    reset: tuple[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    node = request.config_dict[NODE]
    sections = []
    for title, state, actions in _SECTIONS:
        members = await node.members.by_status(state)
        sections.append(
            {
                "title": _(title),
                "members": [_row(m) for m in members],
                "actions": [
                    {"verb": v, "label": _(label), "style": style} for v, label, style in actions
                ],
            }
        )
    return render(
        request,
        "members.html",
        {
            "sections": sections,
            "errors": errors or [],
            "reset_link": reset[1] if reset else None,
            "reset_for": reset[0] if reset else None,
        },
        status=status,
    )


async def members(request: web.Request) -> web.Response:
    return await _members_page(request)


_BULK = {"approve": ("active", "approved"), "reject": ("rejected", "rejected")}


@refusals_on(_members_page)
async def decide_many(request: web.Request) -> web.StreamResponse:
    """Approve or reject the ticked applications with one button."""
    node = request.config_dict[NODE]
    form = await request.post()
    decision = _BULK.get(text(form, "decision"))
    if decision is None:
        raise web.HTTPBadRequest(reason="approve or reject")
    ids = [row_id(v) for v in form.getall("member", []) if isinstance(v, str)]
    chosen = [i for i in ids if i is not None]
    if not chosen:
        return await _members_page(
            request, errors=[_("Tick at least one application first.")], status=400
        )
    status, verb = decision
    decided = await node.applications.decide_many(chosen, status, by=request[MEMBER])
    line = f"{len(decided.done)} {verb}."
    if decided.refused:
        line += f" {len(decided.refused)} already decided by someone else: left as they are."
    raise flash(request, "/organise/members", line)


def _member_id(request: web.Request) -> int:
    member_id = row_id(request.match_info["member_id"])
    if member_id is None:
        raise web.HTTPNotFound()
    return member_id


def _decide(verb: str, status: str, done: str) -> Handler:
    """The handler of one decision on an account (its route is /organise/members/{id}/verb)."""

    @refusals_on(_members_page)
    async def handler(request: web.Request) -> web.StreamResponse:
        node = request.config_dict[NODE]
        # Through the applications service: an applicant is emailed the outcome.
        member = await node.applications.decide(_member_id(request), status, by=request[MEMBER])
        raise flash(request, "/organise/members", f"{member.name}: {_(done)}.")

    handler.__name__ = verb
    return handler


approve = _decide("approve", "active", N_("approved"))
reject = _decide("reject", "rejected", N_("application rejected"))
suspend = _decide("suspend", "suspended", N_("suspended"))
reinstate = _decide("reinstate", "active", N_("reinstated"))


@refusals_on(_members_page)
async def reset_link(request: web.Request) -> web.StreamResponse:
    # Not a redirect (web/flash.py): the link is a secret the hub keeps only hashed,
    # shown once, here; sending the form again makes a new one.
    node = request.config_dict[NODE]
    member = await node.members.get(_member_id(request))
    if member is None:
        raise web.HTTPNotFound()
    token = await node.sessions.create_reset_link(member.id, by=request[MEMBER])
    link = base_url(request) + f"/reset/{token}"
    return await _members_page(request, reset=(member.name or "", link))


# -- peers -----------------------------------------------------------------------


async def _peers_page(
    request: web.Request,
    *,
    errors: list[str] | None = None,
    invite: Invite | None = None,
    status: int = 200,
) -> web.Response:
    node = request.config_dict[NODE]
    federation = request.config_dict[FEDERATION]
    now = node.clock()
    peers = [
        {
            "node_id": p.node_id,
            "name": p.name,
            "url": p.url,
            "blocked": p.blocked,
            "state": "blocked" if p.blocked else ("failing" if p.failures else "ok"),
            "last_contact": describe_age(p.last_contact, now),
            "outbox_depth": p.outbox_depth,
            "last_error": p.last_error,
        }
        for p in await federation.peers.all()
    ]
    qr = qr_data_uri(str(invite)) if invite else None
    return render(
        request,
        "peers.html",
        {
            "node_id": node.node_id,
            "peers": peers,
            "errors": errors or [],
            "invite": str(invite) if invite else None,
            "invite_qr": qr,
        },
        status=status,
    )


def qr_data_uri(text: str) -> str:
    import segno  # loaded on first use: most nodes rarely make invites

    return str(segno.make(text, error="m").svg_data_uri(scale=4))


async def peers(request: web.Request) -> web.Response:
    return await _peers_page(request)


@refusals_on(_peers_page)
async def make_invite(request: web.Request) -> web.StreamResponse:
    # Not a redirect (web/flash.py): the invite is shown once, here, to be handed to
    # the other hub; sending the form again makes another.
    invite = await PeerAdmin(request.config_dict[FEDERATION]).invite(by=request[MEMBER])
    return await _peers_page(request, invite=invite)


@refusals_on(_peers_page)
async def add_peer(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    admin = PeerAdmin(request.config_dict[FEDERATION])
    card = await admin.add(text(form, "invite"), by=request[MEMBER])
    raise flash(request, "/organise/peers", _("Peered with %(name)s.") % {"name": card.name})


def _block(blocked: bool) -> Handler:
    """Block a peer (or unblock one): /organise/peers/{node_id}/block or .../unblock."""

    @refusals_on(_peers_page)
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            node_id = parse_node_id(request.match_info["node_id"])
        except BadNodeId as exc:
            raise web.HTTPNotFound() from exc
        admin = PeerAdmin(request.config_dict[FEDERATION])
        await admin.set_blocked(node_id, blocked, by=request[MEMBER])
        raise flash(
            request, "/organise/peers", _("Peer blocked.") if blocked else _("Peer unblocked.")
        )

    return handler


block_peer = _block(True)
unblock_peer = _block(False)


# -- health ----------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    federation = request.config_dict[FEDERATION]
    all_peers = await federation.peers.all()
    counts = await node.members.counts()
    rows = [
        ("Public URL", node.config.url),
        ("Messages stored", f"{await node.messages.count():,}"),
        ("Messages waiting for a gap to fill", f"{await node.messages.held_count():,}"),
        (
            "Peers",
            f"{len(all_peers)} ({sum(1 for p in all_peers if p.failures)} failing,"
            f" {sum(1 for p in all_peers if p.blocked)} blocked)",
        ),
        ("Messages waiting to be sent", f"{sum(p.outbox_depth for p in all_peers):,}"),
        ("Members", f"{counts.get('active', 0)} active, {counts.get('applied', 0)} applying"),
        ("Database size", f"{node.config.database_path.stat().st_size / 1e6:.1f} MB"),
    ]
    if request.config_dict[ONION_URL]:
        rows.insert(1, ("Onion address", request.config_dict[ONION_URL]))
    forked = await node.messages.forked_origins()
    forks = [o for o in forked if o != node.node_id]
    # PROTOCOL.md §6.1-§6.2: this hub's own log held as forked, here or by others.
    reporters = await node.messages.fork_reporters(node.node_id)
    own_fork = node.node_id in forked or bool(reporters)
    return render(
        request,
        "health.html",
        {
            "rows": rows,
            "node_id": node.node_id,
            "forks": forks,
            "own_fork": own_fork,
            "reporters": reporters,
            "can_lock": request[MEMBER].can(Permission.SET_UP_HUB),
            "key": await node.atrest.status(),
        },
    )


ROUTES = [
    Route("GET", "/organise/members", members, Permission.MANAGE_MEMBERS),
    Route("POST", "/organise/members/decide", decide_many, Permission.MANAGE_MEMBERS),
    Route("POST", "/organise/members/{member_id}/reset", reset_link, Permission.MANAGE_MEMBERS),
    Route("POST", "/organise/members/{member_id}/approve", approve, Permission.MANAGE_MEMBERS),
    Route("POST", "/organise/members/{member_id}/reject", reject, Permission.MANAGE_MEMBERS),
    Route("POST", "/organise/members/{member_id}/suspend", suspend, Permission.MANAGE_MEMBERS),
    Route("POST", "/organise/members/{member_id}/reinstate", reinstate, Permission.MANAGE_MEMBERS),
    Route("GET", "/organise/peers", peers, Permission.MANAGE_PEERS),
    Route("POST", "/organise/peers/invite", make_invite, Permission.MANAGE_PEERS),
    Route("POST", "/organise/peers/add", add_peer, Permission.MANAGE_PEERS),
    Route("POST", "/organise/peers/{node_id}/block", block_peer, Permission.MANAGE_PEERS),
    Route("POST", "/organise/peers/{node_id}/unblock", unblock_peer, Permission.MANAGE_PEERS),
    Route("GET", "/organise/health", health, Permission.VIEW_HEALTH),
]
