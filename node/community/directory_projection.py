"""The shared directory projection: other hubs' (and this hub's shared) entries.

PROTOCOL.md §5: a replacing entry or a withdrawal applies only if the entry it
names is held and has the same origin; anything else is another hub's and is
ignored. This hub's own entries are indexed for search as local records
(node/community/directory.py), not here.
"""

from __future__ import annotations

import logging

import aiosqlite

from crypto.nodeid import NodeId
from node.projections.runner import Projection
from node.store import search as search_index
from protocol.envelope import Message
from protocol.kinds.community import DirectoryEntry, DirectoryWithdraw

log = logging.getLogger(__name__)

KINDS = frozenset({"directory.entry", "directory.withdraw"})


def directory_projection(node_id: NodeId) -> Projection:
    async def apply_txn(conn: aiosqlite.Connection, messages: list[Message]) -> None:
        for m in messages:
            if isinstance(m.body, DirectoryWithdraw):
                await _directory_withdraw(conn, m)
            elif isinstance(m.body, DirectoryEntry):
                await _directory_entry(conn, m, node_id)

    return Projection("directory", KINDS, apply_txn, _reset_txn)


async def _reset_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM directory_shared")
    await conn.execute("DELETE FROM directory_versions")
    await search_index.drop_kind_txn(conn, "directory")


async def _directory_entry(conn: aiosqlite.Connection, m: Message, node_id: NodeId) -> None:
    body = m.body
    if not isinstance(body, DirectoryEntry):
        return
    entry: bytes = m.id
    if body.replaces is not None:
        found = await _directory_root_txn(conn, body.replaces)
        if found is None or found[1] != m.origin:
            log.info("directory.entry %s replaces nothing of its origin's", m.id.hex())
            return
        entry = found[0]
    await conn.execute(
        "INSERT INTO directory_shared (entry, origin, version, seq, name, category, area,"
        " hours, contact, description, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (entry) DO UPDATE SET version = excluded.version, seq = excluded.seq,"
        " name = excluded.name, category = excluded.category, area = excluded.area,"
        " hours = excluded.hours, contact = excluded.contact,"
        " description = excluded.description, url = excluded.url",
        (
            entry,
            m.origin,
            m.id,
            m.seq,
            body.name,
            body.category,
            body.area,
            body.hours,
            body.contact,
            body.description,
            body.url,
        ),
    )
    await conn.execute(
        "INSERT OR IGNORE INTO directory_versions (version, entry) VALUES (?, ?)",
        (m.id, entry),
    )
    if m.origin != node_id:  # this hub's own entries are indexed as local records
        text = " ".join(x for x in (body.description, body.area, body.category) if x)
        await search_index.put_txn(conn, "directory", entry.hex(), body.name, text, "public")


async def _directory_withdraw(conn: aiosqlite.Connection, m: Message) -> None:
    if not isinstance(m.body, DirectoryWithdraw):
        return
    found = await _directory_root_txn(conn, m.body.entry)
    if found is None or found[1] != m.origin:
        return
    await conn.execute("DELETE FROM directory_shared WHERE entry = ?", (found[0],))
    await search_index.drop_txn(conn, "directory", found[0].hex())


async def _directory_root_txn(
    conn: aiosqlite.Connection, version: bytes
) -> tuple[bytes, str] | None:
    """The first version's id and the origin of the entry `version` belongs to."""
    async with conn.execute(
        "SELECT d.entry, d.origin FROM directory_versions v"
        " JOIN directory_shared d ON d.entry = v.entry WHERE v.version = ?",
        (version,),
    ) as cursor:
        row = await cursor.fetchone()
    return (bytes(row[0]), str(row[1])) if row else None
