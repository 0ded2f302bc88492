"""The books of a resolved fork (PROTOCOL.md §6.2), for node/store/messages.py.

Helpers that run inside the store's write transaction (`_txn`): moving the branch
an origin abandoned out of its log into the evidence, and remembering the
resolution. Nothing here decides anything: protocol/keys.py and the store do.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from protocol.envelope import Message, MessageId, parse_payload
from protocol.forks import Resolution


async def resolutions_txn(
    conn: aiosqlite.Connection, origins: Sequence[str]
) -> dict[str, Resolution]:
    """Each origin's latest resolution, for the origins that have one."""
    found: dict[str, Resolution] = {}
    for start in range(0, len(origins), 500):
        chunk = origins[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            "SELECT origin, from_seq, keep, until_seq FROM fork_resolutions"
            f" WHERE origin IN ({marks}) ORDER BY from_seq",
            chunk,
        ) as cursor:
            for origin, from_seq, keep, until_seq in await cursor.fetchall():
                found[origin] = Resolution(from_seq, MessageId(bytes(keep)), until_seq)
    return found


async def id_at_seq_txn(conn: aiosqlite.Connection, origin: str, seq: int) -> MessageId | None:
    async with conn.execute(
        "SELECT id FROM messages WHERE origin = ? AND seq = ?", (origin, seq)
    ) as cursor:
        row = await cursor.fetchone()
    return MessageId(bytes(row[0])) if row else None


async def drop_branch_txn(
    conn: aiosqlite.Connection, origin: str, from_seq: int, keep: MessageId, now: int
) -> None:
    """Move the origin's messages at `from_seq` and after from its log to the evidence.

    PROTOCOL.md §6.2: the branch the origin abandoned stays as evidence (never
    deleted), is no longer in the log, and is no longer sent to peers. Its key
    history goes with it: the state in force from `from_seq` is the shared prefix's.
    """
    await conn.execute(
        "INSERT OR IGNORE INTO forks (id, origin, seq, other_id, received_at, payload,"
        " signature) SELECT id, origin, seq, ?, ?, payload, signature FROM messages"
        " WHERE origin = ? AND seq >= ?",
        (keep, now, origin, from_seq),
    )
    await conn.execute(
        "DELETE FROM outbox WHERE message_id IN"
        " (SELECT id FROM messages WHERE origin = ? AND seq >= ?)",
        (origin, from_seq),
    )
    await conn.execute("DELETE FROM messages WHERE origin = ? AND seq >= ?", (origin, from_seq))
    await conn.execute(
        "DELETE FROM key_history WHERE origin = ? AND from_seq > ?", (origin, from_seq)
    )


async def evidence_at_txn(
    conn: aiosqlite.Connection, origin: str, seq: int, prev: MessageId | None
) -> list[Message]:
    """Messages kept as evidence at `seq` that link to `prev`: the kept branch, if held."""
    async with conn.execute(
        "SELECT payload, signature FROM forks WHERE origin = ? AND seq = ?", (origin, seq)
    ) as cursor:
        rows = await cursor.fetchall()
    return [m for m in (parse_payload(p, s) for p, s in rows) if m.prev == prev]


async def forget_evidence_txn(conn: aiosqlite.Connection, message_id: MessageId) -> None:
    """A message back in the log is no longer evidence against it."""
    await conn.execute("DELETE FROM forks WHERE id = ?", (message_id,))


async def record_resolution_txn(
    conn: aiosqlite.Connection, origin: str, resolution: Resolution, resolve: Message, now: int
) -> None:
    await conn.execute(
        "INSERT OR REPLACE INTO fork_resolutions (origin, from_seq, keep, until_seq,"
        " resolve_id, resolved_at) VALUES (?, ?, ?, ?, ?, ?)",
        (origin, resolution.from_seq, resolution.keep, resolution.until_seq, resolve.id, now),
    )
