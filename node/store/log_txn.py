"""The books one write transaction of the message store keeps and writes.

A `WriteTxn` gathers what a call to the store has learned (each origin's head and
keys) and what it will write; the `_txn` functions here read and write those rows
inside the store's one write transaction (node/store/messages.py decides).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from crypto.nodeid import NodeId, public_key_from_node_id
from node.store.forks import resolutions_txn
from node.store.outcomes import ForkFound, Gate
from protocol.envelope import Message, MessageId
from protocol.forks import Resolution
from protocol.keys import KeyState, KeyStep, initial_key_state, state_at
from protocol.kinds.hub import Resource
from protocol.log import Head


@dataclass(slots=True)
class OriginState:
    public_key: bytes
    head: Head | None
    forked_at: int | None
    first_seen: int
    changed: bool = False
    blocked: bool = False
    # PROTOCOL.md §7.1: SHA-256 of the committed successor key, if any.
    next_key_digest: bytes | None = None
    # PROTOCOL.md §6.2: the latest fork its origin resolved, if any.
    resolution: Resolution | None = None

    @property
    def keys(self) -> KeyState:
        return KeyState(self.public_key, self.next_key_digest)


@dataclass(slots=True)
class WriteTxn:
    """What one write transaction has learned and will write."""

    conn: aiosqlite.Connection
    now: int
    source: NodeId | None = None  # the peer this batch came from, if any
    origins: dict[NodeId, OriginState] = field(default_factory=dict)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    at_seq: dict[tuple[str, int], MessageId] = field(default_factory=dict)
    stored: list[Message] = field(default_factory=list)
    # Key history rows (origin, from_seq, public_key, next_key_digest) to write.
    key_rows: list[tuple[NodeId, int, bytes, bytes | None]] = field(default_factory=list)
    forks_found: list[ForkFound] = field(default_factory=list)


MESSAGE_COLUMNS = "id, origin, seq, kind, created_at, received_at, payload, signature"


async def flush_txn(txn: WriteTxn, gate: Gate | None) -> None:
    """Write what `txn` gathered: messages, their outbox and resource rows, key
    history, and the origins that changed."""
    if txn.rows:
        await txn.conn.executemany(
            f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            txn.rows,
        )
        await enqueue_txn(txn, gate)
        await note_resources_txn(txn)
    if txn.key_rows:
        await txn.conn.executemany(
            "INSERT OR REPLACE INTO key_history (origin, from_seq, public_key,"
            " next_key_digest) VALUES (?, ?, ?, ?)",
            txn.key_rows,
        )
    changed = [(o, s) for o, s in txn.origins.items() if s.changed]
    if changed:
        await txn.conn.executemany(
            "INSERT INTO origins (origin, public_key, head_seq, head_id, forked_at,"
            " first_seen, next_key_digest) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (origin) DO UPDATE SET"
            " public_key = excluded.public_key, head_seq = excluded.head_seq,"
            " head_id = excluded.head_id, forked_at = excluded.forked_at,"
            " next_key_digest = excluded.next_key_digest",
            [
                (
                    origin,
                    s.public_key,
                    s.head.seq if s.head else 0,
                    s.head.id if s.head else None,
                    s.forked_at,
                    s.first_seen,
                    s.next_key_digest,
                )
                for origin, s in changed
            ],
        )


async def enqueue_txn(txn: WriteTxn, gate: Gate | None) -> None:
    """Queue each newly stored message for every peer that may not have it yet.

    In the same transaction as the message itself, so nothing stored is ever
    left unsent, and a crash between the two cannot happen.
    """
    async with txn.conn.execute("SELECT node_id FROM peers WHERE blocked = 0") as cursor:
        peers = [row[0] for row in await cursor.fetchall()]
    if not peers:
        return
    rows = [
        (peer, message.id)
        for message in txn.stored
        if txn.origins[message.origin].forked_at is None
        and (gate is None or gate.relays(message.origin, message.kind))
        for peer in peers
        if peer != txn.source and peer != message.origin
    ]
    await txn.conn.executemany(
        "INSERT OR IGNORE INTO outbox (peer, message_id) VALUES (?, ?)", rows
    )


async def note_resources_txn(txn: WriteTxn) -> None:
    """List the files that resource messages name, so they get fetched (node/resources.py)."""
    rows = [
        (m.body.hash, m.body.size, m.body.media_type)
        for m in txn.stored
        if isinstance(m.body, Resource)
    ]
    if rows:
        await txn.conn.executemany(
            "INSERT OR IGNORE INTO resources (hash, size, media_type) VALUES (?, ?, ?)", rows
        )


async def load_origins_txn(txn: WriteTxn, origins: Iterable[NodeId]) -> None:
    wanted = list(origins)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with txn.conn.execute(
            "SELECT origin, public_key, head_seq, head_id, forked_at, first_seen,"
            f" next_key_digest FROM origins WHERE origin IN ({marks})",
            chunk,
        ) as cursor:
            for row in await cursor.fetchall():
                head = Head(row[2], MessageId(row[3])) if row[2] else None
                txn.origins[NodeId(row[0])] = OriginState(
                    row[1], head, row[4], row[5], next_key_digest=row[6]
                )
        async with txn.conn.execute(
            f"SELECT origin FROM blocked_origins WHERE origin IN ({marks})", chunk
        ) as cursor:
            blocked = {row[0] for row in await cursor.fetchall()}
        for origin in blocked:
            if origin in txn.origins:
                txn.origins[origin].blocked = True
            else:
                key = public_key_from_node_id(origin)
                txn.origins[origin] = OriginState(key, None, None, txn.now, blocked=True)
    for origin in wanted:
        if origin not in txn.origins:
            key = public_key_from_node_id(origin)
            txn.origins[origin] = OriginState(key, None, None, txn.now)
    for origin, resolution in (await resolutions_txn(txn.conn, wanted)).items():
        txn.origins[NodeId(origin)].resolution = resolution


async def key_state_at_txn(txn: WriteTxn, origin: NodeId, seq: int) -> KeyState:
    """The origin's key state in force at `seq` (PROTOCOL.md §7), from the key history.

    Rows this transaction has not written yet are newer than any in the table.
    """
    # Sorted stably: of two rows for one seq, the later written wins, as in the table.
    pending = sorted(
        ((r[1], KeyState(r[2], r[3])) for r in txn.key_rows if r[0] == origin),
        key=lambda entry: entry[0],
    )
    if pending and pending[0][0] <= seq:
        return state_at(origin, tuple(pending), seq)
    async with txn.conn.execute(
        "SELECT public_key, next_key_digest FROM key_history"
        " WHERE origin = ? AND from_seq <= ? ORDER BY from_seq DESC LIMIT 1",
        (origin, seq),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return initial_key_state(origin)
    return KeyState(bytes(row[0]), None if row[1] is None else bytes(row[1]))


async def existing_ids_txn(conn: aiosqlite.Connection, ids: list[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(f"SELECT id FROM messages WHERE id IN ({marks})", chunk) as cursor:
            found.update(row[0] for row in await cursor.fetchall())
    return found


def apply_txn(txn: WriteTxn, message: Message, step: KeyStep, gate: Gate | None) -> None:
    """Append a message that links to its origin's head.

    `step` is the key rules' verdict on it (protocol/keys.py), its signature
    already checked under `step.signer`.
    """
    state = txn.origins[message.origin]
    if gate is not None:
        gate.noted(message)  # a founder's signature admits what follows it
    if step.after != state.keys:
        # PROTOCOL.md §7: the state in force from the next seq, for fork checks later.
        state.public_key = step.after.public_key
        state.next_key_digest = step.after.next_key_digest
        txn.key_rows.append(
            (message.origin, message.seq + 1, state.public_key, state.next_key_digest)
        )
    state.head = Head(message.seq, message.id)
    state.changed = True
    txn.at_seq[(message.origin, message.seq)] = message.id
    txn.rows.append(
        (
            message.id,
            message.origin,
            message.seq,
            message.kind,
            message.created_at,
            txn.now,
            message.payload,
            message.signature,
        )
    )
    txn.stored.append(message)
