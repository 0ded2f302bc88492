"""Failed logins are limited per account and per client address.

Five failures for one account, or twenty from one address, within fifteen
minutes, and further tries are refused (with the same answer as a wrong password)
until the window passes.
"""

from __future__ import annotations

from collections import OrderedDict, deque

WINDOW_MS = 15 * 60 * 1000
PER_ACCOUNT = 5
PER_ADDRESS = 20
_CAPACITY = 50_000


class LoginGuard:
    def __init__(self) -> None:
        self._failures: OrderedDict[str, deque[int]] = OrderedDict()

    def _recent(self, key: str, now: int) -> deque[int]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - WINDOW_MS:
            times.popleft()
        return times

    def may_try(self, account: str, address: str, now: int) -> bool:
        return (
            len(self._recent(f"a:{account}", now)) < PER_ACCOUNT
            and len(self._recent(f"i:{address}", now)) < PER_ADDRESS
        )

    def failed(self, account: str, address: str, now: int) -> None:
        for key in (f"a:{account}", f"i:{address}"):
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            self._failures.move_to_end(key)
        while len(self._failures) > _CAPACITY:
            self._failures.popitem(last=False)
