"""Moderators' page: open reports, the code of conduct, warnings, suspensions, blocking hubs."""

from __future__ import annotations

from aiohttp import web

from crypto.errors import BadNodeId
from crypto.nodeid import parse_node_id
from node.accounts.permissions import Permission
from node.appkeys import FEDERATION, NODE
from node.discussion.moderation import REPORT_REASONS
from node.federation.admin import PeerAdmin
from web.discussing import field, int_id
from web.flash import done
from web.forms import refusals_on
from web.i18n import _
from web.keys import MEMBER
from web.rendering import markdown, render, tr, when
from web.routes import Route
from web.routes.discussion import hub_names


async def _moderation_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    moderation = node.discussion.moderation
    names = await hub_names(request)
    blocked = await request.config_dict[FEDERATION].peers.blocked_origins()
    reports = []
    for r in await moderation.open_reports():
        if r.post_id is not None:
            link = f"/discussions/{r.topic_id}#post-{r.post_id}"
        elif r.subject is not None and r.comment_id is not None:
            link = f"/discuss/{r.subject.hex()}#comment-{r.comment_id.hex()}"
        else:
            link = None
        remote = r.origin is not None and r.origin != node.node_id
        reports.append(
            {
                "id": r.id,
                "reason": r.reason,
                "when": when(r.created_at),
                "from_hub": names.get(r.from_hub, r.from_hub) if r.from_hub else None,
                "author": r.author,
                "author_id": r.author_id,
                "html": markdown(r.text) if r.text else None,
                "link": link,
                "hide_url": (
                    f"/posts/{r.post_id}/hide"
                    if r.post_id is not None
                    else f"/comments/{r.comment_id.hex()}/hide"
                    if r.comment_id is not None
                    else None
                ),
                "origin": r.origin if remote else None,
                "origin_name": names.get(r.origin, r.origin) if remote and r.origin else None,
                "origin_hidden": await moderation.origin_hidden_count(r.origin)
                if remote and r.origin
                else 0,
                "origin_blocked": r.origin in blocked if r.origin else False,
            }
        )
    return render(
        request,
        "moderation.html",
        {
            "reports": reports,
            "conduct_text": tr(await moderation.conduct()),
            "suspended": [
                {"id": i, "name": n, "until": when(u), "reason": why}
                for i, n, u, why in await moderation.suspended()
            ],
            "reasons": REPORT_REASONS,
            "errors": errors or [],
        },
        status=status,
    )


async def moderation(request: web.Request) -> web.Response:
    return await _moderation_page(request)


@refusals_on(_moderation_page)
async def conduct(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    await node.discussion.moderation.set_conduct(request[MEMBER], form.get("text"))
    raise done(request, "/moderation", _("The code of conduct is saved."))


@refusals_on(_moderation_page)
async def dismiss(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await node.discussion.moderation.resolve(
        request[MEMBER], int_id(request, "report_id"), "dismissed"
    )
    raise done(request, "/moderation", _("Report dismissed."))


@refusals_on(_moderation_page)
async def warn(request: web.Request) -> web.StreamResponse:
    moderation = request.config_dict[NODE].discussion.moderation
    form = await request.post()
    await moderation.warn(request[MEMBER], int_id(request, "member_id"), form.get("reason"))
    raise done(
        request, "/moderation", _("Warning recorded; the member sees it on their discussions page.")
    )


@refusals_on(_moderation_page)
async def suspend(request: web.Request) -> web.StreamResponse:
    moderation = request.config_dict[NODE].discussion.moderation
    form = await request.post()
    until = await moderation.suspend(
        request[MEMBER], int_id(request, "member_id"), form.get("days"), form.get("reason")
    )
    raise done(
        request, "/moderation", _("Suspended from posting until %(when)s.") % {"when": when(until)}
    )


@refusals_on(_moderation_page)
async def lift(request: web.Request) -> web.StreamResponse:
    moderation = request.config_dict[NODE].discussion.moderation
    await moderation.lift_suspension(request[MEMBER], int_id(request, "member_id"))
    raise done(request, "/moderation", _("Suspension lifted."))


@refusals_on(_moderation_page)
async def block_origin(request: web.Request) -> web.StreamResponse:
    try:
        origin = parse_node_id(request.match_info["origin"])
    except BadNodeId as exc:
        raise web.HTTPNotFound() from exc
    form = await request.post()
    admin = PeerAdmin(request.config_dict[FEDERATION])
    await admin.block_origin(origin, field(form, "reason"), by=request[MEMBER])
    raise done(
        request,
        "/moderation",
        _("That hub is blocked: its messages are no longer accepted or shown."),
    )


ROUTES = [
    Route("GET", "/moderation", moderation, Permission.MODERATE),
    Route("POST", "/moderation/conduct", conduct, Permission.MODERATE),
    Route("POST", "/moderation/reports/{report_id}/dismiss", dismiss, Permission.MODERATE),
    Route("POST", "/moderation/members/{member_id}/warn", warn, Permission.MODERATE),
    Route("POST", "/moderation/members/{member_id}/suspend", suspend, Permission.MODERATE),
    Route("POST", "/moderation/members/{member_id}/lift", lift, Permission.MODERATE),
    Route("POST", "/moderation/origins/{origin}/block", block_origin, Permission.MODERATE),
]
