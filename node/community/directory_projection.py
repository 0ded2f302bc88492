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
from node.store import directory as store
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

    return Projection("directory", KINDS, apply_txn, store.forget_shared_txn)


async def _directory_entry(conn: aiosqlite.Connection, m: Message, node_id: NodeId) -> None:
    body = m.body
    if not isinstance(body, DirectoryEntry):
        return
    entry: bytes = m.id
    if body.replaces is not None:
        found = await store.root_txn(conn, body.replaces)
        if found is None or found[1] != m.origin:
            log.info("directory.entry %s replaces nothing of its origin's", m.id.hex())
            return
        entry = found[0]
    await store.put_shared_txn(conn, entry, m.origin, m.id, m.seq, body)
    if m.origin != node_id:  # this hub's own entries are indexed as local records
        text = " ".join(x for x in (body.description, body.area, body.category) if x)
        await search_index.put_txn(conn, "directory", entry.hex(), body.name, text, "public")


async def _directory_withdraw(conn: aiosqlite.Connection, m: Message) -> None:
    if not isinstance(m.body, DirectoryWithdraw):
        return
    found = await store.root_txn(conn, m.body.entry)
    if found is None or found[1] != m.origin:
        return
    await store.drop_shared_txn(conn, found[0])
