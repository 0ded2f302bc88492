"""The hubs projection: each origin's latest `hub.profile` in the `hubs` table.

Every hub this node has heard of is kept, member of the network or not (the
network's hubs page names hubs asking to join); pages that show only members'
hubs filter by the roster when they read. `node.store.hubs.hub_profiles` is
the one way to read it.
"""

from __future__ import annotations

from collections.abc import Callable

import aiosqlite

from node.projections.runner import Projection
from node.store.hubs import forget_profiles_txn, put_profile_txn
from protocol.envelope import Message


def hubs_projection(committed: Callable[[], None] | None = None) -> Projection:
    async def apply_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
        for message in messages:
            await put_profile_txn(conn, message)

    return Projection(
        "hubs",
        frozenset({"hub.profile"}),
        apply_txn,
        forget_profiles_txn,
        roster=False,
        committed=committed,
    )
