"""SQL for the network assembly (node/assembly.py): the assembly messages held, and
the secrets of this hub's sealed votes, kept until the node reveals them."""

from __future__ import annotations

import aiosqlite

from node.store.database import Database
from protocol.envelope import Message, parse_payload
from protocol.roster import ASSEMBLY_KINDS


async def assembly_messages(db: Database) -> list[Message]:
    """Every assembly message held, in the order stored (the tally does not care)."""
    marks = ", ".join("?" * len(ASSEMBLY_KINDS))
    rows = await db.fetchall(
        f"SELECT payload, signature FROM messages WHERE kind IN ({marks}) ORDER BY rowid",
        ASSEMBLY_KINDS,
    )
    return [parse_payload(p, s) for p, s in rows]


async def add_vote_secret_txn(
    conn: aiosqlite.Connection,
    vote_id: bytes,
    motion_id: bytes,
    choice: str,
    secret: bytes,
    now: int,
) -> None:
    """Keep a sealed vote's choice and secret, in the vote message's own transaction."""
    await conn.execute(
        "INSERT INTO vote_secrets (vote_id, motion_id, choice, secret, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (vote_id, motion_id, choice, secret, now),
    )


async def motions_with_secrets(db: Database) -> list[bytes]:
    rows = await db.fetchall("SELECT DISTINCT motion_id FROM vote_secrets")
    return [bytes(row[0]) for row in rows]


async def vote_secret(db: Database, vote_id: bytes) -> tuple[str, bytes] | None:
    """The choice and secret of one of this hub's sealed votes, if still held."""
    row = await db.fetchone("SELECT choice, secret FROM vote_secrets WHERE vote_id = ?", (vote_id,))
    return (str(row[0]), bytes(row[1])) if row else None
