"""Applications to join are limited per client address.

The join form is public, and every application costs an argon2id hash and a row
the membership secretary must read. Five applications from one address within
an hour are plenty for a household sharing a connection; further ones are
refused until the window passes. With email set up an application is recorded
only once its emailed link is followed (node/accounts/confirmations.py), and
the limit keeps the node from mailing strangers for a bot. Like the login limit
(web/login_guard.py) it is kept in memory: a restart forgets it, which only
helps an attacker who can also restart the node.
"""

from __future__ import annotations

from collections import OrderedDict, deque

WINDOW_MS = 60 * 60 * 1000
PER_ADDRESS = 5
_CAPACITY = 50_000


class JoinGuard:
    def __init__(self) -> None:
        self._applications: OrderedDict[str, deque[int]] = OrderedDict()

    def _recent(self, address: str, now: int) -> deque[int]:
        times = self._applications.get(address)
        if times is None:
            return deque()
        while times and times[0] <= now - WINDOW_MS:
            times.popleft()
        return times

    def may_apply(self, address: str, now: int) -> bool:
        return len(self._recent(address, now)) < PER_ADDRESS

    def applied(self, address: str, now: int) -> None:
        """Count one application from `address` (whether or not it was accepted)."""
        times = self._recent(address, now)
        times.append(now)
        self._applications[address] = times
        self._applications.move_to_end(address)
        while len(self._applications) > _CAPACITY:
            self._applications.popitem(last=False)
