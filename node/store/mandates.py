"""SQL for the delegate's mandates (`delegate_mandates`): one row per delegate term,
with the `delegate.mandate` message that published it and, once the term ended, the
`delegate.recall` that withdrew it.

A row is written in the transaction that elects, recalls or retires the delegate;
its messages are published afterwards, by node/governance/schedule.py, and their
ids recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from node.store.database import Database


@dataclass(frozen=True, slots=True)
class Mandate:
    member_id: int
    starts_at: int
    ends_at: int
    network_name: str
    message_id: bytes | None  # None until the mandate is published
    ended_at: int | None
    end_reason: str | None
    recall_id: bytes | None  # None until the recall is published


@dataclass(frozen=True, slots=True)
class UnpublishedMandate:
    member_id: int
    starts_at: int
    ends_at: int
    network_name: str


@dataclass(frozen=True, slots=True)
class UnpublishedRecall:
    member_id: int
    starts_at: int
    mandate_id: bytes  # the published mandate the recall withdraws
    reason: str


async def end_running_txn(conn: aiosqlite.Connection, at: int, reason: str) -> None:
    """End, at `at`, every mandate not yet ended and not over by then."""
    await conn.execute(
        "UPDATE delegate_mandates SET ended_at = ?, end_reason = ?"
        " WHERE ended_at IS NULL AND ends_at > ?",
        (at, reason, at),
    )


async def add_txn(
    conn: aiosqlite.Connection, member_id: int, starts_at: int, ends_at: int, network_name: str
) -> None:
    await conn.execute(
        "INSERT INTO delegate_mandates (member_id, starts_at, ends_at, network_name)"
        " VALUES (?, ?, ?, ?)",
        (member_id, starts_at, ends_at, network_name),
    )


async def end_txn(
    conn: aiosqlite.Connection, member_id: int, starts_at: int, at: int, reason: str
) -> None:
    """End one delegate term's mandate at `at`, if it has not ended."""
    await conn.execute(
        "UPDATE delegate_mandates SET ended_at = ?, end_reason = ? WHERE member_id = ?"
        " AND starts_at = ? AND ended_at IS NULL",
        (at, reason, member_id, starts_at),
    )


async def end_with_term_txn(
    conn: aiosqlite.Connection,
    member_id: int,
    starts_at: int,
    ended_at: int,
    on_time: str,
    early: str,
) -> None:
    """End a mandate when its term ended: reason `on_time` if the term ran its full
    length, else `early`."""
    await conn.execute(
        "UPDATE delegate_mandates SET ended_at = ?, end_reason = CASE"
        " WHEN ends_at <= ? THEN ? ELSE ? END WHERE member_id = ?"
        " AND starts_at = ? AND ended_at IS NULL",
        (ended_at, ended_at, on_time, early, member_id, starts_at),
    )


async def set_message_txn(
    conn: aiosqlite.Connection, member_id: int, starts_at: int, message_id: bytes
) -> None:
    """Record the `delegate.mandate` message that published a mandate."""
    await conn.execute(
        "UPDATE delegate_mandates SET message_id = ? WHERE member_id = ? AND starts_at = ?",
        (message_id, member_id, starts_at),
    )


async def set_recall_txn(
    conn: aiosqlite.Connection, member_id: int, starts_at: int, recall_id: bytes
) -> None:
    """Record the `delegate.recall` message that withdrew a mandate."""
    await conn.execute(
        "UPDATE delegate_mandates SET recall_id = ? WHERE member_id = ? AND starts_at = ?",
        (recall_id, member_id, starts_at),
    )


class MandatesStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def unpublished(self) -> list[UnpublishedMandate]:
        rows = await self._db.fetchall(
            "SELECT member_id, starts_at, ends_at, network_name FROM delegate_mandates"
            " WHERE message_id IS NULL"
        )
        return [UnpublishedMandate(*r) for r in rows]

    async def set_message(self, member_id: int, starts_at: int, message_id: bytes) -> None:
        async with self._db.write() as conn:
            await set_message_txn(conn, member_id, starts_at, message_id)

    async def unpublished_recalls(self) -> list[UnpublishedRecall]:
        """Mandates published and since ended, whose recall is not published yet."""
        rows = await self._db.fetchall(
            "SELECT member_id, starts_at, message_id, end_reason FROM delegate_mandates"
            " WHERE ended_at IS NOT NULL AND recall_id IS NULL AND message_id IS NOT NULL"
        )
        return [UnpublishedRecall(*r) for r in rows]

    async def set_recall(self, member_id: int, starts_at: int, recall_id: bytes) -> None:
        async with self._db.write() as conn:
            await set_recall_txn(conn, member_id, starts_at, recall_id)

    async def all(self) -> list[Mandate]:
        """Every mandate, newest first."""
        rows = await self._db.fetchall(
            "SELECT member_id, starts_at, ends_at, network_name, message_id, ended_at,"
            " end_reason, recall_id FROM delegate_mandates ORDER BY starts_at DESC"
        )
        return [Mandate(*r) for r in rows]
