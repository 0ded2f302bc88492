"""How long ago, as `hubnet peer list` prints it (the pages have their own, translated)."""

from __future__ import annotations

import pytest

from node.clock import describe_age

NOW = 1_900_000_000_000


@pytest.mark.parametrize(
    ("ago_ms", "said"),
    [
        (0, "just now"),
        (999, "just now"),
        (1_000, "1 second ago"),
        (59_000, "59 seconds ago"),
        (60_000, "1 minute ago"),
        (7_200_000, "2 hours ago"),
        (86_400_000, "1 day ago"),
        (-5_000, "just now"),  # a contact stamped ahead of this clock
    ],
)
def test_an_age_is_said_with_its_plural(ago_ms: int, said: str) -> None:
    assert describe_age(NOW - ago_ms, NOW) == said


def test_no_contact_is_never() -> None:
    assert describe_age(None, NOW) == "never"
