"""Counting ballots, as pure functions: plurality, instant-runoff, and yes/no.

A ballot is a tuple of candidate keys, most preferred first (a plurality ballot
holds one). Counts are shown round by round.

The tie rule, published on every result: each candidate draws a lot, the
SHA-256 of the election's id, a zero byte and the candidate's key, in hex.
Where candidates tie for the most votes, the lowest lot wins; where they tie for
the fewest in an instant-runoff round, the highest lot is eliminated. The
election id is random, made when the election opens (before anyone is
nominated), and shown on its page, so anyone can recompute the draw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Ballot = tuple[str, ...]

PLURALITY = "plurality"
INSTANT_RUNOFF = "instant-runoff"
YES_NO = "yes-no"
METHODS = (PLURALITY, INSTANT_RUNOFF, YES_NO)


def lot(seed: str, candidate: str) -> str:
    """A candidate's lot in the tie-break draw: hex SHA-256 of seed, 0x00, candidate."""
    return hashlib.sha256(seed.encode() + b"\x00" + candidate.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Round:
    counts: dict[str, int]  # votes for each candidate still in the count
    exhausted: int = 0  # ballots that rank no candidate still in the count
    elected: str | None = None
    eliminated: str | None = None
    tied: tuple[str, ...] = ()  # candidates the lot decided between, if it did


@dataclass(frozen=True, slots=True)
class Result:
    method: str
    ballots: int
    rounds: tuple[Round, ...]
    winner: str | None  # yes/no: "yes" if carried, "no" if not
    lots: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "method": self.method,
                "ballots": self.ballots,
                "winner": self.winner,
                "lots": self.lots,
                "rounds": [
                    {
                        "counts": r.counts,
                        "exhausted": r.exhausted,
                        "elected": r.elected,
                        "eliminated": r.eliminated,
                        "tied": list(r.tied),
                    }
                    for r in self.rounds
                ],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Result:
        data: dict[str, Any] = json.loads(text)
        return cls(
            method=data["method"],
            ballots=data["ballots"],
            winner=data["winner"],
            lots=data["lots"],
            rounds=tuple(
                Round(
                    counts=r["counts"],
                    exhausted=r["exhausted"],
                    elected=r["elected"],
                    eliminated=r["eliminated"],
                    tied=tuple(r["tied"]),
                )
                for r in data["rounds"]
            ),
        )


def _first_choices(ballots: Iterable[Ballot], continuing: set[str]) -> tuple[dict[str, int], int]:
    counts = dict.fromkeys(sorted(continuing), 0)
    exhausted = 0
    for ballot in ballots:
        choice = next((c for c in ballot if c in continuing), None)
        if choice is None:
            exhausted += 1
        else:
            counts[choice] += 1
    return counts, exhausted


def plurality(candidates: Sequence[str], ballots: Sequence[Ballot], seed: str) -> Result:
    """One round of first choices; the most votes wins, a tie goes to the lowest lot."""
    if not candidates:
        return Result(PLURALITY, len(ballots), (), None)
    lots = {c: lot(seed, c) for c in candidates}
    counts, exhausted = _first_choices(ballots, set(candidates))
    top = max(counts.values())
    tied = sorted((c for c, n in counts.items() if n == top), key=lots.__getitem__)
    winner = tied[0]
    round_ = Round(counts, exhausted, elected=winner, tied=tuple(tied) if len(tied) > 1 else ())
    return Result(PLURALITY, len(ballots), (round_,), winner, lots)


def instant_runoff(candidates: Sequence[str], ballots: Sequence[Ballot], seed: str) -> Result:
    """Count first choices among continuing candidates; more than half of the ballots
    still in the count wins; else the fewest is eliminated (a tie: the highest lot) and
    their ballots pass to each one's next choice. The last one continuing wins."""
    if not candidates:
        return Result(INSTANT_RUNOFF, len(ballots), (), None)
    lots = {c: lot(seed, c) for c in candidates}
    continuing = set(candidates)
    rounds: list[Round] = []
    while True:
        counts, exhausted = _first_choices(ballots, continuing)
        live = len(ballots) - exhausted
        top = max(counts.values())
        leaders = [c for c, n in counts.items() if n == top]
        if len(continuing) == 1 or (top * 2 > live and len(leaders) == 1):
            winner = leaders[0] if len(leaders) == 1 else next(iter(continuing))
            rounds.append(Round(counts, exhausted, elected=winner))
            return Result(INSTANT_RUNOFF, len(ballots), tuple(rounds), winner, lots)
        fewest = min(counts.values())
        tied = sorted((c for c, n in counts.items() if n == fewest), key=lots.__getitem__)
        out = tied[-1]
        rounds.append(
            Round(counts, exhausted, eliminated=out, tied=tuple(tied) if len(tied) > 1 else ())
        )
        continuing.discard(out)


def yes_no(ballots: Sequence[Ballot]) -> Result:
    """A recall: carried ("yes") only by more yes than no; a tie keeps the holder."""
    counts = {"yes": 0, "no": 0}
    for ballot in ballots:
        if ballot and ballot[0] in counts:
            counts[ballot[0]] += 1
    winner = "yes" if counts["yes"] > counts["no"] else "no"
    return Result(YES_NO, len(ballots), (Round(counts, elected=winner),), winner)


def count(method: str, candidates: Sequence[str], ballots: Sequence[Ballot], seed: str) -> Result:
    if method == PLURALITY:
        return plurality(candidates, ballots, seed)
    if method == INSTANT_RUNOFF:
        return instant_runoff(candidates, ballots, seed)
    if method == YES_NO:
        return yes_no(ballots)
    raise ValueError(f"unknown counting method {method!r}")
