"""Reading the message log: every origin's messages, heads, keys and fork evidence."""

from __future__ import annotations

from typing import Any

from crypto.nodeid import NodeId, public_key_from_node_id
from node.store.database import Database
from protocol.envelope import Message, MessageId, encode_envelope, parse_payload
from protocol.forks import reporters_of
from protocol.log import Head


class MessageLog:
    """The log as stored, read through the database's readers; never writes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, message_id: bytes) -> Message | None:
        async with self._db.reader.execute(
            "SELECT payload, signature FROM messages WHERE id = ?", (message_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return parse_payload(row[0], row[1]) if row else None

    async def _log_rows(self, origin: str, after_seq: int, limit: int) -> list[Any]:
        async with self._db.reader.execute(
            "SELECT payload, signature FROM messages WHERE origin = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (origin, after_seq, limit),
        ) as cursor:
            return list(await cursor.fetchall())

    async def log(self, origin: str, after_seq: int = 0, limit: int = 100) -> list[Message]:
        """An origin's messages after `after_seq`, in seq order."""
        return [parse_payload(p, s) for p, s in await self._log_rows(origin, after_seq, limit)]

    async def log_wires(self, origin: str, after_seq: int = 0, limit: int = 100) -> list[bytes]:
        """Like `log`, as envelope bytes for sending on, without decoding them."""
        rows = await self._log_rows(origin, after_seq, limit)
        return [encode_envelope(p, s) for p, s in rows]

    async def key_in_force(self, origin: str) -> bytes | None:
        """The origin's current key if it has rotated away from its id's key, else None."""
        async with self._db.reader.execute(
            "SELECT public_key FROM origins WHERE origin = ?", (origin,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or bytes(row[0]) == public_key_from_node_id(origin):
            return None
        return bytes(row[0])

    async def head(self, origin: str) -> Head | None:
        async with self._db.reader.execute(
            "SELECT head_seq, head_id FROM origins WHERE origin = ? AND head_seq > 0", (origin,)
        ) as cursor:
            row = await cursor.fetchone()
        return Head(row[0], MessageId(row[1])) if row else None

    async def recent(
        self, kind: str | None = None, origin: str | None = None, limit: int = 50
    ) -> list[Message]:
        """The latest stored messages, newest first, optionally of one kind or origin."""
        where, args = [], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if origin is not None:
            where.append("origin = ?")
            args.append(origin)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            f"SELECT payload, signature FROM messages {clause} ORDER BY rowid DESC LIMIT ?",
            (*args, limit),
        )
        return [parse_payload(p, s) for p, s in rows]

    async def heads(self) -> dict[NodeId, Head]:
        async with self._db.reader.execute(
            "SELECT origin, head_seq, head_id FROM origins WHERE head_seq > 0"
        ) as cursor:
            rows = await cursor.fetchall()
        return {NodeId(o): Head(seq, MessageId(i)) for o, seq, i in rows}

    async def forked_origins(self) -> dict[NodeId, int]:
        """Origins seen signing two messages at one seq, with when it was first seen."""
        async with self._db.reader.execute(
            "SELECT origin, forked_at FROM origins WHERE forked_at IS NOT NULL"
        ) as cursor:
            return {NodeId(o): at for o, at in await cursor.fetchall()}

    async def fork_evidence(self, origin: str) -> list[tuple[Message, MessageId]]:
        """Each second message at a held seq, with the id of the one we kept."""
        async with self._db.reader.execute(
            "SELECT payload, signature, other_id FROM forks WHERE origin = ? ORDER BY seq",
            (origin,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [(parse_payload(p, s), MessageId(other)) for p, s, other in rows]

    async def fork_pairs(self, origin: str, limit: int) -> list[tuple[bytes, bytes]]:
        """Envelopes of up to `limit` forks of `origin`: (the other message, the evidence)."""
        async with self._db.reader.execute(
            "SELECT f.payload, f.signature, coalesce(m.payload, o.payload),"
            " coalesce(m.signature, o.signature) FROM forks f"
            " LEFT JOIN messages m ON m.id = f.other_id AND m.seq = f.seq"
            " LEFT JOIN forks o ON o.id = f.other_id AND o.seq = f.seq"
            " WHERE f.origin = ? ORDER BY f.seq, f.received_at LIMIT ?",
            (origin, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            (encode_envelope(op, os_), encode_envelope(p, s))
            for p, s, op, os_ in rows
            if op is not None
        ]

    async def fork_reporters(self, hub: str) -> list[NodeId]:
        """Origins that published a `fork.proof` naming `hub` that `hub` has not resolved."""
        rows = await self._db.fetchall(
            "SELECT payload, signature FROM messages WHERE kind = 'fork.proof'"
        )
        resolved = await self._db.fetchall(
            "SELECT from_seq, until_seq FROM fork_resolutions WHERE origin = ?", (hub,)
        )
        proofs = [parse_payload(p, s) for p, s in rows]
        found = reporters_of(hub, proofs, [(a, b) for a, b in resolved])
        return sorted(NodeId(o) for o in found)

    async def held_count(self) -> int:
        async with self._db.reader.execute("SELECT count(*) FROM held") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM messages")
        return int(row[0]) if row else 0
