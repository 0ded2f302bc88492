"""The message store: this node's own log and every origin's log it holds.

Rules from protocol.log decide where each message goes; this module only keeps
the books, inside one write transaction per call, so an acknowledged message is
durable and a refused one leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, node_id_from_public_key, public_key_from_node_id
from node.clock import Clock
from node.store.database import Database
from node.store.fork_books import (
    abandoned,
    record_fork_txn,
    refusal_under,
    resolve_fork_txn,
)
from node.store.held import hold_txn
from node.store.log_reads import MessageLog
from node.store.log_txn import (
    WriteTxn,
    apply_txn,
    existing_ids_txn,
    flush_txn,
    key_state_at_txn,
    load_origins_txn,
)
from node.store.outcomes import (
    RECOVERING,
    BadResolution,
    BlockedOrigin,
    Check,
    ForkFound,
    Gate,
    IngestReport,
    KeyNotInForce,
    NotMember,
    Outcome,
    Recovering,
    Status,
    Then,
)
from node.verifier import Opened, Verifier
from protocol.envelope import (
    Message,
    MessageId,
    create_message,
    decode_envelope,
    parse_payload,
)
from protocol.errors import BadSignature, BrokenChain, RemoteProtocolError
from protocol.forks import check_fork_pair
from protocol.keys import (
    SUCCESSOR_KINDS,
    KeyRuleBroken,
    KeyStep,
    held_signer,
    key_step,
)
from protocol.kinds.forks import ForkResolve
from protocol.log import Placement, next_position, place


class MessageStore(MessageLog):
    def __init__(
        self,
        db: Database,
        key: SigningKey,
        clock: Clock,
        verifier: Verifier,
        max_held_per_origin: int = 1000,
        origin: NodeId | None = None,
    ) -> None:
        super().__init__(db)
        self._key = key
        self._clock = clock
        self._verifier = verifier
        self._max_held = max_held_per_origin
        # Called after each commit that stored messages (federation wakes its senders).
        self.on_stored: list[Callable[[list[Message]], None]] = []
        # Called after each ingest with what became of every message (metrics).
        self.on_ingested: list[Callable[[IngestReport], None]] = []
        # Called after each commit that found origins forked for the first time
        # (federation tells its peers, PROTOCOL.md §6.1).
        self.on_forked: list[Callable[[list[ForkFound]], None]] = []
        # After a key rotation the node keeps its original id but signs with a new key.
        self.node_id = origin or node_id_from_public_key(key.public_key)
        # The network's roster decides what is stored and relayed; None: everything
        # (a store used on its own, as by `hubnet init` and the store's own tests).
        self.gate: Gate | None = None

    # -- writing ---------------------------------------------------------------

    async def append(
        self,
        kind: str,
        body: Any,
        *,
        check: Check | None = None,
        then: Then | None = None,
    ) -> Message:
        """Sign and store the node's next message; seq and prev are assigned atomically.

        A message and the rows that go with it commit together (docs/ARCHITECTURE.md,
        "Storage"). `check(conn)` runs first in the same write transaction and may
        raise to refuse (nothing is signed or written); `then(conn, message)` writes
        the caller's own rows after the message and its outbox rows. Either raising
        rolls back all of it, and a crash anywhere before the commit leaves neither
        the message nor the rows.
        """
        async with self._db.write() as conn:
            if check is not None:
                await check(conn)
            txn = WriteTxn(conn, self._clock())
            await load_origins_txn(txn, {self.node_id})
            await self._check_may_write_txn(conn, kind)
            state = txn.origins[self.node_id]
            if kind not in SUCCESSOR_KINDS and state.public_key != self._key.public_key:
                raise KeyNotInForce(
                    "this node's key was rotated or revoked since it started; restart the node "
                    "('hubnet run') so it signs with the key in force"
                )
            seq, prev = next_position(state.head)
            message = create_message(self._key, kind, body, seq, prev, txn.now, origin=self.node_id)
            # PROTOCOL.md §7: our own messages obey the key rules as everyone's do.
            step = key_step(state.keys, message)
            if step.signer != self._key.public_key:
                raise KeyNotInForce(
                    f"{kind} must be signed by another key than the one this process holds"
                )
            if isinstance(body, ForkResolve):
                refused = await resolve_fork_txn(txn, message, self.gate)
                if refused is not None and refused.error is not None:
                    raise refused.error
                if state.head is None or state.head.seq != seq - 1:
                    raise BadResolution("a node resolves its fork on the branch it holds")
            apply_txn(txn, message, step, self.gate)
            await flush_txn(txn, self.gate)
            if then is not None:
                await then(conn, message)
        self._notify(txn)
        return message

    @staticmethod
    async def _check_may_write_txn(conn: aiosqlite.Connection, kind: str) -> None:
        # A restored node may have published seqs after its backup was taken: writing
        # before it has fetched its own log back from its peers could reuse one and
        # fork its log (docs/OPERATIONS.md, "Restore").
        async with conn.execute(
            "SELECT value FROM node_state WHERE name = ?", (RECOVERING,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            raise Recovering(
                "this node was restored from a backup and writes nothing until it has fetched "
                "its own log back from its peers; start it with 'hubnet run' and wait, or see "
                "'hubnet recovery finish --help'"
            )

    async def ingest(self, wires: Sequence[bytes], source: NodeId | None = None) -> IngestReport:
        """Verify and store messages from other nodes, in any order, deduplicated.

        `source` is the peer that sent them: they are relayed to every other peer.
        """
        started = time.perf_counter()
        opened = await self._verifier.open_many(wires, self._clock())
        checked = time.perf_counter()
        outcomes: list[Outcome | None] = [None] * len(wires)
        candidates: list[tuple[int, Opened]] = []
        for index, result in enumerate(opened):
            if isinstance(result, RemoteProtocolError):
                outcomes[index] = Outcome(Status.REFUSED, error=result)
            else:
                candidates.append((index, result))
        # PROTOCOL.md §6: a batch may arrive in any order; linking needs seq order.
        candidates.sort(key=lambda c: (c[1].message.origin, c[1].message.seq))
        released = 0
        async with self._db.write() as conn:
            txn = WriteTxn(conn, self._clock(), source)
            await load_origins_txn(txn, {o.message.origin for _, o in candidates})
            existing = await existing_ids_txn(conn, [o.message.id for _, o in candidates])
            for index, result in candidates:
                outcomes[index] = await self._place_txn(txn, result, existing)
            released = await self._release_held_txn(txn)
            await flush_txn(txn, self.gate)
        self._notify(txn)
        report = IngestReport(
            [o for o in outcomes if o is not None],
            released,
            open_seconds=checked - started,
            store_seconds=time.perf_counter() - checked,
        )
        for callback in self.on_ingested:
            callback(report)
        return report

    async def _place_txn(self, txn: WriteTxn, opened: Opened, existing: set[bytes]) -> Outcome:
        message = opened.message
        state = txn.origins[message.origin]
        if state.blocked:
            return Outcome(
                Status.REFUSED,
                message.id,
                BlockedOrigin(f"this hub has blocked messages from {message.origin}"),
            )
        held_here = txn.at_seq.get((message.origin, message.seq))
        if held_here is None and message.id in existing:
            held_here = message.id
        placement = place(state.head, message.seq, message.prev, message.id, held_here)
        if placement is Placement.DUPLICATE:
            return Outcome(Status.DUPLICATE, message.id)
        if self.gate is not None:
            why = self.gate.admits(message.origin, message.kind, message.seq)
            if why is not None:
                return Outcome(Status.REFUSED, message.id, NotMember(why))
        if isinstance(message.body, ForkResolve):
            # PROTOCOL.md §6.2: the origin says which branch is its log; that may move
            # the head back, so place the message again afterwards.
            refused = await resolve_fork_txn(txn, message, self.gate)
            if refused is not None:
                return refused
            held_here = txn.at_seq.get((message.origin, message.seq))
            placement = place(state.head, message.seq, message.prev, message.id, held_here)
        if placement is Placement.APPEND and abandoned(state, message):
            return Outcome(
                Status.REFUSED,
                message.id,
                BrokenChain(
                    f"{message.origin} resolved its fork at seq {message.seq} in favour of "
                    "another message"
                ),
            )
        if placement is Placement.BROKEN:
            return Outcome(
                Status.REFUSED,
                message.id,
                BrokenChain(
                    f"seq {message.seq} of {message.origin} names a prev that is not "
                    f"the message at seq {message.seq - 1}"
                ),
            )
        # PROTOCOL.md §6, §7: judged by the key rules as at its seq. A fork is proof
        # only if the key in force at that seq signed it, so its state is looked up
        # in the key history; a held message is checked in full when released.
        step: KeyStep | None = None
        try:
            if placement is Placement.HOLD:
                signer = held_signer(state.keys, message)
            else:
                keys = (
                    state.keys
                    if placement is Placement.APPEND
                    else await key_state_at_txn(txn, message.origin, message.seq)
                )
                step = key_step(keys, message)
                signer = step.signer
        except KeyRuleBroken as exc:
            return Outcome(Status.REFUSED, message.id, exc)
        if not self._signed_by(opened, signer):
            return Outcome(
                Status.REFUSED,
                message.id,
                BadSignature(f"signature does not verify under the key of {message.origin}"),
            )
        if placement is Placement.APPEND:
            assert step is not None
            apply_txn(txn, message, step, self.gate)
            return Outcome(Status.STORED, message.id)
        if placement is Placement.HOLD:
            return await hold_txn(txn, message, state, self._max_held)
        await record_fork_txn(txn, message, state)
        return Outcome(Status.FORK, message.id)

    @staticmethod
    def _signed_by(opened: Opened, signer: bytes) -> bool:
        # Fast path: most messages are signed by the key inside their origin's id,
        # which the verifier already checked off the event loop.
        if signer == public_key_from_node_id(opened.message.origin):
            return opened.signed_by_id_key
        # Rare: a rotated key, or a revocation's successor.
        return opened.message.signed_by(signer)

    async def _release_held_txn(self, txn: WriteTxn) -> int:
        """Append held messages whose gap this transaction filled."""
        touched = [o for o, s in txn.origins.items() if s.changed and s.head is not None]
        if not touched:
            return 0
        marks = ",".join("?" * len(touched))
        async with txn.conn.execute(
            f"SELECT DISTINCT origin FROM held WHERE origin IN ({marks})", touched
        ) as cursor:
            with_held = [row[0] for row in await cursor.fetchall()]
        released = 0
        for origin in with_held:
            state = txn.origins[origin]
            while state.head is not None:
                async with txn.conn.execute(
                    "SELECT payload, signature FROM held WHERE origin = ? AND seq = ?",
                    (origin, state.head.seq + 1),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is None:
                    break
                await txn.conn.execute(
                    "DELETE FROM held WHERE origin = ? AND seq = ?", (origin, state.head.seq + 1)
                )
                message = parse_payload(row[0], row[1])
                if message.prev != state.head.id or abandoned(state, message):
                    # Held under another history; pull will fetch the right one.
                    break
                if self.gate is not None and self.gate.admits(origin, message.kind, message.seq):
                    break  # the hub left the network while this waited
                if isinstance(message.body, ForkResolve):
                    if await resolve_fork_txn(txn, message, self.gate) is not None:
                        break
                    if state.head is None or message.prev != state.head.id:
                        break
                # PROTOCOL.md §6, §7: the key rules apply on release as on append.
                try:
                    step = key_step(state.keys, message)
                except KeyRuleBroken:
                    break
                if not message.signed_by(step.signer):
                    break
                apply_txn(txn, message, step, self.gate)
                released += 1
        return released

    def _notify(self, txn: WriteTxn) -> None:
        if txn.stored:
            for callback in self.on_stored:
                callback(txn.stored)
        if txn.forks_found:
            for on_forked in self.on_forked:
                on_forked(txn.forks_found)

    async def check_fork_proof(self, first: bytes, second: bytes) -> Outcome:
        """Check two envelopes offered as proof of a fork and, if they are, record it.

        PROTOCOL.md §6.1: the receiver of a `fork.proof` believes only what it checks
        itself: two messages of one origin at one seq, with different ids, each
        signed under the key state in force at that seq as this node knows it.
        """
        try:
            a = parse_payload(*decode_envelope(first))
            b = parse_payload(*decode_envelope(second))
            check_fork_pair(a, b)
        except RemoteProtocolError as exc:
            return Outcome(Status.REFUSED, error=exc)
        async with self._db.write() as conn:
            txn = WriteTxn(conn, self._clock())
            await load_origins_txn(txn, {a.origin})
            keys = await key_state_at_txn(txn, a.origin, a.seq)
            for message in (a, b):
                refused = refusal_under(
                    keys, message, f"not signed by the key of {a.origin} in force at {a.seq}"
                )
                if refused is not None:
                    return refused
            async with conn.execute(
                "SELECT id FROM messages WHERE origin = ? AND seq = ?", (a.origin, a.seq)
            ) as cursor:
                row = await cursor.fetchone()
            held = MessageId(row[0]) if row else None
            state = txn.origins[a.origin]
            for message, counterpart in ((a, b), (b, a)):
                if message.id != held:
                    await record_fork_txn(txn, message, state, held or counterpart.id)
            await flush_txn(txn, self.gate)
        self._notify(txn)
        return Outcome(Status.FORK, b.id)
