"""Templates: aiohttp-jinja2 with autoescape everywhere, and the context every page gets."""

from __future__ import annotations

import contextvars
import functools
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from node.appkeys import NODE
from node.funds.units import pounds
from node.network.profile import zone
from web import navigation
from web.keys import APPLICATIONS, CSRF, MEMBER, NOTICES, UNREAD

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _markdown_renderer() -> Any:
    # Loaded on first use, to keep an idle node small (docs/OPERATIONS.md, memory).
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown(text: str | None) -> Markup:
    """Markdown to HTML with raw HTML off, then cleaned again by nh3 (ammonia),
    so text from members or other hubs can never inject markup or script."""
    import nh3

    return Markup(nh3.clean(_markdown_renderer().render(text or "")))


# The hub's time zone for the request being answered (set by `zone_middleware`): a
# context variable, as each request runs in its own task, so every `when()` on a page,
# in a template or a route, shows the hub's zone without being handed it.
_ZONE: contextvars.ContextVar[zoneinfo.ZoneInfo | None] = contextvars.ContextVar(
    "hub_zone", default=None
)


def hub_zone() -> zoneinfo.ZoneInfo:
    """The hub's time zone on this request's pages (Europe/London outside a request)."""
    return _ZONE.get() or zone(None)


def when(ms: int | None) -> str:
    """An instant in the hub's time zone, with the zone's abbreviation: "3 Dec 2026, 19:30 GMT"."""
    if ms is None:
        return "never"
    local = datetime.fromtimestamp(ms / 1000, hub_zone())
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@web.middleware
async def zone_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Times on this request's pages are in the hub's zone (its profile's `timezone`)."""
    _ZONE.set(request.config_dict[NODE].profile.zone)
    return await handler(request)


def time_left(now_ms: int, then_ms: int) -> str:
    """How long until `then_ms`, as people say it: "in 15 minutes", "in 2 days"; in the
    largest whole unit, to the nearest (6 days 23 hours 59 minutes is "in 7 days")."""
    seconds = (then_ms - now_ms) // 1000
    if seconds <= 0:
        return "now"
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = (seconds + size // 2) // size
            return f"in {count} {unit}{'s' * (count != 1)}"
    return "in less than a minute"


@functools.lru_cache(maxsize=16)
def _option_parts(options: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (value, f'<option value="{escape(value)}"', f">{escape(label)}</option>")
        for value, label in options
    )


def options(choices: tuple[tuple[str, str], ...], selected: str) -> Markup:
    """<option>s for (value, label) pairs, `selected` marked, built once per list of
    choices: a Jinja loop over a long list (a calendar's 200 hubs) is slow per page."""
    return Markup(
        "".join(
            f"{head} selected{tail}" if value == selected else head + tail
            for value, head, tail in _option_parts(choices)
        )
    )


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        # Templates change only with a new release, which restarts the node: no stat()
        # of every template file on every page.
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["markdown"] = markdown
    env.filters["when"] = when
    env.filters["money"] = pounds
    env.globals["options"] = options


def _page_context(request: web.Request) -> dict[str, Any]:
    # Built here rather than by a context-processor middleware, so that error
    # pages raised by outer middlewares (CSRF refusals) get it too.
    node = request.config_dict[NODE]
    member = request.get(MEMBER)
    return {
        "hub_name": node.config.name,
        "own_node_id": node.node_id,
        "member": member,
        "csrf": request.get(CSRF, ""),
        "notices": request.get(NOTICES, []),
        "unread": request.get(UNREAD, 0) if member is not None else 0,
        "applications": request.get(APPLICATIONS, 0) if member is not None else 0,
        "menu_html": navigation.menu_html(request.path, member),
        "path": request.path,
        # Permission is a StrEnum: a template's "publish-news" finds Permission.PUBLISH_NEWS.
        "can": (lambda p: member is not None and p in member.permissions),
        "errors": [],
        # Forms that take a date and time say which zone they read it in.
        "zone_name": str(hub_zone()).replace("_", " "),
    }


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    return aiohttp_jinja2.render_template(
        template, request, _page_context(request) | context, status=status
    )


def render_fragment(request: web.Request, template: str, context: dict[str, Any]) -> Markup:
    """Part of a page, for a page to include, from `context` alone: unlike a page it gets
    nothing about the visitor it is not given, so it can be kept and shown to others."""
    return Markup(aiohttp_jinja2.render_string(template, request, context))
