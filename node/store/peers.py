"""SQL for peers, invites, blocks and the per-peer outbox: federation's books.

Every method is one short transaction, so CLI commands run beside the node
(`hubnet peer block …`) take effect at once: the running node reads these
tables on every decision instead of caching them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import aiosqlite

from crypto.digest import sha256
from crypto.nodeid import NodeId
from node.clock import Clock
from node.store.database import Database
from protocol.envelope import encode_envelope

INVITE_TTL_MS = 7 * 24 * 3600 * 1000  # a week: long enough to pass on by hand


@dataclass(frozen=True, slots=True)
class Peer:
    node_id: NodeId
    url: str
    name: str | None
    added_at: int
    blocked: bool
    last_contact: int | None
    last_error: str | None
    last_error_at: int | None
    failures: int
    next_attempt: int
    outbox_depth: int


_PEER_COLUMNS = (
    "p.node_id, p.url, p.name, p.added_at, p.blocked, p.last_contact, p.last_error,"
    " p.last_error_at, p.failures, p.next_attempt,"
    " (SELECT count(*) FROM outbox o WHERE o.peer = p.node_id)"
)


def _peer(row: Any) -> Peer:
    return Peer(
        NodeId(row[0]),
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
    )


# A peer's last contact is written at most this often: every push and pull answered
# would otherwise cost a write transaction of its own (and a sync to disk), for a
# time the health page shows to the minute.
CONTACT_EVERY_MS = 10_000


class PeerStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._contact_written: dict[str, int] = {}  # peer: when its contact was last written

    # -- peers -------------------------------------------------------------------

    async def add(self, node_id: NodeId, url: str, name: str | None) -> None:
        """Add a peer, or update the address and name of one we have (keeps blocks)."""
        self._contact_written.pop(node_id, None)  # its first contact is written at once
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO peers (node_id, url, name, added_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, name = excluded.name",
                (node_id, url.rstrip("/"), name, self._clock()),
            )

    async def get(self, node_id: str) -> Peer | None:
        async with self._db.reader.execute(
            f"SELECT {_PEER_COLUMNS} FROM peers p WHERE p.node_id = ?", (node_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _peer(row) if row else None

    async def all(self) -> list[Peer]:
        async with self._db.reader.execute(
            f"SELECT {_PEER_COLUMNS} FROM peers p ORDER BY p.added_at"
        ) as cursor:
            return [_peer(row) for row in await cursor.fetchall()]

    async def set_blocked(self, node_id: str, blocked: bool) -> bool:
        """Block or unblock a peer: no exchanges, and its own messages are dropped."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE peers SET blocked = ? WHERE node_id = ?", (int(blocked), node_id)
            )
            if cursor.rowcount == 0:
                return False
            if blocked:
                await conn.execute("DELETE FROM outbox WHERE peer = ?", (node_id,))
            await self._set_origin_blocked_txn(conn, node_id, blocked, "peer blocked")
        return True

    # -- origins -------------------------------------------------------------------

    async def set_origin_blocked(self, origin: str, blocked: bool, reason: str = "") -> None:
        async with self._db.write() as conn:
            await self._set_origin_blocked_txn(conn, origin, blocked, reason or None)

    async def _set_origin_blocked_txn(
        self, conn: aiosqlite.Connection, origin: str, blocked: bool, reason: str | None
    ) -> None:
        execute = conn.execute
        if blocked:
            await execute(
                "INSERT OR IGNORE INTO blocked_origins (origin, blocked_at, reason)"
                " VALUES (?, ?, ?)",
                (origin, self._clock(), reason),
            )
            # Stop relaying what is already queued (DESIGN.md, Federation).
            await execute(
                "DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE origin = ?)",
                (origin,),
            )
        else:
            await execute("DELETE FROM blocked_origins WHERE origin = ?", (origin,))

    async def blocked_origins(self) -> dict[NodeId, str | None]:
        async with self._db.reader.execute(
            "SELECT origin, reason FROM blocked_origins ORDER BY blocked_at"
        ) as cursor:
            return {NodeId(o): r for o, r in await cursor.fetchall()}

    # -- invites -------------------------------------------------------------------

    async def create_invite(self) -> str:
        """A new one-time secret for an invite; only its hash is stored."""
        token = secrets.token_urlsafe(18)
        now = self._clock()
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO invites (token_hash, created_at, expires_at) VALUES (?, ?, ?)",
                (sha256(token.encode()), now, now + INVITE_TTL_MS),
            )
        return token

    async def invite_usable(self, token: str, by: NodeId) -> bool:
        """Whether `use_invite` would accept this token from `by`, without spending it."""
        async with self._db.reader.execute(
            "SELECT 1 FROM invites WHERE token_hash = ? AND expires_at >= ?"
            " AND (used_by IS NULL OR used_by = ?)",
            (sha256(token.encode()), self._clock(), by),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def use_invite(self, token: str, by: NodeId) -> bool:
        """Spend an invite for peer `by`; False if unknown, used by another or expired."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE invites SET used_by = ? WHERE token_hash = ? AND expires_at >= ?"
                " AND (used_by IS NULL OR used_by = ?)",
                (by, sha256(token.encode()), self._clock(), by),
            )
            return cursor.rowcount == 1

    # -- delivery --------------------------------------------------------------------

    async def outbox_batch(self, peer: str, limit: int) -> list[tuple[int, bytes]]:
        """The oldest queued messages for `peer`: (outbox seq, envelope bytes)."""
        async with self._db.reader.execute(
            "SELECT o.seq, m.payload, m.signature FROM outbox o JOIN messages m"
            " ON m.id = o.message_id WHERE o.peer = ? ORDER BY o.seq LIMIT ?",
            (peer, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [(seq, encode_envelope(p, s)) for seq, p, s in rows]

    async def delivered(self, peer: str, seqs: list[int]) -> None:
        """Remove delivered messages from the outbox and note the peer answered."""
        async with self._db.write() as conn:
            await conn.executemany(
                "DELETE FROM outbox WHERE peer = ? AND seq = ?", [(peer, s) for s in seqs]
            )
            await conn.execute(
                "UPDATE peers SET last_contact = ?, failures = 0, next_attempt = 0,"
                " last_error = NULL WHERE node_id = ?",
                (self._clock(), peer),
            )

    async def contact(self, peer: str) -> None:
        """Note that `peer` answered a request (a pull, a push to us, a handshake); the
        time kept is at most CONTACT_EVERY_MS old."""
        now = self._clock()
        written = self._contact_written.get(peer)
        if written is not None and 0 <= now - written < CONTACT_EVERY_MS:
            return
        async with self._db.write() as conn:
            await conn.execute("UPDATE peers SET last_contact = ? WHERE node_id = ?", (now, peer))
        self._contact_written[peer] = now

    async def failed(self, peer: str, error: str, next_attempt: int) -> int:
        """Record a failed delivery; returns the count of consecutive failures."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE peers SET failures = failures + 1, last_error = ?, last_error_at = ?,"
                " next_attempt = ? WHERE node_id = ?",
                (error[:500], self._clock(), next_attempt, peer),
            )
            async with conn.execute(
                "SELECT failures FROM peers WHERE node_id = ?", (peer,)
            ) as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0
