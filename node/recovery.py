"""The "recovering" state of a node restored from a backup (or revoking a stolen key).

While it is set, MessageStore.append refuses to write (node/store/messages.py):
the node may have published seqs after the backup was taken, and writing again
at its restored head + 1 would fork its own log. The running node clears it once
every peer has told it its own head and it holds at least that much of its own
log (node/federation/recovery.py); `hubnet recovery finish` clears it by hand.
"""

from __future__ import annotations

from node.clock import Clock
from node.store import operations
from node.store.database import Database


async def is_recovering(db: Database) -> str | None:
    """Why the node is recovering (e.g. "restored from a backup"), or None."""
    return await operations.recovering(db)


async def set_recovering(db: Database, why: str, clock: Clock) -> None:
    async with db.write() as conn:
        await operations.set_recovering_txn(conn, why, clock())


async def finish(db: Database) -> bool:
    """Clear the state; True if it was set."""
    return await operations.finish_recovering(db)
