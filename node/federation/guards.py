"""In-memory guards for the federation API: replayed signatures and request floods.

Both are bounded: a node under attack forgets the oldest entries rather than
growing without limit. They live in memory because a restart costs an attacker
nothing they could not do anyway within one signature window.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from node.clock import Clock


class ReplayGuard:
    """Remembers (sender, nonce) pairs for as long as their signatures are valid."""

    def __init__(self, clock: Clock, window_ms: int, capacity: int = 200_000) -> None:
        self._clock = clock
        self._window = window_ms
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()

    def first_use(self, sender: str, nonce: str) -> bool:
        """True the first time a nonce is seen from a sender within the window."""
        now = self._clock()
        while self._seen:
            expires = next(iter(self._seen.values()))
            if expires > now and len(self._seen) < self._capacity:
                break
            self._seen.popitem(last=False)
        if (sender, nonce) in self._seen:
            return False
        # Entries expire in insertion order because every entry gets the same window.
        self._seen[(sender, nonce)] = now + self._window
        return True


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: int


class RateLimiter:
    """A token bucket per key: `rate` requests a minute, bursts up to `burst`."""

    def __init__(self, clock: Clock, rate_per_minute: float, burst: int, capacity: int = 10_000):
        self._clock = clock
        self._rate = rate_per_minute / 60_000  # tokens per ms
        self._burst = burst
        self._capacity = capacity
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(float(self._burst), now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        allowed = bucket.tokens >= 1
        if allowed:
            bucket.tokens -= 1
        self._buckets[key] = bucket
        if len(self._buckets) > self._capacity:
            self._buckets.popitem(last=False)
        return allowed
