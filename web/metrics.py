"""GET /metrics in Prometheus text format, and each request's time (`observe`).

Who may read it (docs/OPERATIONS.md, "Monitoring"):
- anyone presenting the metrics_token setting as a bearer token;
- a client whose address (web/client_address.py) is in the metrics_allow setting
  and is not itself a trusted proxy;
- with no metrics_token, a direct request from this machine: the socket is
  loopback, is not a trusted proxy, and carries no proxy header. A request
  relayed by a reverse proxy on this machine also comes from loopback, so a
  trusted proxy's requests, or any carrying a proxy header, are not "direct";
  nor is one that came through the onion service (web/onion.py).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from node.appkeys import FEDERATION, NODE
from node.config import Config
from node.metrics import NodeMetrics
from web.client_address import PROXY_HEADERS, networks, resolve, within
from web.onion import via_onion

METRICS = web.AppKey("metrics", NodeMetrics)
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _allowed(request: web.Request, config: Config) -> bool:
    token = config.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    if via_onion(request):
        return False  # from loopback, but relayed by tor for anyone: never this machine's
    trusted = networks(config.trusted_proxies)
    via_proxy = within(request.remote, trusted)
    if not via_proxy and any(h in request.headers for h in PROXY_HEADERS):
        return False  # relayed by a proxy this node does not trust: who is asking is unknown
    client = resolve(request.remote, request.headers, trusted)
    if within(client, networks(config.metrics_allow)) and not within(client, trusted):
        return True
    return not token and not via_proxy and within(request.remote, _LOOPBACK)


async def metrics(request: web.Request) -> web.Response:
    node = request.app[NODE]
    if not _allowed(request, node.config):
        raise web.HTTPForbidden(
            text="metrics are for this machine or the metrics_allow setting's addresses, "
            "or need the metrics_token setting\n"
        )
    collected = request.app[METRICS]
    await collected.refresh(node, request.app[FEDERATION])
    body = generate_latest(collected.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _route(request: web.Request) -> str:
    # The route's pattern, not the path: paths hold ids and would make unbounded labels.
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical


# aiohttp passes on every method its parser knows (WebDAV's among them): the label
# takes these seven, "other" for the rest, so no client can add series at will.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe(request: web.Request, status: int, seconds: float) -> None:
    """Count one answer's time under its method, route and status. Each label set's
    series is looked up once: prometheus_client's labels() checks and locks on every call."""
    method = request.method if request.method in _METHODS else "other"
    key = (method, _route(request), status)
    metrics = request.config_dict[METRICS]
    series = metrics.latency_series.get(key)
    if series is None:
        series = metrics.request_seconds.labels(key[0], key[1], str(status))
        metrics.latency_series[key] = series
    series.observe(seconds)


def setup(app: web.Application) -> None:
    app[METRICS] = NodeMetrics()

    async def attach(app: web.Application) -> AsyncIterator[None]:
        app[METRICS].attach(app[NODE], app[FEDERATION])
        yield

    # After node_context (web/app.py), which puts the node and federation in place.
    app.cleanup_ctx.append(attach)
    app.router.add_get("/metrics", metrics)
