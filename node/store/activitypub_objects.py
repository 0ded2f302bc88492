"""SQL for what the hub publishes to the fediverse and what comes back: its objects,
the deliveries waiting to go out, replies, likes and boosts (node/activitypub/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.database import Database


@dataclass(frozen=True, slots=True)
class Published:
    seq: int
    message: bytes
    kind: str
    document: dict[str, Any]
    published_at: int
    deleted: bool


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    inbox: str
    host: str
    activity: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Reply:
    id: str
    message: bytes
    actor: str
    author: str
    content: str
    url: str | None
    received_at: int
    hidden: bool


# -- objects (written by the publishing projection, inside the runner's transaction) ---


async def published_txn(conn: aiosqlite.Connection, message: bytes) -> Published | None:
    async with conn.execute(
        "SELECT seq, message, kind, document, published_at, deleted FROM ap_objects"
        " WHERE message = ?",
        (message,),
    ) as cursor:
        row = await cursor.fetchone()
    return _published(row) if row else None


async def keep_object_txn(
    conn: aiosqlite.Connection, message: bytes, kind: str, document: dict[str, Any], now: int
) -> None:
    await conn.execute(
        "INSERT INTO ap_objects (message, kind, document, published_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message) DO UPDATE SET"
        " document = excluded.document, updated_at = excluded.updated_at, deleted = 0",
        (message, kind, json.dumps(document), now, now),
    )


async def delete_object_txn(conn: aiosqlite.Connection, message: bytes, now: int) -> None:
    await conn.execute(
        "UPDATE ap_objects SET deleted = 1, updated_at = ? WHERE message = ?", (now, message)
    )


async def follower_inboxes_txn(conn: aiosqlite.Connection) -> list[tuple[str, str]]:
    """Each inbox to deliver to once (shared inboxes counted once), with its host."""
    async with conn.execute(
        "SELECT DISTINCT coalesce(shared_inbox, inbox), host FROM ap_followers"
    ) as cursor:
        return [(str(i), str(h)) for i, h in await cursor.fetchall()]


async def block_targets_txn(conn: aiosqlite.Connection) -> set[str]:
    async with conn.execute("SELECT target FROM ap_blocks") as cursor:
        return {str(t) for (t,) in await cursor.fetchall()}


async def enqueue_txn(
    conn: aiosqlite.Connection, inbox: str, host: str, activity: dict[str, Any], now: int
) -> None:
    await conn.execute(
        "INSERT INTO ap_deliveries (inbox, host, activity, next_attempt, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (inbox, host, json.dumps(activity), now, now),
    )


def _published(row: Any) -> Published:
    seq, message, kind, document, published_at, deleted = row
    return Published(seq, bytes(message), kind, json.loads(document), published_at, bool(deleted))


class ObjectsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, inbox: str, host: str, activity: dict[str, Any], now: int) -> None:
        async with self._db.write() as conn:
            await enqueue_txn(conn, inbox, host, activity, now)

    async def published(self, message: bytes) -> Published | None:
        row = await self._db.fetchone(
            "SELECT seq, message, kind, document, published_at, deleted FROM ap_objects"
            " WHERE message = ?",
            (message,),
        )
        return _published(row) if row else None

    async def outbox_page(self, before: int | None, limit: int) -> list[Published]:
        """Objects still standing, newest first, older than seq `before` if given."""
        rows = await self._db.fetchall(
            "SELECT seq, message, kind, document, published_at, deleted FROM ap_objects"
            " WHERE deleted = 0 AND seq < ? ORDER BY seq DESC LIMIT ?",
            (before if before is not None else 2**62, limit),
        )
        return [_published(r) for r in rows]

    async def outbox_count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM ap_objects WHERE deleted = 0")
        return int(row[0]) if row else 0

    # -- deliveries -------------------------------------------------------------------

    async def due(self, now: int, limit: int) -> list[Delivery]:
        rows = await self._db.fetchall(
            "SELECT id, inbox, host, activity, attempts FROM ap_deliveries"
            " WHERE next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
            (now, limit),
        )
        return [Delivery(*row) for row in rows]

    async def next_due(self) -> int | None:
        row = await self._db.fetchone("SELECT min(next_attempt) FROM ap_deliveries")
        return int(row[0]) if row and row[0] is not None else None

    async def delivered(self, delivery_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM ap_deliveries WHERE id = ?", (delivery_id,))

    async def failed(self, delivery_id: int, next_attempt: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE ap_deliveries SET attempts = attempts + 1, next_attempt = ? WHERE id = ?",
                (next_attempt, delivery_id),
            )

    async def waiting(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM ap_deliveries")
        return int(row[0]) if row else 0

    # -- what comes back --------------------------------------------------------------

    async def keep_reply(self, reply: Reply) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO ap_replies"
                " (id, message, actor, author, content, url, received_at, hidden)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    reply.id,
                    reply.message,
                    reply.actor,
                    reply.author,
                    reply.content,
                    reply.url,
                    reply.received_at,
                    int(reply.hidden),
                ),
            )

    async def drop_reply(self, reply_id: str, actor: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "DELETE FROM ap_replies WHERE id = ? AND actor = ?", (reply_id, actor)
            )

    async def hide_reply(self, reply_id: str) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE ap_replies SET hidden = 1 WHERE id = ?", (reply_id,)
            )
            return cursor.rowcount > 0

    async def reply(self, reply_id: str) -> Reply | None:
        row = await self._db.fetchone(
            "SELECT id, message, actor, author, content, url, received_at, hidden"
            " FROM ap_replies WHERE id = ?",
            (reply_id,),
        )
        return _reply(row) if row else None

    async def replies(self, message: bytes) -> list[Reply]:
        rows = await self._db.fetchall(
            "SELECT id, message, actor, author, content, url, received_at, hidden"
            " FROM ap_replies WHERE message = ? AND hidden = 0 ORDER BY received_at",
            (message,),
        )
        return [_reply(r) for r in rows]

    async def drop_from(self, actor: str | None, host: str | None) -> None:
        """Everything kept from a sender or instance just blocked."""
        async with self._db.write() as conn:
            for table in ("ap_replies", "ap_reactions"):
                if actor is not None:
                    await conn.execute(f"DELETE FROM {table} WHERE actor = ?", (actor,))
                if host is not None:
                    # Actor addresses are https://host[:port]/…: match the host part.
                    for scheme in ("https://", "http://"):
                        for pattern in (f"{host}/%", f"{host}:%", f"%.{host}/%", f"%.{host}:%"):
                            await conn.execute(
                                f"DELETE FROM {table} WHERE actor LIKE ?", (scheme + pattern,)
                            )

    async def react(self, activity: str, message: bytes, kind: str, actor: str, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO ap_reactions (id, message, kind, actor, received_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (activity, message, kind, actor, now),
            )

    async def unreact(self, activity: str, actor: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "DELETE FROM ap_reactions WHERE id = ? AND actor = ?", (activity, actor)
            )

    async def reaction_counts(self, message: bytes) -> dict[str, int]:
        rows = await self._db.fetchall(
            "SELECT kind, count(DISTINCT actor) FROM ap_reactions WHERE message = ? GROUP BY kind",
            (message,),
        )
        return {str(k): int(n) for k, n in rows}


def _reply(row: Any) -> Reply:
    rid, message, actor, author, content, url, received_at, hidden = row
    return Reply(rid, bytes(message), actor, author, content, url, received_at, bool(hidden))
