"""Participatory budgeting's rules, pure: windows, proposals, approvals and the funding rule.

A round holds an amount of the hub's money. Members propose ways to spend it
during the proposal window, then approve any number of proposals in the voting
window. When voting closes the proposals are funded in order:

1. most approvals first;
2. ties: the lower cost first (more proposals can be funded);
3. then the earlier submission;
4. then a seeded draw: the lower SHA-256 of (the round's seed, the proposal's id),
   the seed being drawn at random when the round opened and shown with the result.

Going down that order, a proposal is funded if its cost fits in what is left, and
skipped (with what was left and what it costs) if not; the next is then
considered. A proposal nobody approved is never funded.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from node.funds.errors import FundsError
from node.funds.units import check_pence, clean_text, pounds, utc_text
from node.wording import Moment, Span, Term

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
MIN_WINDOW_MS = HOUR_MS  # each window: at least an hour unless the hub allows shorter…
MAX_WINDOW_MS = 180 * 24 * HOUR_MS  # …and at most 180 days
MAX_TITLE = 120
MAX_DESCRIPTION = 5000
MAX_APPROVALS_PER_BALLOT = 500


class Phase(enum.StrEnum):
    PROPOSALS = "proposals"  # taking proposals
    WAITING = "waiting"  # proposals closed, voting not yet open
    VOTING = "voting"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Windows:
    opened_at: int
    proposals_close_at: int
    voting_open_at: int
    voting_close_at: int


def span_text(ms: int) -> str:
    """A length of time for people: "an hour", "5 minutes", "2 hours"."""
    if ms == HOUR_MS:
        return "an hour"
    if ms % HOUR_MS == 0:
        return f"{ms // HOUR_MS} hours"
    minutes = max(1, ms // MINUTE_MS)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def check_windows(w: Windows, shortest_ms: int = MIN_WINDOW_MS) -> Windows:
    """Refuse windows that overlap, run backwards, or are shorter than `shortest_ms` (the
    hub's setting: a practice round in a meeting may take minutes) or absurdly long."""
    if w.proposals_close_at - w.opened_at < shortest_ms:
        raise FundsError(
            "The proposal window must stay open for at least %(span)s from now: set proposals"
            " to close later.",
            span=Span(shortest_ms, span_text(shortest_ms)),
        )
    if w.voting_open_at < w.proposals_close_at:
        raise FundsError("Voting cannot open before proposals close.")
    if w.voting_close_at - w.voting_open_at < shortest_ms:
        raise FundsError(
            "The voting window must be at least %(span)s long.",
            span=Span(shortest_ms, span_text(shortest_ms)),
        )
    if w.voting_close_at - w.opened_at > MAX_WINDOW_MS:
        raise FundsError("A round can last at most 180 days from opening to the close of voting.")
    return w


def phase(w: Windows, now: int) -> Phase:
    """Where a round is at `now`; each window includes its start and excludes its end."""
    if now < w.proposals_close_at:
        return Phase.PROPOSALS
    if now < w.voting_open_at:
        return Phase.WAITING
    if now < w.voting_close_at:
        return Phase.VOTING
    return Phase.CLOSED


def check_round(title: str, amount: int, available: int) -> tuple[str, int]:
    clean = clean_text(title, MAX_TITLE, Term("The round's name"))
    check_pence(amount, Term("The round's amount"))
    if amount > available:
        raise FundsError(
            "The round's amount, %(amount)s, is more than the hub has available"
            " (%(available)s: the balance less what is already committed).",
            amount=pounds(amount),
            available=pounds(max(0, available)),
        )
    return clean, amount


def check_proposal(
    w: Windows, now: int, round_amount: int, title: str, description: str, cost: int
) -> tuple[str, str, int]:
    if phase(w, now) is not Phase.PROPOSALS:
        raise FundsError(
            "This round took proposals until %(closed)s; it takes no more.",
            closed=Moment(w.proposals_close_at, utc_text(w.proposals_close_at)),
        )
    clean_title = clean_text(title, MAX_TITLE, Term("The proposal's title"))
    clean_description = clean_text(description, MAX_DESCRIPTION, Term("The description"))
    check_pence(cost, Term("The cost"))
    if cost > round_amount:
        raise FundsError(
            "This proposal costs %(cost)s, more than the whole round (%(amount)s).",
            cost=pounds(cost),
            amount=pounds(round_amount),
        )
    return clean_title, clean_description, cost


def check_ballot(
    w: Windows, now: int, proposal_ids: Iterable[int], approved: Sequence[int]
) -> frozenset[int]:
    current = phase(w, now)
    if current is Phase.PROPOSALS or current is Phase.WAITING:
        raise FundsError(
            "Voting in this round opens at %(opens)s.",
            opens=Moment(w.voting_open_at, utc_text(w.voting_open_at)),
        )
    if current is Phase.CLOSED:
        raise FundsError(
            "Voting in this round closed at %(closed)s.",
            closed=Moment(w.voting_close_at, utc_text(w.voting_close_at)),
        )
    if not approved:
        raise FundsError("Tick at least one proposal to approve.")
    if len(approved) > MAX_APPROVALS_PER_BALLOT:
        raise FundsError("That is more approvals than there are proposals.")
    if len(set(approved)) != len(approved):
        raise FundsError("Each proposal can be approved only once.")
    unknown = set(approved) - set(proposal_ids)
    if unknown:
        raise FundsError("You can only approve proposals made in this round.")
    return frozenset(approved)


# -- the funding rule ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    cost: int
    submitted_at: int


@dataclass(frozen=True, slots=True)
class Outcome:
    id: int
    position: int  # 1-based place in the funding order
    approvals: int
    cost: int
    funded: bool
    left_before: int  # what remained when this proposal was considered
    reason: str


def tally(ballots: Iterable[Iterable[int]]) -> Counter[int]:
    """Approvals per proposal id; the order of ballots, or within a ballot, does not matter."""
    counts: Counter[int] = Counter()
    for ballot in ballots:
        counts.update(set(ballot))
    return counts


def draw_key(seed: bytes, proposal_id: int) -> bytes:
    return hashlib.sha256(seed + proposal_id.to_bytes(8, "big")).digest()


def funding_order(
    candidates: Iterable[Candidate], approvals: Mapping[int, int], seed: bytes
) -> list[Candidate]:
    """The order proposals are considered in (the module's doc: approvals, cost, time, draw)."""
    return sorted(
        candidates,
        key=lambda c: (-approvals.get(c.id, 0), c.cost, c.submitted_at, draw_key(seed, c.id)),
    )


def allocate(
    amount: int, candidates: Iterable[Candidate], approvals: Mapping[int, int], seed: bytes
) -> list[Outcome]:
    """Each proposal's outcome, in funding order. Never funds more than `amount` in total."""
    left = amount
    outcomes = []
    for position, c in enumerate(funding_order(candidates, approvals, seed), start=1):
        count = approvals.get(c.id, 0)
        if count == 0:
            funded, reason = False, "not funded: no approvals"
        elif c.cost <= left:
            funded, reason = True, "funded"
        else:
            funded, reason = False, f"skipped: {pounds(left)} left, costs {pounds(c.cost)}"
        outcomes.append(Outcome(c.id, position, count, c.cost, funded, left, reason))
        if funded:
            left -= c.cost
    return outcomes
