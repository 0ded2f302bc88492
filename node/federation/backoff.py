"""How long to wait before trying a failing peer again: exponential, capped, jittered."""

from __future__ import annotations

import random

BASE_MS = 1000


def retry_delay_ms(failures: int, max_ms: int, rng: random.Random | None = None) -> int:
    """Delay after `failures` consecutive failures: 1 s, 2 s, 4 s… up to max_ms.

    The jitter (a random 50–100 % of the step) keeps many nodes that lost the
    same peer from all knocking at the same instant when it comes back.
    """
    step = min(max_ms, BASE_MS * 2 ** min(max(failures - 1, 0), 30))
    return int(step * (rng or random).uniform(0.5, 1.0))
