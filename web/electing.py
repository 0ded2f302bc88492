"""Shared pieces of the election pages (web/routes/elections.py): times in forms, the
names of methods and phases, and the shapes the templates show (a summary, the count
round by round) and read back (a ballot)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from node.accounts.permissions import ROLE_TITLES
from node.digits import is_digits
from node.governance import tally
from node.governance.records import Election, GovernanceError
from web.i18n import N_, _
from web.rendering import describe_date, hub_zone, time_left

DAY_MS = 86_400_000
METHOD_NAMES = {
    tally.PLURALITY: N_("Plurality: one choice each; the most votes wins"),
    tally.INSTANT_RUNOFF: N_(
        "Instant-runoff: rank the candidates; the fewest are eliminated in turn"
    ),
    tally.YES_NO: N_("Yes or no: carried by more yes than no"),
}
PHASE_NAMES = {
    "nominations": N_("Nominations open"),
    "waiting": N_("Nominations closed; voting opens soon"),
    "voting": N_("Voting open"),
    "closed": N_("Closed"),
}


def field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def to_field(ms: int) -> str:
    """A time for a datetime-local field (the hub's zone, to the minute)."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=hub_zone()).strftime("%Y-%m-%dT%H:%M")


# HTML's local date and time: to the minute, or with seconds (and a fraction), which a
# browser sends when the field's step allows them.
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?")


def local_time(text: str) -> dt.datetime | None:
    """A datetime-local field's value (no zone), or None if it is not one."""
    text = text.strip()
    if not _LOCAL_TIME.fullmatch(text):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def from_field(text: str, what: str) -> int:
    moment = local_time(text)
    if moment is None:
        raise GovernanceError(_("Give the time %(what)s as a date and time.") % {"what": what})
    return int(moment.replace(tzinfo=hub_zone()).timestamp() * 1000)


def title(election: Election) -> str:
    """Election.title in the page's language: "Election: Chair", "Etholiad: Cadeirydd"."""
    what = _(ROLE_TITLES[election.role])
    recall = election.kind == "recall"
    return (_("Recall vote: %s") if recall else _("Election: %s")) % what


def summary(election: Election, now: int) -> dict[str, Any]:
    phase = election.phase(now)
    return {
        "id": election.id,
        "title": title(election),
        "phase": _(PHASE_NAMES[phase]),
        "open": phase != "closed",
        "nominations_close": describe_date(election.nominations_close),
        "voting_opens": describe_date(election.voting_opens),
        "voting_closes": describe_date(election.voting_closes),
        # How long is left of the window open now ("Voting closes in 2 days.").
        "left": {
            "nominations": _("Nominations close %(left)s.")
            % {"left": time_left(now, election.nominations_close)},
            "waiting": _("Voting opens %(left)s.")
            % {"left": time_left(now, election.voting_opens)},
            "voting": _("Voting closes %(left)s.")
            % {"left": time_left(now, election.voting_closes)},
        }.get(phase),
    }


def new_defaults(now: int) -> dict[str, str]:
    start = now - now % 60_000
    return {
        "role": "",
        "method": tally.INSTANT_RUNOFF,
        "nominations_close": to_field(start + 7 * DAY_MS),
        "voting_opens": to_field(start + 7 * DAY_MS),
        "voting_closes": to_field(start + 14 * DAY_MS),
        "recall_role": "",
        "recall_opens": to_field(start),
        "recall_closes": to_field(start + 7 * DAY_MS),
    }


def result_view(election: Election, result: tally.Result, names: dict[str, str]) -> dict[str, Any]:
    def name(key: str | None) -> str:
        if key is None:
            return ""
        if election.kind == "recall":
            return key
        return names.get(key, "a former member")

    keys = list(result.rounds[0].counts) if result.rounds else []
    keys.sort(key=lambda k: -result.rounds[0].counts[k])
    rounds = [
        {
            "number": i + 1,
            "counts": [r.counts.get(k) for k in keys],
            "exhausted": r.exhausted,
            "elected": name(r.elected),
            "eliminated": name(r.eliminated),
            "tied": [name(k) for k in r.tied],
        }
        for i, r in enumerate(result.rounds)
    ]
    if election.kind == "recall":
        outcome = (
            "Carried: the term ended when voting closed."
            if result.winner == "yes"
            else "Not carried: the holder stays in office."
        )
    elif not keys:
        outcome = "There were no candidates; the role stays vacant."
    elif result.ballots == 0:
        outcome = "Nobody voted; the role stays vacant."
    else:
        outcome = f"{name(result.winner)} was elected and took office when voting closed."
    return {
        "outcome": outcome,
        "ballots": result.ballots,
        "columns": [name(k) for k in keys],
        "rounds": rounds,
        "lots": sorted(((name(k), k, v) for k, v in result.lots.items()), key=lambda x: x[2]),
    }


def ballot(form: Any, election: Election | None) -> tuple[str, ...]:
    if election is None:
        return ()
    if election.method == tally.INSTANT_RUNOFF:
        ranked: list[tuple[int, str]] = []
        for key in form:
            if key.startswith("rank-") and is_digits(field(form, key)):
                ranked.append((int(field(form, key)), key.removeprefix("rank-")))
        ranks = [r for r, _ in ranked]
        if len(set(ranks)) != len(ranks):
            raise GovernanceError(_("Give each candidate a different number."))
        return tuple(c for _, c in sorted(ranked))
    choice = field(form, "choice")
    return (choice,) if choice else ()
