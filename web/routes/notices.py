"""A member's notices: the list, and marking them read."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.digits import row_id
from node.node import Node
from web.flash import done
from web.i18n import _, ngettext
from web.kept_pages import kept_page
from web.keys import MEMBER
from web.rendering import render, when
from web.routes import Route
from web.routes.public import safe_next


def _node(request: web.Request) -> Node:
    return request.config_dict[NODE]


@kept_page
async def notices(request: web.Request) -> web.Response:
    node = _node(request)
    items = [
        {"id": n.id, "text": n.text, "link": n.link, "when": when(n.created_at), "read": n.read}
        for n in await node.notices.recent(request[MEMBER].id)
    ]
    return render(request, "notices.html", {"items": items})


def _notice_id(request: web.Request) -> int:
    notice_id = row_id(request.match_info["notice_id"])
    if notice_id is None:
        raise web.HTTPNotFound()
    return notice_id


async def read_all(request: web.Request) -> web.Response:
    changed = await _node(request).notices.mark_read(request[MEMBER].id)
    raise done(
        request,
        "/notices",
        ngettext("%(num)d marked read.", "%(num)d marked read.", changed) % {"num": changed}
        if changed
        else _("Nothing was unread."),
    )


async def read_one(request: web.Request) -> web.Response:
    await _node(request).notices.mark_read(request[MEMBER].id, _notice_id(request))
    raise done(request, "/notices", _("Marked read."))


async def open_notice(request: web.Request) -> web.Response:
    """Follow a notice's link, marking it read on the way (a GET: it is a link, and
    marking read twice changes nothing)."""
    notice = await _node(request).notices.open(request[MEMBER].id, _notice_id(request))
    if notice is None:
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(safe_next(notice.link or "") or "/notices")


ROUTES = [
    Route("GET", "/notices", notices, Permission.MEMBER),
    Route("GET", "/notices/{notice_id}/open", open_notice, Permission.MEMBER),
    Route("POST", "/notices/read", read_all, Permission.MEMBER),
    Route("POST", "/notices/{notice_id}/read", read_one, Permission.MEMBER),
]
