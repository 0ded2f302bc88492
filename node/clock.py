"""Time as a dependency: services take a Clock so tests can move time by hand."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]  # milliseconds since the Unix epoch, UTC


def system_clock() -> int:
    return time.time_ns() // 1_000_000


def describe_age(ms: int | None, now: int) -> str:
    """How long ago `ms` was, for people: "3 minutes ago", or "never"."""
    if ms is None:
        return "never"
    seconds = max(0, (now - ms) // 1000)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
