"""A member's choices in a budget round before they send them: held in memory only.

Approvals are secret once sent (node/store/ballots.py keeps them apart from the
member). Choices being made are tied to the member, so they are never written to
disk, where they could outlast the ballot: a restart forgets them, as does sending
the approvals, and a choice untouched for a day is dropped.
"""

from __future__ import annotations

from collections import OrderedDict

DAY_MS = 24 * 3_600_000


class Choices:
    MOST = 10_000  # members × rounds being chosen in at once; the oldest goes first

    def __init__(self) -> None:
        self._held: OrderedDict[tuple[int, int], tuple[frozenset[int], int]] = OrderedDict()

    def of(self, member_id: int, round_id: int, now: int) -> frozenset[int]:
        found = self._held.get((member_id, round_id))
        if found is None or now - found[1] > DAY_MS:
            return frozenset()
        return found[0]

    def set(self, member_id: int, round_id: int, chosen: frozenset[int], now: int) -> None:
        key = (member_id, round_id)
        self._held.pop(key, None)
        if chosen:
            self._held[key] = (chosen, now)
            while len(self._held) > self.MOST:
                self._held.popitem(last=False)

    def clear(self) -> None:
        """Forget every member's choices (the hub was locked)."""
        self._held.clear()

    def forget(self, member_id: int, round_id: int) -> None:
        self._held.pop((member_id, round_id), None)
