"""Templates: aiohttp-jinja2 with autoescape everywhere, and the context every page gets."""

from __future__ import annotations

import contextvars
import functools
import zoneinfo
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from node.appkeys import NODE
from node.funds.units import pounds
from node.markdown import html_of
from node.network.profile import zone
from web import i18n, navigation
from web.cookies import sent
from web.i18n import _, ngettext
from web.keys import APPLICATIONS, CSRF, MEMBER, NOTICES, UNREAD

TEMPLATES = Path(__file__).parent / "templates"


def markdown(text: str | None) -> Markup:
    """Markdown to HTML (node/markdown.py), raw HTML off and cleaned by nh3, so text
    from members or other hubs can never inject markup or script."""
    return Markup(html_of(text))


# The hub's time zone for the request being answered (set by `use_zone_and_language`,
# from the visitor middleware): a context variable, as each request runs in its own
# task, so every `when()` on a page, in a template or a route, shows the hub's zone
# without being handed it.
_ZONE: contextvars.ContextVar[zoneinfo.ZoneInfo | None] = contextvars.ContextVar(
    "hub_zone", default=None
)


def use_zone(zone: zoneinfo.ZoneInfo | None) -> contextvars.Token[zoneinfo.ZoneInfo | None]:
    """Times made outside a request (a notice's) in `zone`, until `restore_zone`."""
    return _ZONE.set(zone)


def restore_zone(token: contextvars.Token[zoneinfo.ZoneInfo | None]) -> None:
    _ZONE.reset(token)


def hub_zone() -> zoneinfo.ZoneInfo:
    """The hub's time zone on this request's pages (Europe/London outside a request)."""
    return _ZONE.get() or zone(None)


def when(ms: int | None) -> str:
    """An instant in the hub's time zone, with the zone's abbreviation, in the page's
    language: "3 Dec 2026, 19:30 GMT", "3 Rhag 2026, 19:30 GMT"."""
    if ms is None:
        return _("never")
    local = datetime.fromtimestamp(ms / 1000, hub_zone())
    return f"{local_date(local, 'd MMM y')}, {local:%H:%M} {local.tzname()}"


def local_date(moment: datetime | date, pattern: str) -> str:
    """A date in the page's language (month and day names from Babel's CLDR data), by a
    CLDR pattern: "d MMMM y" is "3 December 2026" or "3 Rhagfyr 2026"."""
    return i18n.format_moment(moment, pattern)


def moment(value: datetime, pattern: str) -> str:
    """A date and time in its own zone, in the page's language, by a CLDR pattern:
    "EEE dd MMM y, HH:mm" is "Sat 30 Mar 2024, 19:00" or "Sad 30 Maw 2024, 19:00"."""
    return i18n.format_moment(value, pattern)


def describe_date(ms: int) -> str:
    """A day and time in full, in the hub's zone: "3 December 2026 at 19:30 GMT"."""
    local = datetime.fromtimestamp(ms / 1000, hub_zone())
    return _("%(day)s at %(time)s") % {
        "day": local_date(local, "d MMMM y"),
        "time": f"{local:%H:%M} {local.tzname()}",
    }


def describe_age(ms: int | None, now: int) -> str:
    """How long ago `ms` was, for people: "3 minutes ago", or "never"."""
    if ms is None:
        return _("never")
    seconds = max(0, (now - ms) // 1000)
    if seconds >= 86_400:
        n = seconds // 86_400
        return ngettext("%(num)d day ago", "%(num)d days ago", n) % {"num": n}
    if seconds >= 3_600:
        n = seconds // 3_600
        return ngettext("%(num)d hour ago", "%(num)d hours ago", n) % {"num": n}
    if seconds >= 60:
        n = seconds // 60
        return ngettext("%(num)d minute ago", "%(num)d minutes ago", n) % {"num": n}
    return ngettext("%(num)d second ago", "%(num)d seconds ago", seconds) % {"num": seconds}


def use_zone_and_language(request: web.Request) -> None:
    """Times on this request's pages are in the hub's zone (its profile's `timezone`),
    and words in the reader's language: the member's choice, else a visitor's (the
    footer's switch, a cookie), else the hub's (docs/ARCHITECTURE.md, "Languages")."""
    node = request.config_dict[NODE]
    _ZONE.set(node.profile.zone)
    member = request.get(MEMBER)
    i18n.use(
        (member.language if member is not None else None)
        or (i18n.known(sent(request, i18n.COOKIE)) if member is None else None)
        or node.language.code
    )


def time_left(now_ms: int, then_ms: int) -> str:
    """How long until `then_ms`, as people say it: "in 15 minutes", "in 2 days"; in the
    largest whole unit, to the nearest (6 days 23 hours 59 minutes is "in 7 days")."""
    seconds = (then_ms - now_ms) // 1000
    if seconds <= 0:
        return _("now")
    if seconds >= 86_400:
        n = (seconds + 43_200) // 86_400
        return ngettext("in %(num)d day", "in %(num)d days", n) % {"num": n}
    if seconds >= 3_600:
        n = (seconds + 1_800) // 3_600
        return ngettext("in %(num)d hour", "in %(num)d hours", n) % {"num": n}
    if seconds >= 60:
        n = (seconds + 30) // 60
        return ngettext("in %(num)d minute", "in %(num)d minutes", n) % {"num": n}
    return _("in less than a minute")


def span(ms: int) -> str:
    """A length of time for people, in the page's language: "an hour", "5 minutes"."""
    if ms % 3_600_000 == 0:
        n = ms // 3_600_000
        return _("an hour") if n == 1 else ngettext("%(num)d hour", "%(num)d hours", n) % {"num": n}
    n = max(1, ms // 60_000)
    return (
        _("a minute") if n == 1 else ngettext("%(num)d minute", "%(num)d minutes", n) % {"num": n}
    )


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


def tr(text: str) -> str:
    """Words node/ gave, in the page's language (never the catalogue's header for "")."""
    return i18n.gettext(text) if text else text


def region_names(choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """(value, region) pairs with the network's standard regions named in the page's
    language (web/node_words.py); the value stays the name every hub uses."""
    return tuple((value, tr(label)) for value, label in choices)


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        # Templates change only with a new release, which restarts the node: no stat()
        # of every template file on every page.
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # Text in {% trans %} is one line however the template wraps it, so the catalogue's
    # entries do not change with a template's indentation.
    env.policies["ext.i18n.trimmed"] = True
    # New-style: `_("%(n)s left", n=x)` formats and escapes its values itself.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.filters["markdown"] = markdown
    env.filters["when"] = when
    env.filters["money"] = pounds
    env.filters["moment"] = moment
    # A word a service hands the page (a role's title, a kind of event), translated: a
    # plain string, escaped like any value, unlike _() whose result is markup.
    env.filters["tr"] = tr
    from web.wording import said, words  # web/wording.py shows dates through this module

    # A sentence a service gave with its values (node/wording.py), in the page's language.
    env.filters["words"] = words
    # A name a service gave, which may be one of its own words ("a hub" for a hub not
    # yet heard of): that one in the page's language, a real name as it is.
    env.filters["said"] = said
    env.globals["options"] = options
    env.globals["region_names"] = region_names


def _page_context(request: web.Request) -> dict[str, Any]:
    # Built here rather than by a context-processor middleware, so that error
    # pages raised by outer middlewares (CSRF refusals) get it too.
    node = request.config_dict[NODE]
    member = request.get(MEMBER)
    return {
        "hub_name": node.config.name,
        "lang": i18n.language(),
        "languages": i18n.LANGUAGES,
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
