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
from node.wording import Moment, Wording, counted


@dataclass(frozen=True, slots=True)
class Notice:
    text: Wording  # in each member's language (node/wording.py)
    link: str  # a path on this hub


def _at(ms: int) -> Moment:
    return Moment(ms, utc_text(ms))


def budget_round_opened(
    round_id: int, title: str, amount: int, proposals_close_at: int, voting_open_at: int
) -> Notice:
    return Notice(
        Wording(
            "Budget round “%(title)s” is open: propose how to spend %(amount)s until"
            " %(closes)s; voting opens %(opens)s.",
            {
                "title": title,
                "amount": pounds(amount),
                "closes": _at(proposals_close_at),
                "opens": _at(voting_open_at),
            },
        ),
        f"/budget/{round_id}",
    )


def budget_result_published(round_id: int, title: str, funded: int, total: int) -> Notice:
    return Notice(
        counted(
            "Budget round “%(title)s” has closed: %(num)d proposal funded, %(total)s committed."
            " See the result.",
            "Budget round “%(title)s” has closed: %(num)d proposals funded, %(total)s committed."
            " See the result.",
            funded,
            {"title": title, "num": funded, "total": pounds(total)},
        ),
        f"/budget/{round_id}",
    )


def poll_opened(poll_id: int, title: str, closes_at: int) -> Notice:
    return Notice(
        Wording(
            "New poll: “%(title)s”. Vote by %(closes)s.", {"title": title, "closes": _at(closes_at)}
        ),
        f"/polls/{poll_id}",
    )


def poll_closed(poll_id: int, title: str, outcome: Wording) -> Notice:
    return Notice(
        Wording("Poll closed: “%(title)s”. %(outcome)s", {"title": title, "outcome": outcome}),
        f"/polls/{poll_id}",
    )
