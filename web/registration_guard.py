"""Public registrations for events are limited per client address, and per address
and event.

Registration is public and takes a place at the event. With email set up a
registration counts only once its link is followed (node/accounts/confirmations.py),
and the limit keeps the node from mailing strangers for a bot; without email the
limit is all that stands between a bot and an event's places, and the form says
so. Kept in memory like the join limit (web/join_guard.py).
"""

from __future__ import annotations

from collections import OrderedDict, deque

WINDOW_MS = 24 * 60 * 60 * 1000
PER_ADDRESS = 10  # registrations a day from one address, over all events
PER_ADDRESS_AND_EVENT = 3  # …and for any one event: a household's worth
_CAPACITY = 50_000


class RegistrationGuard:
    def __init__(self) -> None:
        self._times: OrderedDict[str, deque[int]] = OrderedDict()

    def _recent(self, key: str, now: int) -> deque[int]:
        times = self._times.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - WINDOW_MS:
            times.popleft()
        return times

    def may_register(self, address: str, event: bytes, now: int) -> bool:
        return (
            len(self._recent(f"a:{address}", now)) < PER_ADDRESS
            and len(self._recent(f"e:{address}:{event.hex()}", now)) < PER_ADDRESS_AND_EVENT
        )

    def registered(self, address: str, event: bytes, now: int) -> None:
        """Count one registration from `address` (whether or not it was taken)."""
        for key in (f"a:{address}", f"e:{address}:{event.hex()}"):
            times = self._recent(key, now)
            times.append(now)
            self._times[key] = times
            self._times.move_to_end(key)
        while len(self._times) > _CAPACITY:
            self._times.popitem(last=False)
