"""GET /healthz: is the node up and its database answering (for monitors and systemd)."""

from __future__ import annotations

import json
import sqlite3

from aiohttp import web

from node.appkeys import NODE

# (the database's data_version, the answer's bytes): monitors ask every few seconds,
# and counting the messages reads the whole table, so it is counted again only once
# something has been written. Reading data_version is itself the database answering.
_LAST = web.AppKey("healthz_last", dict)


async def healthz(request: web.Request) -> web.Response:
    node = request.app[NODE]
    version = node.db.data_version()
    last = request.app[_LAST]
    if version is not None and last.get(version) is not None:
        return web.Response(body=last[version], content_type="application/json")
    try:
        stored = await node.messages.count()
    except sqlite3.Error as exc:
        return web.json_response(
            {"status": "unavailable", "reason": f"database: {exc}"}, status=503
        )
    body = json.dumps({"status": "ok", "node_id": node.node_id, "messages": stored}).encode()
    if version is not None:
        last.clear()
        last[version] = body
    return web.Response(body=body, content_type="application/json")


def setup(app: web.Application) -> None:
    app[_LAST] = {}
    app.router.add_get("/healthz", healthz)
