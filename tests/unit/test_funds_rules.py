"""The pure rules of the funds ledger, participatory budgeting, polls and receipts."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.funds import budget, ledger, polls
from node.funds.errors import FundsError
from node.funds.ledger import Draft, Entry, Kind
from node.funds.receipts import MAX_RECEIPT_BYTES, check_receipt, sniff
from node.funds.units import check_pence, parse_day, parse_pounds, parse_utc, pounds

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 11, 13)

# -- money and dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("£1,250.00", 125000), (" 0.01 ", 1)],
)
def test_pounds_are_read_as_whole_pence(typed: str, pence: int) -> None:
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "cannot be negative"),
        ("−5.00", "cannot be negative"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("1.005", "whole number of pence"),
        ("twelve", "number of pounds"),
        ("", "missing"),
        ("1e3", "number of pounds"),
        ("20000000", "at most"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(typed: str, message: str) -> None:
    with pytest.raises(FundsError, match=message):
        parse_pounds(typed)


@pytest.mark.parametrize("value", [1.5, True, "5", None, 0, -1])
def test_only_positive_integers_are_pence(value: object) -> None:
    with pytest.raises(FundsError):
        check_pence(value)


@given(st.integers(1, 10**9))
def test_pounds_shown_are_read_back_as_the_same_pence(pence: int) -> None:
    assert parse_pounds(pounds(pence)) == pence


@pytest.mark.parametrize("typed", ["2025-02-30", "31/03/2025", "2025-3-1", "yesterday", ""])
def test_bad_dates_are_refused(typed: str) -> None:
    with pytest.raises(FundsError, match="date"):
        parse_day(typed)


def test_dates_in_the_future_or_long_ago_are_refused() -> None:
    with pytest.raises(FundsError, match="in the future"):
        ledger.check_day(date(2025, 11, 14), TODAY)
    with pytest.raises(FundsError, match="too long ago"):
        ledger.check_day(date(1999, 12, 31), TODAY)
    assert ledger.check_day(TODAY, TODAY) == TODAY


def test_times_are_read_as_utc() -> None:
    assert parse_utc("2025-11-13T00:00", "x") == 1_762_992_000_000
    with pytest.raises(FundsError, match="real date"):
        parse_utc("2025-02-30T10:00", "When")


# -- the ledger -----------------------------------------------------------------------


def _draft(kind: Kind = Kind.INCOME, amount: int = 1000, **kw: object) -> Draft:
    fields: dict[str, object] = {"day": TODAY, "category": "Donations", "note": ""} | kw
    return Draft(kind, amount, **fields)  # type: ignore[arg-type]


def _apply(entries: list[Entry], draft: Draft) -> list[Entry]:
    available = ledger.summarise(entries).available
    d = ledger.check_draft(entries, draft, TODAY, available)
    new = Entry(
        len(entries) + 1, d.kind, d.amount, d.day, d.category, d.note, d.corrects, d.against
    )
    return [*entries, new]


_operation = st.one_of(
    st.tuples(st.just("new"), st.sampled_from([Kind.INCOME, Kind.SPENDING]), st.integers(1, 10**6)),
    st.tuples(
        st.just("correct"), st.sampled_from([Kind.INCOME, Kind.SPENDING]), st.integers(1, 10**6)
    ),
    st.tuples(st.just("void"), st.just(Kind.VOID), st.just(0)),
)


@given(st.lists(_operation, max_size=40), st.randoms())
def test_balance_is_the_sum_of_the_entries_in_force(operations, rnd) -> None:  # type: ignore[no-untyped-def]
    entries: list[Entry] = []
    model: dict[int, int] = {}  # entry id → signed amount, as a bookkeeper would keep it
    for op, kind, amount in operations:
        live = [e.id for e in ledger.in_force(entries)]
        if op == "new" or not live:
            if op != "new":
                continue
            entries = _apply(entries, _draft(kind, amount))
        else:
            target = rnd.choice(live)
            entries = _apply(entries, _draft(kind, amount, corrects=target))
            del model[target]
        last = entries[-1]
        if last.kind is not Kind.VOID:
            model[last.id] = last.signed
        assert ledger.balance(entries) == sum(model.values())
    assert ledger.balance(entries) == sum(e.signed for e in ledger.in_force(entries))
    assert ledger.summarise(entries).balance == ledger.balance(entries)


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 10**7)), max_size=50))
def test_without_corrections_balance_is_income_less_spending(rows) -> None:  # type: ignore[no-untyped-def]
    entries = [
        Entry(i, Kind.INCOME if incoming else Kind.SPENDING, amount, TODAY, "c")
        for i, (incoming, amount) in enumerate(rows, start=1)
    ]
    income = sum(a for incoming, a in rows if incoming)
    spending = sum(a for incoming, a in rows if not incoming)
    summary = ledger.summarise(entries)
    assert (summary.balance, summary.income, summary.spending) == (
        income - spending,
        income,
        spending,
    )
    assert sum(c.income for c in summary.categories) == income


def test_a_correction_replaces_the_entry_once() -> None:
    entries = _apply([], _draft(Kind.INCOME, 1000))
    entries = _apply(entries, _draft(Kind.INCOME, 1500, corrects=1))
    assert ledger.balance(entries) == 1500
    with pytest.raises(FundsError, match="already been corrected by entry 2"):
        _apply(entries, _draft(Kind.INCOME, 900, corrects=1))
    entries = _apply(entries, _draft(Kind.VOID, 0, corrects=2, category=""))
    assert ledger.balance(entries) == 0
    assert entries[-1].category == "Donations"  # a cancellation keeps the category
    with pytest.raises(FundsError, match="is a cancellation"):
        _apply(entries, _draft(Kind.INCOME, 1, corrects=3))
    with pytest.raises(FundsError, match="no entry 9"):
        _apply(entries, _draft(Kind.INCOME, 1, corrects=9))
    with pytest.raises(FundsError, match="must name the entry"):
        _apply(entries, _draft(Kind.VOID, 0))


def test_commitments_reserve_money_until_paid() -> None:
    entries = _apply([], _draft(Kind.INCOME, 10_000))
    entries = _apply(entries, _draft(Kind.COMMITMENT, 6_000, category="Hall"))
    summary = ledger.summarise(entries, reserved=1_000)
    assert (summary.balance, summary.committed, summary.available) == (10_000, 6_000, 3_000)
    with pytest.raises(FundsError, match=r"only £40\.00 is available"):
        _apply(entries, _draft(Kind.COMMITMENT, 4_001))
    entries = _apply(entries, _draft(Kind.SPENDING, 2_500, against=2))
    assert ledger.outstanding(entries) == {2: 3_500}
    with pytest.raises(FundsError, match="not a commitment in force"):
        _apply(entries, _draft(Kind.SPENDING, 10, against=1))
    with pytest.raises(FundsError, match="Only spending"):
        _apply(entries, _draft(Kind.INCOME, 10, against=2))
    # Correcting the commitment keeps what was paid from it counted against it.
    entries = _apply(entries, _draft(Kind.COMMITMENT, 5_000, corrects=2))
    assert ledger.outstanding(entries) == {4: 2_500}


# -- the funding rule -------------------------------------------------------------------

_candidates = st.lists(
    st.builds(
        budget.Candidate,
        id=st.integers(1, 10**6),
        cost=st.integers(1, 5_000),
        submitted_at=st.integers(0, 50),
    ),
    max_size=25,
    unique_by=lambda c: c.id,
)


@st.composite
def _rounds(draw):  # type: ignore[no-untyped-def]
    candidates = draw(_candidates)
    ids = [c.id for c in candidates]
    ballots = draw(
        st.lists(st.lists(st.sampled_from(ids), unique=True), max_size=30) if ids else st.just([])
    )
    return (
        draw(st.integers(1, 20_000)),
        candidates,
        ballots,
        draw(st.binary(min_size=16, max_size=16)),
    )


@given(_rounds())
def test_funded_total_never_exceeds_the_round(case) -> None:  # type: ignore[no-untyped-def]
    amount, candidates, ballots, seed = case
    outcomes = budget.allocate(amount, candidates, budget.tally(ballots), seed)
    assert sum(o.cost for o in outcomes if o.funded) <= amount
    assert sorted(o.id for o in outcomes) == sorted(c.id for c in candidates)


@given(_rounds())
def test_a_proposal_is_skipped_only_if_it_does_not_fit_what_remains(case) -> None:  # type: ignore[no-untyped-def]
    amount, candidates, ballots, seed = case
    outcomes = budget.allocate(amount, candidates, budget.tally(ballots), seed)
    left = amount
    for o in outcomes:
        assert o.left_before == left
        if o.approvals == 0:
            assert not o.funded and o.reason == "not funded: no approvals"
        elif o.funded:
            assert o.cost <= left and o.reason == "funded"
        else:
            assert o.cost > left
            assert o.reason == f"skipped: {pounds(left)} left, costs {pounds(o.cost)}"
        left -= o.cost if o.funded else 0
    # So nothing approved that was left out would still fit in what is left over.
    assert all(o.cost > left for o in outcomes if o.approvals and not o.funded)


@given(_rounds(), st.randoms())
def test_the_order_of_input_does_not_change_the_result(case, rnd) -> None:  # type: ignore[no-untyped-def]
    amount, candidates, ballots, seed = case
    first = budget.allocate(amount, candidates, budget.tally(ballots), seed)
    shuffled_candidates = list(candidates)
    rnd.shuffle(shuffled_candidates)
    shuffled_ballots = [list(b) for b in ballots]
    rnd.shuffle(shuffled_ballots)
    for b in shuffled_ballots:
        rnd.shuffle(b)
    counts = budget.tally(shuffled_ballots)
    shuffled_counts = dict(rnd.sample(sorted(counts.items()), len(counts)))
    assert budget.allocate(amount, shuffled_candidates, shuffled_counts, seed) == first


@given(_rounds())
def test_proposals_are_considered_most_approved_first(case) -> None:  # type: ignore[no-untyped-def]
    amount, candidates, ballots, seed = case
    outcomes = budget.allocate(amount, candidates, budget.tally(ballots), seed)
    approvals = [o.approvals for o in outcomes]
    assert approvals == sorted(approvals, reverse=True)
    assert [o.position for o in outcomes] == list(range(1, len(outcomes) + 1))


def test_ties_go_to_the_lower_cost_then_the_earlier_proposal_then_the_draw() -> None:
    seed = bytes(16)
    cands = [
        budget.Candidate(1, 500, submitted_at=10),
        budget.Candidate(2, 300, submitted_at=20),
        budget.Candidate(3, 300, submitted_at=5),
    ]
    order = [c.id for c in budget.funding_order(cands, {1: 2, 2: 2, 3: 2}, seed)]
    assert order == [3, 2, 1]
    twins = [budget.Candidate(7, 100, 0), budget.Candidate(8, 100, 0)]
    by_draw = sorted([7, 8], key=lambda i: budget.draw_key(seed, i))
    assert [c.id for c in budget.funding_order(twins, {7: 1, 8: 1}, seed)] == by_draw
    seeds = {
        tuple(c.id for c in budget.funding_order(twins, {7: 1, 8: 1}, bytes([n]) * 16))
        for n in range(20)
    }
    assert seeds == {(7, 8), (8, 7)}  # the seed decides, not the ids


def test_a_proposal_that_does_not_fit_is_skipped_and_the_next_considered() -> None:
    cands = [budget.Candidate(1, 600, 0), budget.Candidate(2, 500, 1), budget.Candidate(3, 400, 2)]
    outcomes = budget.allocate(1000, cands, {1: 3, 2: 2, 3: 1}, bytes(16))
    assert [(o.id, o.funded, o.reason) for o in outcomes] == [
        (1, True, "funded"),
        (2, False, "skipped: £4.00 left, costs £5.00"),
        (3, True, "funded"),
    ]


HOUR = budget.HOUR_MS


def test_windows_are_checked_and_phases_follow_the_clock() -> None:
    w = budget.Windows(0, 2 * HOUR, 3 * HOUR, 5 * HOUR)
    assert budget.check_windows(w) == w
    assert [budget.phase(w, t) for t in (0, 2 * HOUR - 1, 2 * HOUR, 3 * HOUR, 5 * HOUR)] == [
        budget.Phase.PROPOSALS,
        budget.Phase.PROPOSALS,
        budget.Phase.WAITING,
        budget.Phase.VOTING,
        budget.Phase.CLOSED,
    ]
    for bad, message in [
        (budget.Windows(0, HOUR - 1, 2 * HOUR, 4 * HOUR), "at least an hour"),
        (budget.Windows(0, 2 * HOUR, HOUR, 4 * HOUR), "before proposals close"),
        (budget.Windows(0, 2 * HOUR, 2 * HOUR, 2 * HOUR + 1), "voting window"),
        (budget.Windows(0, 2 * HOUR, 2 * HOUR, 181 * 24 * HOUR), "180 days"),
    ]:
        with pytest.raises(FundsError, match=message):
            budget.check_windows(bad)


def test_proposals_and_ballots_are_refused_outside_their_windows() -> None:
    w = budget.Windows(0, 2 * HOUR, 3 * HOUR, 5 * HOUR)
    with pytest.raises(FundsError, match="more than the whole round"):
        budget.check_proposal(w, 0, 1000, "Seeds", "For the garden", 1001)
    with pytest.raises(FundsError, match="takes no more"):
        budget.check_proposal(w, 2 * HOUR, 1000, "Seeds", "For the garden", 100)
    with pytest.raises(FundsError, match="Voting in this round opens"):
        budget.check_ballot(w, 2 * HOUR, [1], [1])
    with pytest.raises(FundsError, match="closed"):
        budget.check_ballot(w, 5 * HOUR, [1], [1])
    with pytest.raises(FundsError, match="only once"):
        budget.check_ballot(w, 4 * HOUR, [1, 2], [1, 1])
    with pytest.raises(FundsError, match="made in this round"):
        budget.check_ballot(w, 4 * HOUR, [1, 2], [3])
    with pytest.raises(FundsError, match="at least one"):
        budget.check_ballot(w, 4 * HOUR, [1, 2], [])
    with pytest.raises(FundsError, match="more than the hub has available"):
        budget.check_round("Spring", 5000, 4999)


# -- polls -------------------------------------------------------------------------------


@given(st.integers(0, 10_000), st.integers(0, 100))
def test_quorum_is_the_share_rounded_up(electorate: int, percent: int) -> None:
    needed = polls.quorum_needed(electorate, percent)
    assert needed * 100 >= electorate * percent > (needed - 1) * 100 or needed == 0


def _outcome(result: polls.PollResult) -> str:
    """The result's sentence as plain text (in English, with its values in)."""
    return str(result.outcome)


def test_yes_no_results() -> None:
    yes_no = polls.PollKind.YES_NO
    opts = polls.YES_NO_OPTIONS
    assert _outcome(polls.result(yes_no, opts, [3, 1, 1], 10, 50)) == "Carried: 3 for, 1 against."
    assert _outcome(polls.result(yes_no, opts, [2, 2, 1], 10, 50)).startswith("Not carried")
    missed = polls.result(yes_no, opts, [3, 0, 1], 10, 50)
    assert not missed.quorum_met and missed.needed == 5
    assert _outcome(missed) == "Not decided: the quorum was not met (4 voted, 5 needed)."


def test_choice_results() -> None:
    choice = polls.PollKind.CHOICE
    opts = ("Park", "Library", "Hall")
    assert _outcome(polls.result(choice, opts, [1, 4, 2], 10, 20)) == "Chosen: Library (4 votes)."
    assert _outcome(polls.result(choice, opts, [1, 0, 0], 10, 0)) == "Chosen: Park (1 vote)."
    tie = _outcome(polls.result(choice, opts, [3, 3, 0], 10, 20))
    assert tie == "A tie between Park and Library (3 votes each): nothing chosen."
    assert _outcome(polls.result(choice, opts, [0, 0, 0], 10, 0)) == "No votes were cast."


def test_bad_polls_are_refused() -> None:
    day = polls.DAY_MS
    kind = polls.PollKind.YES_NO
    with pytest.raises(FundsError, match="at least a day"):
        polls.check_poll("T", "B", kind, polls.YES_NO_OPTIONS, 20, 0, day - 1)
    with pytest.raises(FundsError, match="90 days"):
        polls.check_poll("T", "B", kind, polls.YES_NO_OPTIONS, 20, 0, 91 * day)
    with pytest.raises(FundsError, match="percentage"):
        polls.parse_quorum("120")
    with pytest.raises(FundsError, match="from 2 to 10 options"):
        polls.parse_options(polls.PollKind.CHOICE, "Only one")
    with pytest.raises(FundsError, match="must be different"):
        polls.parse_options(polls.PollKind.CHOICE, "Park\npark")
    with pytest.raises(FundsError, match="closed"):
        polls.check_vote(0, day, day, polls.YES_NO_OPTIONS, 0)
    with pytest.raises(FundsError, match="one of the poll's options"):
        polls.check_vote(0, day, 1, polls.YES_NO_OPTIONS, 3)


# -- receipts ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17) + b"\x00\x00\x00\x00IEND\xaeB`\x82"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + bytes(20) + b"\xff\xd9"
WEBP = b"RIFF" + (12).to_bytes(4, "little") + b"WEBPVP8 " + bytes(4)


@pytest.mark.parametrize(
    ("data", "name", "label", "expected"),
    [
        (PNG, "r.png", "image/png", "image/png"),
        (PDF, "Receipt.PDF", "application/pdf", "application/pdf"),
        (JPEG, "r.jpeg", "image/jpg", "image/jpeg"),
        (WEBP, "r.webp", "application/octet-stream", "image/webp"),
    ],
)
def test_receipts_of_each_type_are_accepted(
    data: bytes, name: str, label: str, expected: str
) -> None:
    assert sniff(data) == expected
    assert check_receipt(data, name, label).media_type == expected


@pytest.mark.parametrize(
    ("data", "name", "label", "message"),
    [
        (PNG, "r.png", "application/pdf", "labelled application/pdf but its content is image/png"),
        (PNG, "r.pdf", "image/png", "does not end as a image/png file should"),
        (b"<html><script>alert(1)</script>", "r.png", "image/png", "none of those"),
        (b"%PDF-1.4 no trailer", "r.pdf", "application/pdf", "none of those"),
        (b"", "r.png", "image/png", "empty"),
        (PNG + bytes(MAX_RECEIPT_BYTES), "r.png", "image/png", "the most this hub keeps is 5 MiB"),
    ],
)
def test_bad_receipts_are_refused(data: bytes, name: str, label: str, message: str) -> None:
    with pytest.raises(FundsError, match=message):
        check_receipt(data, name, label)


# -- the rules stay pure --------------------------------------------------------------------

PURE = ["units", "ledger", "budget", "polls", "notices", "errors"]
# The modules that apply the rules against the store and the clock.
SERVICES = tuple(f"node.funds.{m}" for m in ("service", "books", "rounds", "polling", "hooks"))


@pytest.mark.parametrize("name", PURE)
def test_funds_rules_do_no_io(name: str) -> None:
    tree = ast.parse((ROOT / "node" / "funds" / f"{name}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    banned = {"aiohttp", "aiosqlite", "sqlite3", "asyncio", "os", "time", "random", "secrets"}
    assert not {m.split(".")[0] for m in imported} & banned
    assert not {m for m in imported if m.startswith(("web", "node.store", *SERVICES))}
