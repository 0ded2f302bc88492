"""A member's notices: the list, and marking them read."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.digits import row_id
from node.node import Node
from web.keys import MEMBER, NOTICES, UNREAD
from web.rendering import render, when
from web.routes import Route


def _node(request: web.Request) -> Node:
    return request.config_dict[NODE]


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
    Route("GET", "/notices", notices, Permission.MEMBER),
    Route("POST", "/notices/read", read_all, Permission.MEMBER),
    Route("POST", "/notices/{notice_id}/read", read_one, Permission.MEMBER),
]
