"""Every page and form of the web UI, with the permission each needs.

`ROUTES` is the one list the app registers and the permission test walks:
a route's `permission` is None for public pages, else a Permission a member's
roles must grant (node/accounts/permissions.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from node.accounts.permissions import Permission
from web.keys import BODY_LIMITS, MEMBER

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    permission: Permission | None
    # The largest request body the route takes, if more than a plain form's
    # (web/security.py FORM_MAX_BYTES): for file uploads.
    max_body: int | None = None


def guarded(route: Route) -> Handler:
    """The handler, behind the route's permission check."""
    if route.permission is None:
        return route.handler

    async def check(request: web.Request) -> web.StreamResponse:
        member = request.get(MEMBER)
        if member is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")
            raise web.HTTPForbidden(reason="log in first")
        if not member.can(route.permission):
            raise web.HTTPForbidden(reason="not allowed")
        return await route.handler(request)

    return check


def all_routes() -> list[Route]:
    """Every module in this package with a ROUTES list contributes it: a feature adds
    its pages by adding a module, without editing a central list."""
    import importlib
    import pkgutil

    found: list[Route] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "ROUTES", ()))
    return found


def setup(app: web.Application) -> None:
    limits: dict[tuple[str, str], int] = {}
    for route in all_routes():
        app.router.add_route(route.method, route.path, guarded(route))
        if route.max_body is not None:
            limits[(route.method, route.path)] = route.max_body
    app[BODY_LIMITS] = limits
