"""The library and speaker offers projections, and every community projection.

Stored messages are the source of truth (DESIGN.md): campaigns, the library,
speaker offers and the shared directory are tables the projection runner
(node/projections/runner.py) builds from them, each with its own cursor, so
emptying a table and resetting its cursor rebuilds it.
"""

from __future__ import annotations

import json

import aiosqlite

from crypto.nodeid import NodeId
from node.community.campaign_projection import campaigns_projection
from node.community.directory_projection import directory_projection
from node.projections.runner import Projection
from node.store import search as search_index
from node.store.speakers import apply_offers_txn, forget_offers_txn
from protocol.envelope import Message
from protocol.kinds.hub import Resource


def community_projections(node_id: NodeId) -> list[Projection]:
    return [
        campaigns_projection(),
        Projection("library", frozenset({"resource"}), _library_txn, _reset_library_txn),
        Projection(
            "speakers",
            frozenset({"speaker.offer", "speaker.withdraw"}),
            apply_offers_txn,
            forget_offers_txn,
        ),
        directory_projection(node_id),
    ]


async def _library_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
    for m in messages:
        await _resource(conn, m)


async def _reset_library_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM library")
    await search_index.drop_kind_txn(conn, "resource")


async def _resource(conn: aiosqlite.Connection, m: Message) -> None:
    body = m.body
    if not isinstance(body, Resource):
        return
    await conn.execute(
        "INSERT OR IGNORE INTO library (id, origin, created_at, hash, name, media_type, size,"
        " title, description, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
