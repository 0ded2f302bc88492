"""SQL for an organiser's operations on their own node: the "recovering" state
(node/recovery.py) and the key commitment and fork evidence that key changes read
(node/keys.py)."""

from __future__ import annotations

import aiosqlite

from node.store.database import Database
from node.store.messages import RECOVERING


async def recovering(db: Database) -> str | None:
    """Why the node is recovering (e.g. "restored from a backup"), or None."""
    row = await db.fetchone("SELECT value FROM node_state WHERE name = ?", (RECOVERING,))
    return str(row[0]) if row else None


async def set_recovering_txn(conn: aiosqlite.Connection, why: str, now: int) -> None:
    await conn.execute(
        "INSERT INTO node_state (name, value, set_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
        (RECOVERING, why, now),
    )


async def finish_recovering(db: Database) -> bool:
    """Clear the state; True if it was set."""
    async with db.write() as conn:
        cursor = await conn.execute("DELETE FROM node_state WHERE name = ?", (RECOVERING,))
        return cursor.rowcount > 0


async def key_commitment(db: Database, origin: str) -> bytes | None:
    """The digest of the successor key `origin` committed to, if any (PROTOCOL.md §7)."""
    row = await db.fetchone("SELECT next_key_digest FROM origins WHERE origin = ?", (origin,))
    return bytes(row[0]) if row and row[0] is not None else None


async def first_forked_seq(db: Database, origin: str) -> int | None:
    """The lowest seq of `origin`'s log held as forked, if any."""
    row = await db.fetchone("SELECT min(seq) FROM forks WHERE origin = ?", (origin,))
    return None if row is None or row[0] is None else int(row[0])
