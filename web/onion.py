"""Requests that come through the hub's Tor onion service, and what changes for them.

Tor's hidden service connects to the node from this machine (127.0.0.1), like a
member's browser on the machine itself would, and passes on whatever headers the
visitor sent. So the torrc points the service at a port of its own, the onion_port
setting (deploy/torrc), and a request that arrived on that port is known to be
from Tor (on a hub whose `url` is an onion address and has no onion_port, every
request is taken as Tor's):

- it never counts as this machine's own (web/metrics.py), and its proxy headers
  are never read: its client is `ONION_CLIENT`, one key for every Tor visitor, since
  Tor hides who they are (web/client_address.py);
- its cookies are not marked Secure: the connection is plain http to the .onion
  address, which Tor encrypts end to end (Tor Browser treats .onion as a secure
  context); a Secure cookie set over http would be dropped by the browser;
- links the page makes absolute use the onion address, so a visitor stays on it.

A page served on the public https address names the onion address in an
`Onion-Location` header, which Tor Browser offers to switch to.
"""

from __future__ import annotations

from aiohttp import web

from node.appkeys import NODE
from node.onion import url_is_onion

# This hub's onion address (node/onion.py own_onion_url), read when the node starts;
# empty when it has none.
ONION_URL = web.AppKey("onion_url", str)
ONION_CLIENT = "onion"
_VIA_ONION = web.RequestKey("via_onion", bool)


def via_onion(request: web.Request) -> bool:
    """Whether the request arrived on the onion_port, i.e. through the onion service."""
    if _VIA_ONION in request:
        return request[_VIA_ONION]
    config = request.config_dict[NODE].config
    if config.onion_port:
        transport = request.transport
        sockname = transport.get_extra_info("sockname") if transport is not None else None
        arrived = isinstance(sockname, tuple) and sockname[1:2] == (config.onion_port,)
    else:
        # A hub whose own address is an onion one, with no port of Tor's own: tor sends
        # its requests to the main port, so every request there is taken as Tor's.
        arrived = url_is_onion(config.url)
    request[_VIA_ONION] = arrived
    return arrived


def base_url(request: web.Request) -> str:
    """The hub's address as this visitor reaches it, for links a page makes absolute."""
    if via_onion(request):
        onion = request.config_dict.get(ONION_URL)
        return onion or f"http://{request.host}"
    return str(request.config_dict[NODE].config.url).rstrip("/")


def add_onion_location(request: web.Request, response: web.StreamResponse) -> None:
    """Name the onion address on an HTML page served over the public https address
    (Tor Browser honours the header only there)."""
    onion = request.config_dict.get(ONION_URL)
    if (
        onion
        and not via_onion(request)
        and response.content_type == "text/html"
        and request.config_dict[NODE].config.url.startswith("https://")
    ):
        response.headers.setdefault("Onion-Location", onion + request.path_qs)
