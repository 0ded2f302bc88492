"""GET /metrics in Prometheus text format, and the request-latency middleware.

Who may read it (docs/OPERATIONS.md, "Monitoring"): with the metrics_token
setting, anyone presenting it as a bearer token; without, only direct requests
from this machine. A request relayed by a reverse proxy also comes from
loopback, so one carrying proxy headers is refused unless it has the token.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from node.appkeys import FEDERATION, NODE
from node.metrics import NodeMetrics

METRICS = web.AppKey("metrics", NodeMetrics)
_LOOPBACK = ("127.0.0.1", "::1")
_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _allowed(request: web.Request, token: str) -> bool:
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(h in request.headers for h in _PROXY_HEADERS):
        return False
    return request.remote in _LOOPBACK


async def metrics(request: web.Request) -> web.Response:
    node = request.app[NODE]
    if not _allowed(request, node.config.metrics_token):
        raise web.HTTPForbidden(
            text="metrics are for this machine, or need the metrics_token setting\n"
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


@web.middleware
async def latency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        request.config_dict[METRICS].request_seconds.labels(
            request.method, _route(request), str(status)
        ).observe(time.perf_counter() - started)


def setup(app: web.Application) -> None:
    app[METRICS] = NodeMetrics()
    app.middlewares.append(latency_middleware)

    async def attach(app: web.Application) -> AsyncIterator[None]:
        app[METRICS].attach(app[NODE], app[FEDERATION])
        yield

    # After node_context (web/app.py), which puts the node and federation in place.
    app.cleanup_ctx.append(attach)
    app.router.add_get("/metrics", metrics)
