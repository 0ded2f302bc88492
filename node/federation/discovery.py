"""GET /.well-known/hubnet: who this node is, for peers and people setting up peering."""

from __future__ import annotations

from importlib.metadata import version

from aiohttp import web

from node.appkeys import NODE
from protocol import PROTOCOL_VERSION


async def well_known(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return web.json_response(
        {
            "node_id": node.node_id,
            "public_key": node.key.public_key.hex(),
            "name": node.config.name,
            "url": node.config.url,
            "protocol_version": PROTOCOL_VERSION,
            "software": "hubnet",
            "software_version": version("hubnet"),
        }
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/hubnet", well_known)
