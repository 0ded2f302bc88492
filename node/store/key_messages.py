"""Reading each origin's key messages, for checking signatures again (`hubnet motion verify`).

The key rules (protocol.keys) turn them into each origin's key history; the store's
own `key_history` table is an index kept for fork checks, so an audit of the store
does not lean on it.
"""

from __future__ import annotations

from collections import defaultdict

from crypto.nodeid import NodeId
from node.store.database import Database
from protocol.envelope import Message, parse_payload
from protocol.keys import KEY_KINDS


async def key_messages_by_origin(db: Database) -> dict[NodeId, list[Message]]:
    """Every origin's messages that may change its key state, in seq order."""
    marks = ", ".join("?" * len(KEY_KINDS))
    rows = await db.fetchall(
        f"SELECT payload, signature FROM messages WHERE kind IN ({marks}) ORDER BY origin, seq",
        KEY_KINDS,
    )
    found: dict[NodeId, list[Message]] = defaultdict(list)
    for payload, signature in rows:
        m = parse_payload(payload, signature)
        found[m.origin].append(m)
    return dict(found)
