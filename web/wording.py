"""node/'s sentences with values (node/wording.py) in the reader's language: a refusal on
a page, a notice or an email. The one place a service's words are put in a language."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from node.errors import NodeError
from node.wording import Moment, Span, Term, Terms, Wording, english
from web import i18n, rendering
from web.i18n import _, ngettext
from web.rendering import describe_date

HOUR_MS = 3_600_000
MINUTE_MS = 60_000


def span(ms: int) -> str:
    """A length of time in the page's language: "an hour", "5 minutes", "2 hours"."""
    if ms == HOUR_MS:
        return _("an hour")
    if ms % HOUR_MS == 0:
        hours = ms // HOUR_MS
        return ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
    minutes = max(1, ms // MINUTE_MS)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}


def _value(value: object) -> object:
    if isinstance(value, Term):
        return _(value)
    if isinstance(value, Terms):
        return ", ".join(_(item) for item in value.items)
    if isinstance(value, Moment):
        return describe_date(value.ms)
    if isinstance(value, Span):
        return span(value.ms)
    if isinstance(value, Wording):  # a phrase with values of its own ("Region: Wales")
        return words(value)
    return value


def say(template: str, values: Mapping[str, object] | None = None) -> str:
    """`template` from the catalogue in the page's language, with `values` put in."""
    if not values:
        return _(template)
    try:
        return _(template) % {name: _value(v) for name, v in values.items()}
    except (KeyError, ValueError, TypeError):
        # A translation whose placeholders do not fit (tests/unit/test_translations.py
        # refuses one): the English is better than nothing.
        return english(template, values)


def refusal(exc: NodeError) -> str:
    """A service's refusal in the page's language; one raised with its values already
    formatted in (an operator's message) is not in the catalogue and stays English."""
    return say(exc.template, exc.values) if exc.template else _(str(exc))


def words(wording: Wording) -> str:
    """A `Wording` (an assembly's name, a notice) in the page's language."""
    if wording.plural is None:
        return say(wording.template, wording.values)
    chosen = ngettext(wording.template, wording.plural, wording.count)
    try:
        return chosen % {name: _value(v) for name, v in wording.values.items()}
    except (KeyError, ValueError, TypeError):
        return str(wording)


def said(value: object) -> object:
    """A value a service gave, as the page shows it: its own words (a `Term`, a
    `Wording`) in the page's language, anything else (a hub's name) as it is."""
    return _value(value)


def in_language(code: str, wording: Wording | str, zone: ZoneInfo | None = None) -> str:
    """A notice or email's text in `code` (a member's language), made outside any page
    (node/notices.py `Words`), with its times in `zone` (the hub's)."""
    token = i18n.use_for(code)
    zoned = rendering.use_zone(zone)
    try:
        return words(wording) if isinstance(wording, Wording) else _(wording)
    finally:
        rendering.restore_zone(zoned)
        i18n.restore(token)
