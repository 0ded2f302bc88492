"""SQL for the network this node belongs to: its id, and the messages its roster reads."""

from __future__ import annotations

from collections.abc import Container

from node.store.database import Database
from protocol.envelope import Message, parse_payload
from protocol.roster import ASSEMBLY_KINDS, ROSTER_KINDS

NETWORK = "network"  # node_state row: the hex id of the network this hub belongs to
_ROSTER_INPUTS = (*ROSTER_KINDS, *ASSEMBLY_KINDS)


class NetworkStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Roster inputs decoded so far, by message id: the roster is counted again each
        # time one arrives, and a founding statement naming 100 hubs costs about a
        # millisecond to decode and check. A stored message never changes, so what is
        # kept stays true; ids no longer stored (a fork resolved away) are dropped.
        self._decoded: dict[bytes, Message] = {}

    async def network_id(self) -> bytes | None:
        row = await self._db.fetchone("SELECT value FROM node_state WHERE name = ?", (NETWORK,))
        return bytes.fromhex(row[0]) if row else None

    async def set_network_id(self, network: bytes, now_ms: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO node_state (name, value, set_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET"
                " value = excluded.value, set_at = excluded.set_at",
                (NETWORK, network.hex(), now_ms),
            )

    async def own_head_seq(self, node_id: str) -> int:
        row = await self._db.fetchone("SELECT head_seq FROM origins WHERE origin = ?", (node_id,))
        return int(row[0]) if row else 0

    async def kinds_after(self, origin: str, seq: int) -> frozenset[str]:
        """The kinds of the messages in `origin`'s log after `seq`."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT kind FROM messages WHERE origin = ? AND seq > ?", (origin, seq)
        )
        return frozenset(str(row[0]) for row in rows)

    async def roster_inputs(self) -> list[Message]:
        """Every message the roster is computed from, but the witnesses (`witnesses`)."""
        marks = ",".join("?" * len(_ROSTER_INPUTS))
        rows = await self._db.fetchall(
            f"SELECT id, payload, signature FROM messages WHERE kind IN ({marks})", _ROSTER_INPUTS
        )
        kept, self._decoded = self._decoded, {}
        for message_id, payload, signature in rows:
            found = kept.get(bytes(message_id))
            message = found if found is not None else parse_payload(payload, signature)
            self._decoded[message.id] = message
        return list(self._decoded.values())

    async def witnesses(self) -> list[Message]:
        """Every `network.witness` held, read once at start (later ones arrive one by one)."""
        rows = await self._db.fetchall(
            "SELECT payload, signature FROM messages WHERE kind = 'network.witness'"
        )
        return [parse_payload(p, s) for p, s in rows]

    async def last_message_row(self) -> int:
        """The rowid of the last message stored, by this process or another."""
        row = await self._db.fetchone("SELECT max(rowid) FROM messages")
        return int(row[0]) if row and row[0] is not None else 0

    async def roster_messages_after(
        self, rowid: int, known: Container[bytes] = frozenset()
    ) -> list[Message]:
        """Messages stored after `rowid` that the roster reads, witnesses included, but
        those whose ids are `known` (not decoded again)."""
        kinds = (*_ROSTER_INPUTS, "network.witness")
        marks = ",".join("?" * len(kinds))
        rows = await self._db.fetchall(
            f"SELECT id, payload, signature FROM messages WHERE rowid > ? AND kind IN ({marks})",
            (rowid, *kinds),
        )
        return [parse_payload(p, s) for i, p, s in rows if bytes(i) not in known]
