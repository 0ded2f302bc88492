"""What goes into a bundle, and what another hub held when it wrote one (PROTOCOL.md §15)."""

from __future__ import annotations

from collections.abc import Sequence

from crypto.nodeid import NodeId
from node.store.database import Database
from protocol.envelope import encode_envelope


class BundleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def offered_heads(self) -> list[tuple[NodeId, int]]:
        """Every origin this node would pass on and its head seq, as /heads offers them:
        blocked and forked origins are left out (PROTOCOL.md §11)."""
        rows = await self._db.fetchall(
            "SELECT origin, head_seq FROM origins"
            " WHERE head_seq > 0 AND forked_at IS NULL"
            " AND origin NOT IN (SELECT origin FROM blocked_origins)"
            " ORDER BY origin"
        )
        return [(NodeId(o), int(s)) for o, s in rows]

    async def envelopes_after(
        self, origin: str, after_seq: int, received_since: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """(seq, envelope) of an origin's messages after `after_seq` that this node
        stored at or after `received_since` (ms), in seq order, exactly as signed."""
        rows = await self._db.fetchall(
            "SELECT seq, payload, signature FROM messages"
            " WHERE origin = ? AND seq > ? AND received_at >= ? ORDER BY seq LIMIT ?",
            (origin, after_seq, received_since, limit),
        )
        return [(int(seq), encode_envelope(p, s)) for seq, p, s in rows]

    async def holdings(self, hub: str) -> dict[str, int]:
        """The head seq per origin `hub` said it held in the last bundle read from it."""
        rows = await self._db.fetchall("SELECT origin, seq FROM hub_holdings WHERE hub = ?", (hub,))
        return {o: int(s) for o, s in rows}

    async def record_holdings(self, hub: str, heads: Sequence[tuple[str, int]], now: int) -> None:
        """Remember what `hub` held; a seq only ever grows (an older bundle read late
        must not make the next export send what the hub already has… nor less)."""
        async with self._db.write() as conn:
            await conn.executemany(
                "INSERT INTO hub_holdings (hub, origin, seq, recorded_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (hub, origin) DO UPDATE SET"
                " seq = max(seq, excluded.seq), recorded_at = excluded.recorded_at",
                [(hub, origin, seq, now) for origin, seq in heads],
            )
