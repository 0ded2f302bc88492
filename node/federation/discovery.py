"""GET /.well-known/hubnet: who this node is, for peers and people setting up peering."""

from __future__ import annotations

import functools
import json

from aiohttp import web

from node.appkeys import NODE
from protocol import PROTOCOL_VERSION


@functools.lru_cache(maxsize=4)
def _answer(node_id: str, public_key: str, name: str, url: str) -> bytes:
    """The answer's bytes, made once. Only a new hub name or address (its profile page)
    changes them; `version()` alone reads the installed package's files each call."""
    # On first use: importlib.metadata brings zipfile, csv and email parsing with it.
    from importlib.metadata import version

    return json.dumps(
        {
            "node_id": node_id,
            "public_key": public_key,
            "name": name,
            "url": url,
            "protocol_version": PROTOCOL_VERSION,
            "software": "hubnet",
            "software_version": version("hubnet"),
        }
    ).encode()


async def well_known(request: web.Request) -> web.Response:
    node = request.app[NODE]
    body = _answer(node.node_id, node.key.public_key.hex(), node.config.name, node.config.url)
    return web.Response(body=body, content_type="application/json")


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/hubnet", well_known)
