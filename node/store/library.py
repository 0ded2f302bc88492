"""SQL for the resource library (`library`), built from `resource` messages by the
library projection (node/community/projections.py), and the files this node holds
(`resources.stored_at`, written by node/resources.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store import search as search_index
from node.store.database import Database
from protocol.envelope import Message
from protocol.kinds.hub import Resource


@dataclass(frozen=True, slots=True)
class LibraryRow:
    id: bytes
    origin: str
    hash: bytes
    name: str
    media_type: str
    size: int
    title: str
    description: str | None
    tags: list[str]
    created_at: int
    stored: bool  # whether the file was recorded as held


_SELECT = (
    "SELECT l.id, l.origin, l.hash, l.name, l.media_type, l.size, l.title, l.description,"
    " l.tags, l.created_at, r.stored_at IS NOT NULL FROM library l"
)


def _row(r: Any) -> LibraryRow:
    i, o, h, n, mt, sz, t, d, tg, at, held = r
    return LibraryRow(
        bytes(i),
        str(o),
        bytes(h),
        str(n),
        str(mt),
        int(sz),
        str(t),
        d if isinstance(d, str) else None,
        json.loads(str(tg)),
        int(at),
        bool(held),
    )


class LibraryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def items(self, tag: str | None, media_type: str | None, limit: int) -> list[LibraryRow]:
        where, args = [], []
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(l.tags) WHERE value = ?)")
            args.append(tag)
        if media_type:
            where.append("l.media_type = ?")
            args.append(media_type)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            f"{_SELECT} LEFT JOIN resources r ON r.hash = l.hash {clause}"
            " ORDER BY l.created_at DESC, l.id LIMIT ?",
            (*args, limit),
        )
        return [_row(r) for r in rows]

    async def get(self, resource_id: bytes) -> LibraryRow | None:
        rows = await self._db.fetchall(
            f"{_SELECT} LEFT JOIN resources r ON r.hash = l.hash WHERE l.id = ?",
            (resource_id,),
        )
        return _row(rows[0]) if rows else None

    async def tags(self) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT DISTINCT value FROM library, json_each(library.tags) ORDER BY value LIMIT 200"
        )
        return [str(r[0]) for r in rows]


# -- the library projection --------------------------------------------------------------


async def apply_resources_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
    for m in messages:
        body = m.body
        if not isinstance(body, Resource):
            continue
        await conn.execute(
            "INSERT OR IGNORE INTO library (id, origin, created_at, hash, name, media_type,"
            " size, title, description, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                m.id,
                m.origin,
                m.created_at,
                body.hash,
                body.name,
                body.media_type,
                body.size,
                body.title,
                body.description,
                json.dumps(body.tags),
            ),
        )
        text = " ".join(x for x in (body.description, body.name, *body.tags) if x)
        await search_index.put_txn(conn, "resource", m.id.hex(), body.title, text, "public")


async def forget_resources_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM library")
    await search_index.drop_kind_txn(conn, "resource")
