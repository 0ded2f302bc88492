"""Forks in the message store's books (PROTOCOL.md §6): evidence kept within caps,
fork proofs checked under the key state at their seq, and resolutions applied.

Functions that run inside the store's write transaction (node/store/messages.py);
the rules themselves are in protocol/forks.py and protocol/keys.py.
"""

from __future__ import annotations

import aiosqlite

from crypto.nodeid import NodeId
from node.store.forks import (
    drop_branch_txn,
    evidence_at_txn,
    forget_evidence_txn,
    id_at_seq_txn,
    record_resolution_txn,
)
from node.store.log_txn import OriginState, WriteTxn, apply_txn, key_state_at_txn
from node.store.outcomes import BadResolution, ForkFound, Gate, Outcome, Status
from protocol.envelope import Message, MessageId
from protocol.errors import BadSignature
from protocol.forks import Resolution
from protocol.keys import KeyRuleBroken, KeyState, key_step
from protocol.kinds.forks import ForkResolve
from protocol.log import Head

# Fork evidence: the first second message at a seq proves the fork and the rest add
# nothing, so a few rows per origin, and a total, however many variants arrive.
MAX_FORK_EVIDENCE_PER_ORIGIN = 8
MAX_FORK_EVIDENCE_TOTAL = 10_000


def abandoned(state: OriginState, message: Message) -> bool:
    """At the seq of a resolved fork, the log continues only through `keep` (§6.2)."""
    return state.resolution is not None and state.resolution.abandons(message)


def refusal_under(keys: KeyState, message: Message, unsigned: str) -> Outcome | None:
    """Why `message` breaks the key rules in state `keys` (PROTOCOL.md §7), or is not
    signed by the key they require; None if it is sound."""
    try:
        signer = key_step(keys, message).signer
    except KeyRuleBroken as exc:
        return Outcome(Status.REFUSED, message.id, exc)
    if not message.signed_by(signer):
        return Outcome(Status.REFUSED, message.id, BadSignature(unsigned))
    return None


async def resolve_fork_txn(txn: WriteTxn, message: Message, gate: Gate | None) -> Outcome | None:
    """Apply a fork.resolve's choice of branch (PROTOCOL.md §6.2); an Outcome if refused.

    It is checked as a key.revoke is, against the key state in force at the forked
    seq (shared by both branches): signed by the successor committed before it.
    Then the log from that seq on is the branch through `keep`: any other branch
    held there becomes evidence, `keep` and what follows it come back from the
    evidence if held (the rest comes by pull), and the origin is relayed again.
    """
    body: ForkResolve = message.body
    origin, at = message.origin, body.seq
    state = txn.origins[origin]
    if at >= message.seq:
        return Outcome(
            Status.REFUSED,
            message.id,
            BadResolution(f"fork.resolve at seq {message.seq} names a later seq {at}"),
        )
    keys = await key_state_at_txn(txn, origin, at)
    refused = refusal_under(
        keys, message, f"fork.resolve is not signed by the successor {origin} committed to"
    )
    if refused is not None:
        return refused
    resolution = Resolution(at, MessageId(body.keep), message.seq)
    if state.resolution == resolution:
        return None  # already applied (a held copy, placed again)
    held = txn.at_seq.get((origin, at)) or await id_at_seq_txn(txn.conn, origin, at)
    if held is not None and held != resolution.keep:
        await drop_branch_txn(txn.conn, origin, at, resolution.keep, txn.now)
        txn.rows = [r for r in txn.rows if not (r[1] == origin and r[2] >= at)]
        txn.stored = [m for m in txn.stored if not (m.origin == origin and m.seq >= at)]
        txn.key_rows = [r for r in txn.key_rows if not (r[0] == origin and r[1] > at)]
        for key in [k for k in txn.at_seq if k[0] == origin and k[1] >= at]:
            del txn.at_seq[key]
        before = None
        if at > 1:
            before = txn.at_seq.get((origin, at - 1)) or await id_at_seq_txn(
                txn.conn, origin, at - 1
            )
        state.head = Head(at - 1, before) if before is not None else None
        state.public_key, state.next_key_digest = keys.public_key, keys.next_key_digest
    state.resolution = resolution
    await promote_evidence_txn(txn, origin, gate)
    await record_resolution_txn(txn.conn, origin, resolution, message, txn.now)
    state.forked_at = None
    state.changed = True
    return None


async def promote_evidence_txn(txn: WriteTxn, origin: NodeId, gate: Gate | None) -> None:
    """Put back into the log the kept branch's messages held as evidence, in order."""
    state = txn.origins[origin]
    while True:
        seq = state.head.seq + 1 if state.head else 1
        prev = state.head.id if state.head else None
        found = await evidence_at_txn(txn.conn, origin, seq, prev)
        found = [m for m in found if not abandoned(state, m)]
        if len(found) != 1:
            return
        [message] = found
        try:
            step = key_step(state.keys, message)
        except KeyRuleBroken:
            return
        if not message.signed_by(step.signer):
            return
        await forget_evidence_txn(txn.conn, message.id)
        apply_txn(txn, message, step, gate)


async def record_fork_txn(
    txn: WriteTxn, message: Message, state: OriginState, other: MessageId | None = None
) -> None:
    """Keep `message` as evidence beside `other` (default: the one in the log at its seq)."""
    if other is None:
        other = txn.at_seq.get((message.origin, message.seq))
    if other is None:
        async with txn.conn.execute(
            "SELECT id FROM messages WHERE origin = ? AND seq = ?",
            (message.origin, message.seq),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None, "place() said FORK, so a message holds this seq"
        other = MessageId(row[0])
    if await fork_evidence_room_txn(txn.conn, message.origin):
        await txn.conn.execute(
            "INSERT OR IGNORE INTO forks (id, origin, seq, other_id, received_at, payload,"
            " signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                message.id,
                message.origin,
                message.seq,
                other,
                txn.now,
                message.payload,
                message.signature,
            ),
        )
    if state.resolution is not None and state.resolution.covers(message.seq):
        # PROTOCOL.md §6.2: the branch its origin abandoned, arriving late: evidence
        # of a fork already resolved, not a new one.
        return
    if state.forked_at is None:
        state.forked_at = txn.now
        state.changed = True
        txn.forks_found.append(ForkFound(message.origin, message.seq, other, message.id))
        # DESIGN.md: a forked origin is no longer relayed, including what is queued.
        await txn.conn.execute(
            "DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE origin = ?)",
            (message.origin,),
        )


async def fork_evidence_room_txn(conn: aiosqlite.Connection, origin: str) -> bool:
    """Whether to keep one more variant as evidence; beyond the caps it is still
    answered as a fork, but not stored."""
    async with conn.execute("SELECT count(*) FROM forks WHERE origin = ?", (origin,)) as cursor:
        row = await cursor.fetchone()
    if row is not None and row[0] >= MAX_FORK_EVIDENCE_PER_ORIGIN:
        return False
    async with conn.execute("SELECT count(*) FROM forks") as cursor:
        row = await cursor.fetchone()
    return row is None or row[0] < MAX_FORK_EVIDENCE_TOTAL
