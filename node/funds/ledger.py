"""The funds ledger's rules, pure: entries in, balance, commitments and refusals out.

The ledger only grows. An entry is never edited or deleted: a mistake is put
right by a new entry that names the one it corrects (`corrects`) and takes its
place, or by a `void` entry that cancels it. Each entry can be corrected once,
so corrections form a chain whose last link is the entry in force.

- income adds to the balance, spending takes from it;
- a commitment reserves money for something agreed but not yet paid (a funded
  budget proposal, a booked hall): it leaves the balance alone but is not
  available to commit again. Spending "paid from" a commitment uses it up;
- available = balance − commitments still outstanding − money held by budget
  rounds that have not been decided yet.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from node.digits import is_digits
from node.funds.errors import FundsError
from node.funds.units import check_pence, clean_text, pounds
from node.wording import Term

EARLIEST_DAY = date(2000, 1, 1)
MAX_CATEGORY = 60
MAX_NOTE = 500
BUDGET_CATEGORY = "Participatory budget"


class Kind(enum.StrEnum):
    INCOME = "income"
    SPENDING = "spending"
    COMMITMENT = "commitment"
    VOID = "void"  # cancels the entry it corrects; carries no money


KIND_TITLES = {
    Kind.INCOME: "Income",
    Kind.SPENDING: "Spending",
    Kind.COMMITMENT: "Commitment",
    Kind.VOID: "Cancellation",
}


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    kind: Kind
    amount: int  # pence: positive, or 0 for a void
    day: date
    category: str
    note: str = ""
    corrects: int | None = None
    against: int | None = None  # for spending: the commitment it was paid from

    @property
    def signed(self) -> int:
        """What the entry does to the balance."""
        if self.kind is Kind.INCOME:
            return self.amount
        if self.kind is Kind.SPENDING:
            return -self.amount
        return 0


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry someone wants to record, already parsed from the form."""

    kind: Kind
    amount: int
    day: date
    category: str
    note: str
    corrects: int | None = None
    against: int | None = None


def superseded(entries: Iterable[Entry]) -> dict[int, int]:
    """Entry id → id of the entry that corrected it."""
    return {e.corrects: e.id for e in entries if e.corrects is not None}


def in_force(entries: Sequence[Entry]) -> list[Entry]:
    """The entries that count: not corrected by a later one, and not cancellations."""
    replaced = superseded(entries)
    return [e for e in entries if e.id not in replaced and e.kind is not Kind.VOID]


def current(entries: Sequence[Entry], entry_id: int) -> Entry | None:
    """The entry in force in place of `entry_id` (following corrections); None if cancelled."""
    by_id = {e.id: e for e in entries}
    replaced = superseded(entries)
    seen = set()
    while entry_id in replaced and entry_id not in seen:
        seen.add(entry_id)
        entry_id = replaced[entry_id]
    entry = by_id.get(entry_id)
    return None if entry is None or entry.kind is Kind.VOID else entry


def balance(entries: Sequence[Entry]) -> int:
    """Money held: income less spending, over the entries in force."""
    return sum(e.signed for e in in_force(entries))


def outstanding(entries: Sequence[Entry]) -> dict[int, int]:
    """Commitment id → pence still reserved (its amount less what was paid from it)."""
    live = in_force(entries)
    left = {e.id: e.amount for e in live if e.kind is Kind.COMMITMENT}
    for e in live:
        if e.kind is Kind.SPENDING and e.against is not None:
            commitment = current(entries, e.against)
            if commitment is not None and commitment.id in left:
                left[commitment.id] = max(0, left[commitment.id] - e.amount)
    return left


@dataclass(frozen=True, slots=True)
class CategoryTotal:
    category: str
    income: int
    spending: int
    committed: int


@dataclass(frozen=True, slots=True)
class Summary:
    balance: int
    income: int
    spending: int
    committed: int  # outstanding commitments
    reserved: int  # held by budget rounds not yet decided
    categories: tuple[CategoryTotal, ...]

    @property
    def available(self) -> int:
        return self.balance - self.committed - self.reserved


def summarise(entries: Sequence[Entry], reserved: int = 0) -> Summary:
    live = in_force(entries)
    left = outstanding(entries)
    totals: dict[str, list[int]] = {}
    for e in live:
        row = totals.setdefault(e.category, [0, 0, 0])
        if e.kind is Kind.INCOME:
            row[0] += e.amount
        elif e.kind is Kind.SPENDING:
            row[1] += e.amount
        elif e.kind is Kind.COMMITMENT:
            row[2] += left.get(e.id, 0)
    return Summary(
        balance=sum(e.signed for e in live),
        income=sum(e.amount for e in live if e.kind is Kind.INCOME),
        spending=sum(e.amount for e in live if e.kind is Kind.SPENDING),
        committed=sum(left.values()),
        reserved=reserved,
        categories=tuple(
            CategoryTotal(name, *values)
            for name, values in sorted(totals.items(), key=lambda kv: (-kv[1][1], kv[0].lower()))
        ),
    )


def parse_kind(text: str) -> Kind:
    try:
        return Kind(text.strip())
    except ValueError as exc:
        raise FundsError(
            "Choose the entry's type: income, spending, commitment or a cancellation."
        ) from exc


def parse_entry_number(text: str, what: str) -> int | None:
    cleaned = text.strip().removeprefix("#")
    if not cleaned:
        return None
    if not is_digits(cleaned) or len(cleaned) > 12:
        raise FundsError("%(what)s must be an entry number, like 12.", what=what)
    return int(cleaned)


def check_day(day: date, today: date) -> date:
    if day > today:
        raise FundsError(
            "The date %(day)s is in the future: record money when it moves.",
            day=day.isoformat(),
        )
    if day < EARLIEST_DAY:
        raise FundsError("The date %(day)s is too long ago for this ledger.", day=day.isoformat())
    return day


def check_draft(entries: Sequence[Entry], draft: Draft, today: date, available: int) -> Draft:
    """`draft` if it may be added to `entries`; FundsError saying why not otherwise.

    `available` is what could be committed now (Summary.available).
    """
    by_id = {e.id: e for e in entries}
    replaced = superseded(entries)
    target = by_id.get(draft.corrects) if draft.corrects is not None else None
    if draft.kind is Kind.VOID:
        if draft.corrects is None:
            raise FundsError("A cancellation must name the entry it cancels.")
        amount = 0
    else:
        amount = check_pence(draft.amount)
    category = draft.category
    if draft.kind is Kind.VOID and not category.strip() and target is not None:
        category = target.category  # a cancellation stays in the category it cancels
    category = clean_text(category, MAX_CATEGORY, Term("The category"))
    note = clean_text(draft.note, MAX_NOTE, Term("The note"), required=False)
    day = check_day(draft.day, today)
    if draft.corrects is not None:
        if target is None:
            raise FundsError("There is no entry %(entry)s to correct.", entry=draft.corrects)
        if target.id in replaced:
            raise FundsError(
                "Entry %(entry)s has already been corrected by entry %(by)s: correct that one"
                " instead.",
                entry=target.id,
                by=replaced[target.id],
            )
        if target.kind is Kind.VOID:
            raise FundsError(
                "Entry %(entry)s is a cancellation; record a new entry instead of correcting it.",
                entry=target.id,
            )
    if draft.against is not None:
        if draft.kind is not Kind.SPENDING:
            raise FundsError("Only spending can be paid from a commitment.")
        commitment = current(entries, draft.against)
        if commitment is None or commitment.kind is not Kind.COMMITMENT:
            raise FundsError("Entry %(entry)s is not a commitment in force.", entry=draft.against)
    if draft.kind is Kind.COMMITMENT:
        # Correcting a commitment frees what it held before the new one takes it.
        freed = 0
        if draft.corrects is not None:
            freed = outstanding(entries).get(draft.corrects, 0)
        if amount > available + freed:
            raise FundsError(
                "That would commit %(amount)s, but only %(available)s is available.",
                amount=pounds(amount),
                available=pounds(max(0, available + freed)),
            )
    return Draft(draft.kind, amount, day, category, note, draft.corrects, draft.against)
