"""In-memory guards for the federation API: replayed signatures, request floods and
what each peer may push.

All are bounded: a node under attack forgets the oldest entries rather than
growing without limit. They live in memory because a restart costs an attacker
nothing they could not do anyway within one signature window.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from crypto.httpsig import MAX_FUTURE_SKEW
from node.clock import Clock

SIGNATURE_MAX_AGE = 60  # seconds a signature is valid after its `created` (api.py)
# A nonce is remembered for as long as a signature carrying it can be valid: one
# created MAX_FUTURE_SKEW ahead of our clock is accepted until SIGNATURE_MAX_AGE
# after that, and the check compares whole seconds, which can add up to one more.
REPLAY_WINDOW_MS = (MAX_FUTURE_SKEW + SIGNATURE_MAX_AGE + 1) * 1000


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

    @property
    def seconds_per_request(self) -> float:
        """How long one request's token takes to come back (a Retry-After for a refusal)."""
        return 1 / (self._rate * 1000)

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


class PushBudget:
    """What one peer may push: messages and bytes a minute, each a token bucket.

    A push is taken whole or not at all, so a refused push leaves the buckets as
    they were. Each bucket holds one minute's worth, and never less than the
    largest push PROTOCOL.md §9.2 allows, so an honest full push always fits once
    the bucket has refilled.
    """

    def __init__(
        self,
        clock: Clock,
        messages_per_minute: int,
        bytes_per_minute: int,
        largest_push: tuple[int, int],
        capacity: int = 10_000,
    ) -> None:
        self._clock = clock
        self._rates = (messages_per_minute / 60_000, bytes_per_minute / 60_000)  # per ms
        self._bursts = (
            float(max(messages_per_minute, largest_push[0])),
            float(max(bytes_per_minute, largest_push[1])),
        )
        self._capacity = capacity
        self._buckets: OrderedDict[str, tuple[_Bucket, _Bucket]] = OrderedDict()

    def take(self, peer: str, messages: int, size: int) -> float:
        """Spend a push's cost; 0 if allowed, else the seconds until it would be."""
        now = self._clock()
        buckets = self._buckets.pop(peer, None) or (
            _Bucket(self._bursts[0], now),
            _Bucket(self._bursts[1], now),
        )
        self._buckets[peer] = buckets
        if len(self._buckets) > self._capacity:
            self._buckets.popitem(last=False)
        wait_ms = 0.0
        for bucket, rate, burst, cost in zip(
            buckets, self._rates, self._bursts, (messages, size), strict=True
        ):
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens < cost:
                wait_ms = max(wait_ms, (min(cost, burst) - bucket.tokens) / rate)
        if wait_ms:
            return wait_ms / 1000
        for bucket, cost in zip(buckets, (messages, size), strict=True):
            bucket.tokens -= cost
        return 0.0
