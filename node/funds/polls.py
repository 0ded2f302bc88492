"""Local proposals and polls, pure: what a poll may be, who counts, and its result.

Any member may put a proposal to the hub as a poll: yes / no / abstain, or a
choice between 2 to 10 options. The proposer sets the quorum (a share of the
members who were active when the poll opened) and when it closes: at least a
day and at most 90 days after it opens, so no poll can be slipped through
overnight. Each of those members has one secret vote. When the window closes
the result is published with the turnout and whether the quorum was met:

- yes / no: carried if the quorum was met and yes outnumbers no (abstentions
  count towards the quorum, not for either side; a tie is not carried);
- a choice: the option with the most votes, if the quorum was met; a tie at
  the top is reported as a tie and nothing is chosen.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from node.digits import is_digits
from node.funds.errors import FundsError
from node.funds.units import clean_text, utc_text
from node.wording import Moment, Term, Wording, counted

DAY_MS = 24 * 3_600_000
MIN_WINDOW_MS = DAY_MS
MAX_WINDOW_MS = 90 * DAY_MS
MAX_TITLE = 120
MAX_BODY = 10_000
MAX_OPTION = 100
MIN_OPTIONS, MAX_OPTIONS = 2, 10
YES_NO_OPTIONS = ("Yes", "No", "Abstain")


class PollKind(enum.StrEnum):
    YES_NO = "yes-no"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class PollDraft:
    title: str
    body: str
    kind: PollKind
    options: tuple[str, ...]
    quorum_percent: int
    opens_at: int
    closes_at: int


def parse_kind(text: str) -> PollKind:
    try:
        return PollKind(text.strip())
    except ValueError as exc:
        raise FundsError("Choose what kind of poll: yes / no / abstain, or a choice.") from exc


def parse_quorum(text: str) -> int:
    cleaned = text.strip().removesuffix("%").strip()
    if not is_digits(cleaned) or int(cleaned) > 100:
        raise FundsError("The quorum must be a whole percentage from 0 to 100.")
    return int(cleaned)


def parse_options(kind: PollKind, text: str) -> tuple[str, ...]:
    if kind is PollKind.YES_NO:
        return YES_NO_OPTIONS
    options = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise FundsError(
            "A choice needs from %(least)s to %(most)s options, one on each line.",
            least=MIN_OPTIONS,
            most=MAX_OPTIONS,
        )
    for option in options:
        clean_text(option, MAX_OPTION, Term("Each option"))
    if len({o.casefold() for o in options}) != len(options):
        raise FundsError("Each option must be different.")
    return options


def check_poll(
    title: str,
    body: str,
    kind: PollKind,
    options: Sequence[str],
    quorum_percent: int,
    now: int,
    closes_at: int,
) -> PollDraft:
    clean_title = clean_text(title, MAX_TITLE, Term("The proposal's title"))
    clean_body = clean_text(body, MAX_BODY, Term("The proposal's text"))
    if not 0 <= quorum_percent <= 100:
        raise FundsError("The quorum must be a whole percentage from 0 to 100.")
    if closes_at - now < MIN_WINDOW_MS:
        raise FundsError("A poll must stay open for at least a day: set it to close later.")
    if closes_at - now > MAX_WINDOW_MS:
        raise FundsError("A poll can stay open for at most 90 days.")
    return PollDraft(clean_title, clean_body, kind, tuple(options), quorum_percent, now, closes_at)


def is_open(opens_at: int, closes_at: int, now: int) -> bool:
    return opens_at <= now < closes_at


def check_vote(opens_at: int, closes_at: int, now: int, options: Sequence[str], choice: int) -> int:
    if now < opens_at:
        raise FundsError(
            "This poll opens at %(opens)s.", opens=Moment(opens_at, utc_text(opens_at))
        )
    if now >= closes_at:
        raise FundsError(
            "This poll closed at %(closed)s; votes are no longer taken.",
            closed=Moment(closes_at, utc_text(closes_at)),
        )
    if not 0 <= choice < len(options):
        raise FundsError("Choose one of the poll's options.")
    return choice


def quorum_needed(electorate: int, quorum_percent: int) -> int:
    """Votes needed: the quorum's share of the electorate, rounded up."""
    return (electorate * quorum_percent + 99) // 100


@dataclass(frozen=True, slots=True)
class PollResult:
    counts: tuple[tuple[str, int], ...]
    turnout: int
    electorate: int
    needed: int
    quorum_met: bool
    outcome: Wording  # in the reader's language where shown (node/wording.py)


def result(
    kind: PollKind,
    options: Sequence[str],
    counts: Sequence[int],
    electorate: int,
    quorum_percent: int,
) -> PollResult:
    turnout = sum(counts)
    needed = quorum_needed(electorate, quorum_percent)
    met = turnout >= needed
    pairs = tuple(zip(options, counts, strict=True))
    if not met:
        outcome = Wording(
            "Not decided: the quorum was not met (%(turnout)s voted, %(needed)s needed).",
            {"turnout": turnout, "needed": needed},
        )
    elif kind is PollKind.YES_NO:
        tally = {"yes": counts[0], "no": counts[1]}
        if counts[0] > counts[1]:
            outcome = Wording("Carried: %(yes)s for, %(no)s against.", tally)
        else:
            outcome = Wording("Not carried: %(yes)s for, %(no)s against.", tally)
    elif turnout == 0:
        outcome = Wording("No votes were cast.")
    else:
        top = max(counts)
        leaders = [o for o, n in pairs if n == top]
        if len(leaders) == 1:
            outcome = counted(
                "Chosen: %(option)s (%(num)d vote).",
                "Chosen: %(option)s (%(num)d votes).",
                top,
                {"option": leaders[0], "num": top},
            )
        else:
            outcome = counted(
                "A tie between %(options)s (%(num)d vote each): nothing chosen.",
                "A tie between %(options)s (%(num)d votes each): nothing chosen.",
                top,
                {"options": " and ".join(leaders), "num": top},
            )
    return PollResult(pairs, turnout, electorate, needed, met, outcome)
