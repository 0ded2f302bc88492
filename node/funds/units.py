"""Money in pence and times in UTC: parsing what people type, and showing it back. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

from node.funds.errors import FundsError
from node.wording import Term

# The most one entry, round or proposal may be: £10 million, far below SQLite's
# 64-bit integers even summed over a lifetime of entries.
MAX_PENCE = 1_000_000_000

_POUNDS = re.compile(
    r"(?P<sign>[-+−]?)\s*£?\s*(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d*))?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?")


def check_pence(value: object, what: str = Term("An amount")) -> int:
    """`value` if it is a whole, positive number of pence no larger than MAX_PENCE."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FundsError("%(what)s must be a whole number of pence.", what=what)
    if value < 0:
        raise FundsError(
            "%(what)s cannot be negative: say whether money came in or went out by the "
            "entry's type, and give the amount as a positive number.",
            what=what,
        )
    if value == 0:
        raise FundsError("%(what)s must be more than zero.", what=what)
    if value > MAX_PENCE:
        raise FundsError("%(what)s can be at most %(most)s.", what=what, most=pounds(MAX_PENCE))
    return value


def parse_pounds(text: str, what: str = Term("An amount")) -> int:
    """Pence from what a person typed in pounds: "12", "12.5", "£1,250.00"."""
    cleaned = text.strip()
    if not cleaned:
        raise FundsError("%(what)s is missing: give it in pounds, for example 12.50.", what=what)
    match = _POUNDS.fullmatch(cleaned)
    if match is None:
        raise FundsError("%(what)s must be a number of pounds, for example 12.50.", what=what)
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise FundsError(
            "%(what)s must be a whole number of pence: use at most two decimal places.",
            what=what,
        )
    pence = int(match["whole"].replace(",", "")) * 100 + int((frac + "00")[:2])
    if match["sign"] in ("-", "−") and pence:
        pence = -pence
    return check_pence(pence, what)


def pounds(pence: int) -> str:
    """£1,234.56 (and −£5.00 for a negative amount)."""
    sign = "−" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{part:02d}"


def day_of(ms: int) -> date:
    """The UTC calendar day of an instant."""
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def parse_day(text: str, what: str = Term("The date")) -> date:
    """A calendar day written YYYY-MM-DD (what a date field sends)."""
    cleaned = text.strip()
    if not _DATE.fullmatch(cleaned):
        raise FundsError("%(what)s must be a date written like 2025-03-31.", what=what)
    try:
        return date.fromisoformat(cleaned)
    except ValueError as exc:
        raise FundsError(
            "%(what)s %(day)s is not a day in the calendar.", what=what, day=cleaned
        ) from exc


def parse_utc(text: str, what: str, zone: tzinfo = UTC) -> int:
    """Milliseconds for a date and time written 2025-03-31T18:00 (a datetime-local field),
    read as wall-clock time in `zone` (the hub's, on its pages)."""
    cleaned = text.strip()
    if not _DATETIME.fullmatch(cleaned):
        raise FundsError(
            "%(what)s must be a date and time written like 2025-03-31T18:00.", what=what
        )
    try:
        moment = datetime.fromisoformat(cleaned.replace(" ", "T")).replace(tzinfo=zone)
    except ValueError as exc:
        raise FundsError(
            "%(what)s %(moment)s is not a real date and time.", what=what, moment=cleaned
        ) from exc
    return int(moment.timestamp() * 1000)


def utc_text(ms: int) -> str:
    """An instant for people: "31 Mar 2025, 18:00 UTC"."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d %b %Y, %H:%M UTC")


def utc_field(ms: int, zone: tzinfo = UTC) -> str:
    """An instant as a datetime-local field's value in `zone`: 2025-03-31T18:00."""
    return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%dT%H:%M")


def clean_text(value: str | None, most: int, what: str, required: bool = True) -> str:
    """Stripped text of at most `most` characters; FundsError naming `what` otherwise."""
    text = (value or "").strip()
    if not text and required:
        raise FundsError("%(what)s is missing.", what=what)
    if len(text) > most:
        raise FundsError("%(what)s can be at most %(most)s characters.", what=what, most=most)
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise FundsError("%(what)s contains control characters.", what=what)
    return text
