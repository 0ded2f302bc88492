"""Languages: every page's text goes through one catalogue (Babel), English or Welsh.

Templates mark text with `{% trans %}` and `_()`, Python with `_()` and `ngettext()`
from here (module-level text with `N_()`, translated where it is shown). The Welsh is
web/translations/cy/LC_MESSAGES/messages.po, compiled in memory when first needed, so
no binary file is kept. A request's language (set by web/rendering.py's middleware) is
a context variable, as the hub's zone is: the member's choice, else the visitor's
cookie, else the hub's, else English. docs/ARCHITECTURE.md, "Languages".
"""

from __future__ import annotations

import contextvars
import functools
import gettext as gettext_module
import io
import re
from datetime import date
from pathlib import Path

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT = "en"
# (code, the language's own name): English first, as the catalogue's source language.
LANGUAGES: tuple[tuple[str, str], ...] = (("en", "English"), ("cy", "Cymraeg"))
CODES = frozenset(code for code, _ in LANGUAGES)
COOKIE = "hubnet_language"  # a visitor's choice, from the footer's switch

_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT)


def known(code: str | None) -> str | None:
    """`code` if it is a language the pages are in, else None."""
    return code if code in CODES else None


def language() -> str:
    """The language of the page being made ("en" outside a request)."""
    return _LANG.get()


def use(code: str) -> None:
    """Make this request's pages in `code` (an unknown code is English)."""
    _LANG.set(known(code) or DEFAULT)


def use_for(code: str) -> contextvars.Token[str]:
    """Words made outside a request in `code` (a member's notice or email) until
    `restore(token)`."""
    return _LANG.set(known(code) or DEFAULT)


def restore(token: contextvars.Token[str]) -> None:
    _LANG.reset(token)


@functools.cache
def catalogue(code: str) -> gettext_module.NullTranslations:
    """The compiled catalogue for `code`, read from its .po once per process."""
    from babel.messages import mofile, pofile

    po = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT or not po.exists():
        return gettext_module.NullTranslations()
    with po.open("rb") as f:
        catalog = pofile.read_po(f, locale=code)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def gettext(message: str) -> str:
    return catalogue(_LANG.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(_LANG.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` as translated for `context`, where one language says it two ways."""
    return catalogue(_LANG.get()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Marks text for the catalogue where it is defined (a menu label, a constant);
    it is translated with `_()` where it is shown, in the reader's language."""
    return message


# Welsh writes "ac" for "and" before a vowel ("Y ac Ogmore"), "a" otherwise.
_VOWELS = "aeiouwyâêîôûŵŷ"


def listed(items: list[str]) -> str:
    """Names as a list in words in the page's language: "X, Y and Z", "X, Y ac Ogmore";
    "" for none. (Babel's CLDR lists write "a(c)" in Welsh and a serial comma in English.)"""
    if len(items) < 2:
        return "".join(items)
    values = {"head": ", ".join(items[:-1]), "last": items[-1]}
    if items[-1][:1].lower() in _VOWELS:
        return pgettext("before a vowel", "%(head)s and %(last)s") % values
    return gettext("%(head)s and %(last)s") % values


# The parts of a CLDR date pattern the pages use: day and month names come from Babel's
# CLDR data for the language, numbers are written directly. Babel's own format_datetime
# takes about 100 µs a call, too slow for a calendar of dates; this takes a few.
_FIELDS = re.compile(r"EEEE|EEE|MMMM|MMM|dd|d|y|HH|mm")


@functools.cache
def _names(code: str) -> dict[str, dict[int, str]]:
    from babel import Locale

    locale = Locale.parse(code)
    return {
        "EEEE": dict(locale.days["format"]["wide"]),
        "EEE": dict(locale.days["format"]["abbreviated"]),
        "MMMM": dict(locale.months["format"]["wide"]),
        "MMM": dict(locale.months["format"]["abbreviated"]),
    }


@functools.cache
def _pattern(pattern: str) -> tuple[tuple[bool, str], ...]:
    """(is a field, text) parts of a pattern such as "EEE dd MMM y, HH:mm"."""
    parts: list[tuple[bool, str]] = []
    at = 0
    for found in _FIELDS.finditer(pattern):
        if found.start() > at:
            parts.append((False, pattern[at : found.start()]))
        parts.append((True, found.group()))
        at = found.end()
    if at < len(pattern):
        parts.append((False, pattern[at:]))
    return tuple(parts)


def format_moment(moment: date, pattern: str) -> str:
    """`moment` (a date, or a datetime in its own zone) by a CLDR pattern, in the page's
    language: "EEE dd MMM y, HH:mm" is "Sat 30 Mar 2030, 19:00" or "Sad 30 Maw 2030, 19:00"."""
    names = _names(_LANG.get())
    out = []
    for field, text in _pattern(pattern):
        if not field:
            out.append(text)
        elif text in ("EEEE", "EEE"):
            out.append(names[text][moment.weekday()])
        elif text in ("MMMM", "MMM"):
            out.append(names[text][moment.month])
        elif text == "dd":
            out.append(f"{moment.day:02d}")
        elif text == "d":
            out.append(str(moment.day))
        elif text == "y":
            out.append(str(moment.year))
        else:  # HH, mm: a datetime's
            out.append(f"{getattr(moment, 'hour' if text == 'HH' else 'minute', 0):02d}")
    return "".join(out)
