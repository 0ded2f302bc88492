"""Pull planning (PROTOCOL.md §10): what to ask a peer for, from both sides' heads."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class PullRequest:
    origin: str
    after_seq: int
    until_seq: int  # the peer's head when planned; pages stop there or when it says "no more"


def plan_pull(
    ours: Mapping[str, int], theirs: Mapping[str, int], skip: Container[str] = ()
) -> list[PullRequest]:
    """For each origin where the peer is ahead, fetch from our head onward.

    Origins in `skip` (blocked or forked here) are left alone. The plan is sorted
    by origin, so two nodes planning from the same heads ask the same things.
    """
    return sorted(
        PullRequest(origin, ours.get(origin, 0), seq)
        for origin, seq in theirs.items()
        if seq > ours.get(origin, 0) and origin not in skip
    )
