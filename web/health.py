"""GET /healthz: is the node up and its database answering (for monitors and systemd)."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from node.appkeys import NODE


async def healthz(request: web.Request) -> web.Response:
    node = request.app[NODE]
    try:
        stored = await node.messages.count()
    except sqlite3.Error as exc:
        return web.json_response(
            {"status": "unavailable", "reason": f"database: {exc}"}, status=503
        )
    return web.json_response({"status": "ok", "node_id": node.node_id, "messages": stored})


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
