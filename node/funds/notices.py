"""What members are told, and when: the one place the funds pages produce notices.

Each function returns the notice for one event; the funds services (rounds.py,
polling.py, and `Funds.settle` in service.py) hand every notice they make to the
`notify` hook at the moment the event happens (a round or poll opened) or is
first seen to have happened (a result, computed on the first read after the
window closed). Every notice is for all active members; node/node.py wires the
hook to the hub's notifications.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.funds.units import pounds, utc_text


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    link: str  # a path on this hub


def budget_round_opened(
    round_id: int, title: str, amount: int, proposals_close_at: int, voting_open_at: int
) -> Notice:
    return Notice(
        f"Budget round “{title}” is open: propose how to spend {pounds(amount)} until"
        f" {utc_text(proposals_close_at)}; voting opens {utc_text(voting_open_at)}.",
        f"/budget/{round_id}",
    )


def budget_result_published(round_id: int, title: str, funded: int, total: int) -> Notice:
    return Notice(
        f"Budget round “{title}” has closed: {funded} proposal{'s' * (funded != 1)} funded,"
        f" {pounds(total)} committed. See the result.",
        f"/budget/{round_id}",
    )


def poll_opened(poll_id: int, title: str, closes_at: int) -> Notice:
    return Notice(f"New poll: “{title}”. Vote by {utc_text(closes_at)}.", f"/polls/{poll_id}")


def poll_closed(poll_id: int, title: str, outcome: str) -> Notice:
    return Notice(f"Poll closed: “{title}”. {outcome}", f"/polls/{poll_id}")
