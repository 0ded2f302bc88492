"""Terms of office, as pure functions of times in ms (UTC): no clock, no database.

Every elected term lasts twelve calendar months from the moment its holder takes
office. Whoever held a role may not stand for that same role again until twelve
calendar months after their term ended (early or on time).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from node.wording import Moment

TERM_MONTHS = 12
REST_MONTHS = 12


def add_months(ms: int, months: int) -> int:
    """The same instant `months` calendar months later (UTC); the 31st becomes the last day
    of a shorter month, and 29 February the 28th in a year that has none."""
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    moved = moment.replace(year=year, month=month, day=day)
    return int(moved.timestamp()) * 1000 + ms % 1000


def term_end(starts_at: int) -> int:
    """When a term that starts at `starts_at` ends: twelve months on."""
    return add_months(starts_at, TERM_MONTHS)


def may_stand_from(term_ended_at: int) -> int:
    """The first moment someone whose term ended at `term_ended_at` may stand again."""
    return add_months(term_ended_at, REST_MONTHS)


@dataclass(frozen=True, slots=True)
class Term:
    starts_at: int
    ends_at: int | None  # None: open-ended (only the interim group)


def standing_refusal(terms: Iterable[Term], now: int) -> int | None:
    """None if a person with these terms of one role may stand for it at `now`; else the
    moment (ms) from which they may. A term still running counts from its planned end;
    open-ended terms (the interim group's) are not elected ones and never bar anyone."""
    ends = [t.ends_at for t in terms if t.ends_at is not None and t.starts_at <= now]
    if not ends:
        return None
    since = may_stand_from(max(ends))
    return since if since > now else None


def describe_date(ms: int, zone: dt.tzinfo = dt.UTC) -> str:
    """A moment for people: "1 December 2027 at 14:05 UTC" (pages pass the hub's zone)."""
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=zone)
    return f"{moment.day} {moment.strftime('%B %Y at %H:%M')} {moment.tzname()}"


def moment(ms: int) -> Moment:
    """`ms` for a sentence shown to people: "1 December 2027 at 14:05 UTC" as plain text,
    a date in the reader's language and the hub's zone on a page (node/wording.py)."""
    return Moment(ms, describe_date(ms))
