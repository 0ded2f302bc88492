"""What the funds services share: the two hooks `Funds` hands them (settle closed
windows, tell members)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from node.funds.notices import Notice

log = logging.getLogger(__name__)

# Decide every round and poll whose window has closed (`Funds.settle`): run before a
# read, so nothing is shown as open after its close.
Settle = Callable[[], Awaitable[None]]
NoticeHook = Callable[[Sequence[Notice]], Awaitable[None]]


async def log_notices(items: Sequence[Notice]) -> None:
    """The default hook, until notices are wired to members (node/funds/notices.py)."""
    for item in items:
        log.info("notice for members: %s (%s)", item.text, item.link)
