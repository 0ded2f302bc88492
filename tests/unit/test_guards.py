"""The federation API's in-memory guards, with a clock the test moves."""

from __future__ import annotations

from node.federation.guards import PushBudget
from tests.helpers import ManualClock

MIB = 1024 * 1024


def test_a_push_over_the_message_budget_is_refused_whole_until_it_refills() -> None:
    clock = ManualClock()
    budget = PushBudget(clock, 2000, 64 * MIB, largest_push=(1000, 8 * MIB))
    assert budget.take("p", 1000, 1000) == 0
    assert budget.take("p", 1000, 1000) == 0
    wait = budget.take("p", 500, 1000)
    assert wait == 15  # 500 messages at 2,000 a minute
    clock.advance(14_000)
    assert budget.take("p", 500, 1000) > 0  # refused whole: nothing was spent
    clock.advance(1000)
    assert budget.take("p", 500, 1000) == 0


def test_bytes_are_counted_apart_from_messages_and_peers_apart_from_each_other() -> None:
    clock = ManualClock()
    budget = PushBudget(clock, 20_000, 16 * MIB, largest_push=(1000, 8 * MIB))
    assert budget.take("p", 10, 8 * MIB) == 0
    assert budget.take("p", 10, 8 * MIB) == 0
    assert budget.take("p", 10, 1 * MIB) == 3.75  # 1 MiB at 16 MiB a minute
    assert budget.take("q", 10, 8 * MIB) == 0


def test_the_largest_push_always_fits_a_full_bucket_whatever_the_budget() -> None:
    clock = ManualClock()
    budget = PushBudget(clock, 10, 1000, largest_push=(1000, 8 * MIB))
    assert budget.take("p", 1000, 8 * MIB) == 0
    assert budget.take("p", 1, 1) > 0
