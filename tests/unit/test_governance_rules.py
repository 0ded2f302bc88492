"""Terms and tallies: the pure rules of the hub's governance, with properties."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from node.governance import tally
from node.governance.terms import (
    Term,
    add_months,
    describe_date,
    may_stand_from,
    standing_refusal,
    term_end,
)


def ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp()) * 1000  # type: ignore[misc]


# -- terms -------------------------------------------------------------------------


def test_a_term_is_twelve_calendar_months() -> None:
    assert term_end(ms(2026, 3, 15, 18, 30)) == ms(2027, 3, 15, 18, 30)
    assert term_end(ms(2028, 2, 29, 12)) == ms(2029, 2, 28, 12)  # no 29 Feb in 2029
    assert add_months(ms(2027, 1, 31), 1) == ms(2027, 2, 28)
    assert add_months(ms(2027, 11, 30), 3) == ms(2028, 2, 29)


@given(st.integers(0, 4_000_000_000_000), st.integers(0, 120))
def test_adding_months_never_goes_back_and_keeps_the_time_of_day(start: int, months: int) -> None:
    later = add_months(start, months)
    assert later >= start
    assert later % 86_400_000 == start % 86_400_000


def test_holder_may_stand_again_twelve_months_after_the_term_ended() -> None:
    term = Term(ms(2026, 1, 1), ms(2027, 1, 1))
    assert standing_refusal([term], ms(2026, 6, 1)) == ms(2028, 1, 1)  # still holding it
    assert standing_refusal([term], ms(2027, 12, 31, 23, 59)) == ms(2028, 1, 1)
    assert standing_refusal([term], ms(2028, 1, 1)) is None
    assert may_stand_from(ms(2027, 1, 1)) == ms(2028, 1, 1)


def test_a_term_ended_early_counts_from_when_it_ended() -> None:
    recalled = Term(ms(2026, 1, 1), ms(2026, 4, 1))
    assert standing_refusal([recalled], ms(2026, 5, 1)) == ms(2027, 4, 1)


def test_open_ended_and_future_terms_do_not_bar_anyone() -> None:
    assert standing_refusal([Term(ms(2026, 1, 1), None)], ms(2026, 5, 1)) is None
    assert standing_refusal([Term(ms(2030, 1, 1), ms(2031, 1, 1))], ms(2026, 5, 1)) is None
    assert standing_refusal([], ms(2026, 5, 1)) is None


def test_latest_of_several_terms_counts() -> None:
    terms = [Term(ms(2020, 1, 1), ms(2021, 1, 1)), Term(ms(2023, 1, 1), ms(2024, 1, 1))]
    assert standing_refusal(terms, ms(2024, 6, 1)) == ms(2025, 1, 1)


def test_dates_are_described_for_people() -> None:
    assert describe_date(ms(2027, 12, 1, 14, 5)) == "1 December 2027 at 14:05 UTC"


# -- tallies -------------------------------------------------------------------------

NAMES = ["1", "2", "3", "4", "5"]
candidates_st = st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True)


@st.composite
def election(draw: st.DrawFn, ranked: bool = True) -> tuple[list[str], list[tally.Ballot]]:
    candidates = draw(candidates_st)
    ballot = (
        st.lists(st.sampled_from(candidates), min_size=1, max_size=len(candidates), unique=True)
        if ranked
        else st.sampled_from(candidates).map(lambda c: [c])
    )
    ballots = draw(st.lists(ballot.map(tuple), max_size=40))
    return candidates, ballots


seeds = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


@given(st.sampled_from(NAMES), st.lists(st.just(0), max_size=20), seeds)
def test_instant_runoff_with_one_candidate_elects_them(
    only: str, votes: list[int], seed: str
) -> None:
    result = tally.instant_runoff([only], [(only,)] * len(votes), seed)
    assert result.winner == only
    assert len(result.rounds) == 1


@settings(max_examples=200)
@given(election(), seeds, st.randoms(use_true_random=False))
def test_ballot_order_does_not_change_the_result(
    case: tuple[list[str], list[tally.Ballot]], seed: str, rng: object
) -> None:
    candidates, ballots = case
    shuffled = list(ballots)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    reordered = list(reversed(candidates))
    for method in (tally.PLURALITY, tally.INSTANT_RUNOFF):
        a = tally.count(method, candidates, ballots, seed)
        b = tally.count(method, reordered, shuffled, seed)
        assert a == b


@settings(max_examples=200)
@given(election(), seeds)
def test_every_round_accounts_for_every_ballot(
    case: tuple[list[str], list[tally.Ballot]], seed: str
) -> None:
    candidates, ballots = case
    result = tally.instant_runoff(candidates, ballots, seed)
    assert result.winner in candidates
    for r in result.rounds:
        assert sum(r.counts.values()) + r.exhausted == len(ballots)
    eliminated = [r.eliminated for r in result.rounds if r.eliminated]
    assert len(eliminated) == len(set(eliminated)) and result.winner not in eliminated
    assert result.rounds[-1].elected == result.winner


@settings(max_examples=200)
@given(election(), seeds)
def test_a_majority_of_first_choices_wins_in_the_first_round(
    case: tuple[list[str], list[tally.Ballot]], seed: str
) -> None:
    candidates, ballots = case
    firsts = tally.plurality(candidates, ballots, seed).rounds[0].counts
    leader = max(firsts, key=firsts.__getitem__)
    if firsts[leader] * 2 > len(ballots):
        result = tally.instant_runoff(candidates, ballots, seed)
        assert result.winner == leader and len(result.rounds) == 1


@settings(max_examples=200)
@given(election(ranked=False), seeds)
def test_plurality_elects_a_candidate_with_the_most_votes(
    case: tuple[list[str], list[tally.Ballot]], seed: str
) -> None:
    candidates, ballots = case
    result = tally.plurality(candidates, ballots, seed)
    counts = result.rounds[0].counts
    assert result.winner is not None and counts[result.winner] == max(counts.values())
    tied = [c for c in candidates if counts[c] == counts[result.winner]]
    # The tie rule: the lowest lot among those tied wins.
    assert result.winner == min(tied, key=lambda c: tally.lot(seed, c))


def test_plurality_tie_goes_to_the_lowest_lot_and_is_shown() -> None:
    seed = "00" * 16
    lots = {c: tally.lot(seed, c) for c in ("1", "2")}
    result = tally.plurality(["1", "2"], [("1",), ("2",)], seed)
    assert result.winner == min(lots, key=lots.__getitem__)
    assert set(result.rounds[0].tied) == {"1", "2"}
    assert result.lots == lots


def test_instant_runoff_tie_for_fewest_eliminates_the_highest_lot() -> None:
    seed = "ab" * 16
    ballots = [("1",), ("1",), ("1",), ("2",), ("2",), ("3",), ("3",)]
    result = tally.instant_runoff(["1", "2", "3"], ballots, seed)
    first = result.rounds[0]
    assert set(first.tied) == {"2", "3"}
    assert first.eliminated == max(("2", "3"), key=lambda c: tally.lot(seed, c))


def test_instant_runoff_transfers_to_the_next_choice() -> None:
    ballots = [("A",)] * 4 + [("B", "C")] * 2 + [("C", "B")] * 3
    result = tally.instant_runoff(["A", "B", "C"], ballots, "seed")
    assert [r.counts for r in result.rounds] == [
        {"A": 4, "B": 2, "C": 3},
        {"A": 4, "C": 5},
    ]
    assert result.rounds[0].eliminated == "B" and result.winner == "C"


def test_exhausted_ballots_are_counted_apart() -> None:
    ballots = [("A",)] * 3 + [("B",)] * 2 + [("C",)] * 2 + [("C", "B")]
    result = tally.instant_runoff(["A", "B", "C"], ballots, "seed")
    second = result.rounds[1]
    assert (second.counts, second.exhausted) == ({"A": 3, "C": 3}, 2)
    assert set(second.tied) == {"A", "C"} and len(result.rounds) == 3
    assert result.winner == min(("A", "C"), key=lambda c: tally.lot("seed", c))


def test_yes_no_needs_more_yes_than_no() -> None:
    assert tally.yes_no([("yes",), ("no",), ("yes",)]).winner == "yes"
    assert tally.yes_no([("yes",), ("no",)]).winner == "no"  # a tie keeps the holder
    assert tally.yes_no([]).winner == "no"


@given(election(), seeds)
def test_results_survive_storage(case: tuple[list[str], list[tally.Ballot]], seed: str) -> None:
    candidates, ballots = case
    result = tally.instant_runoff(candidates, ballots, seed)
    assert tally.Result.from_json(result.to_json()) == result
