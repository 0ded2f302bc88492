"""The message store: this node's own log and every origin's log it holds.

Rules from protocol.log decide where each message goes; this module only keeps
the books, inside one write transaction per call, so an acknowledged message is
durable and a refused one leaves nothing behind.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiosqlite

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, node_id_from_public_key, public_key_from_node_id
from node.clock import Clock
from node.errors import Unavailable
from node.store.database import Database
from node.store.forks import (
    drop_branch_txn,
    evidence_at_txn,
    forget_evidence_txn,
    id_at_seq_txn,
    record_resolution_txn,
    resolutions_txn,
)
from node.verifier import Opened, Verifier
from protocol.envelope import (
    Message,
    MessageId,
    create_message,
    decode_envelope,
    encode_envelope,
    parse_payload,
)
from protocol.errors import BadSignature, BrokenChain, ProtocolError, RemoteProtocolError
from protocol.forks import Resolution, check_fork_pair, reporters_of
from protocol.keys import (
    SUCCESSOR_KINDS,
    KeyRuleBroken,
    KeyState,
    KeyStep,
    held_signer,
    initial_key_state,
    key_step,
    state_at,
)
from protocol.kinds.forks import ForkResolve
from protocol.kinds.hub import Resource
from protocol.log import Head, Placement, next_position, place

# A caller's own check and rows, run inside append's write transaction.
Check = Callable[[aiosqlite.Connection], Awaitable[None]]
Then = Callable[[aiosqlite.Connection, Message], Awaitable[None]]


class Status(enum.Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    HELD = "held"
    FORK = "fork"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one incoming message."""

    status: Status
    id: MessageId | None = None
    error: ProtocolError | None = None

    @property
    def reason(self) -> str | None:
        return str(self.error) if self.error else None


@dataclass(frozen=True, slots=True)
class ForkFound:
    """An origin this node has just found forked: `first` is in its log, `second` is not."""

    origin: NodeId
    seq: int
    first: MessageId
    second: MessageId


@dataclass(slots=True)
class IngestReport:
    outcomes: list[Outcome]
    released: int = 0  # held messages that linked up because of this batch
    # Wall-clock seconds spent checking the batch and writing it (for metrics).
    open_seconds: float = 0.0
    store_seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


# Held messages from all origins together: origins cost nothing to make.
MAX_HELD_TOTAL = 100_000
# Fork evidence: the first second message at a seq proves the fork and the rest add
# nothing, so a few rows per origin, and a total, however many variants arrive.
MAX_FORK_EVIDENCE_PER_ORIGIN = 8
MAX_FORK_EVIDENCE_TOTAL = 10_000


class TooManyHeld(RemoteProtocolError):
    reason = "rate-limited"


class BlockedOrigin(RemoteProtocolError):
    reason = "blocked"


class NotMember(RemoteProtocolError):
    """A message from a hub that is not a member of this node's network (PROTOCOL.md §14.5)."""

    reason = "not-member"


class Gate(Protocol):
    """Who may have messages stored and relayed here: node/network/membership.py."""

    def admits(self, origin: NodeId, kind: str, seq: int) -> str | None: ...

    def relays(self, origin: NodeId, kind: str) -> bool: ...

    def noted(self, message: Message) -> None:
        """A message was placed in its origin's log in this transaction."""


class BadResolution(RemoteProtocolError):
    """A fork.resolve that cannot apply (PROTOCOL.md §6.2)."""


class Recovering(Unavailable):
    """This node was restored from a backup and has not caught up with its own log yet."""

    # docs/OPERATIONS.md: the node may not write its own messages just now.
    heading = "The hub cannot publish just now"


class KeyNotInForce(Unavailable):
    """The key this process signs with is no longer the node's key in force."""

    heading = "The hub cannot publish just now"


RECOVERING = "recovering"


@dataclass(slots=True)
class _OriginState:
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
class _Txn:
    """What one write transaction has learned and will write."""

    conn: aiosqlite.Connection
    now: int
    source: NodeId | None = None  # the peer this batch came from, if any
    origins: dict[NodeId, _OriginState] = field(default_factory=dict)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    at_seq: dict[tuple[str, int], MessageId] = field(default_factory=dict)
    stored: list[Message] = field(default_factory=list)
    # Key history rows (origin, from_seq, public_key, next_key_digest) to write.
    key_rows: list[tuple[NodeId, int, bytes, bytes | None]] = field(default_factory=list)
    forks_found: list[ForkFound] = field(default_factory=list)


_MESSAGE_COLUMNS = "id, origin, seq, kind, created_at, received_at, payload, signature"


class MessageStore:
    def __init__(
        self,
        db: Database,
        key: SigningKey,
        clock: Clock,
        verifier: Verifier,
        max_held_per_origin: int = 1000,
        origin: NodeId | None = None,
    ) -> None:
        self._db = db
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

        STYLE.md: a message and the rows that go with it commit together. `check(conn)`
        runs first in the same write transaction and may raise to refuse (nothing is
        signed or written); `then(conn, message)` writes the caller's own rows after
        the message and its outbox rows. Either raising rolls back all of it, and a
        crash anywhere before the commit leaves neither the message nor the rows.
        """
        async with self._db.write() as conn:
            if check is not None:
                await check(conn)
            txn = _Txn(conn, self._clock())
            await self._load_origins_txn(txn, {self.node_id})
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
                refused = await self._resolve_fork_txn(txn, message)
                if refused is not None and refused.error is not None:
                    raise refused.error
                if state.head is None or state.head.seq != seq - 1:
                    raise BadResolution("a node resolves its fork on the branch it holds")
            self._apply_txn(txn, message, step)
            await self._flush_txn(txn)
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
            txn = _Txn(conn, self._clock(), source)
            await self._load_origins_txn(txn, {o.message.origin for _, o in candidates})
            existing = await self._existing_ids_txn(conn, [o.message.id for _, o in candidates])
            for index, result in candidates:
                outcomes[index] = await self._place_txn(txn, result, existing)
            released = await self._release_held_txn(txn)
            await self._flush_txn(txn)
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

    async def _place_txn(self, txn: _Txn, opened: Opened, existing: set[bytes]) -> Outcome:
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
            refused = await self._resolve_fork_txn(txn, message)
            if refused is not None:
                return refused
            held_here = txn.at_seq.get((message.origin, message.seq))
            placement = place(state.head, message.seq, message.prev, message.id, held_here)
        if placement is Placement.APPEND and self._abandoned(state, message):
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
                    else await self._key_state_at_txn(txn, message.origin, message.seq)
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
            self._apply_txn(txn, message, step)
            return Outcome(Status.STORED, message.id)
        if placement is Placement.HOLD:
            return await self._hold_txn(txn, message, state)
        await self._record_fork_txn(txn, message, state)
        return Outcome(Status.FORK, message.id)

    @staticmethod
    def _abandoned(state: _OriginState, message: Message) -> bool:
        """At the seq of a resolved fork, the log continues only through `keep` (§6.2)."""
        return state.resolution is not None and state.resolution.abandons(message)

    async def _resolve_fork_txn(self, txn: _Txn, message: Message) -> Outcome | None:
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
        keys = await self._key_state_at_txn(txn, origin, at)
        refused = self._refusal_under(
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
        await self._promote_evidence_txn(txn, origin)
        await record_resolution_txn(txn.conn, origin, resolution, message, txn.now)
        state.forked_at = None
        state.changed = True
        return None

    async def _promote_evidence_txn(self, txn: _Txn, origin: NodeId) -> None:
        """Put back into the log the kept branch's messages held as evidence, in order."""
        state = txn.origins[origin]
        while True:
            seq = state.head.seq + 1 if state.head else 1
            prev = state.head.id if state.head else None
            found = await evidence_at_txn(txn.conn, origin, seq, prev)
            found = [m for m in found if not self._abandoned(state, m)]
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
            self._apply_txn(txn, message, step)

    @staticmethod
    def _signed_by(opened: Opened, signer: bytes) -> bool:
        # Fast path: most messages are signed by the key inside their origin's id,
        # which the verifier already checked off the event loop.
        if signer == public_key_from_node_id(opened.message.origin):
            return opened.signed_by_id_key
        # Rare: a rotated key, or a revocation's successor.
        return opened.message.signed_by(signer)

    def _apply_txn(self, txn: _Txn, message: Message, step: KeyStep) -> None:
        """Append a message that links to its origin's head.

        `step` is the key rules' verdict on it (protocol/keys.py), its signature
        already checked under `step.signer`.
        """
        state = txn.origins[message.origin]
        if self.gate is not None:
            self.gate.noted(message)  # a founder's signature admits what follows it
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

    async def _hold_txn(self, txn: _Txn, message: Message, state: _OriginState) -> Outcome:
        head_seq = state.head.seq if state.head else 0
        if message.seq - head_seq > self._max_held:
            return Outcome(
                Status.REFUSED,
                message.id,
                TooManyHeld(
                    f"seq {message.seq} is more than {self._max_held} ahead of the "
                    f"{head_seq} held for {message.origin}; send the gap first"
                ),
            )
        async with txn.conn.execute("SELECT count(*) FROM held") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] >= MAX_HELD_TOTAL:
            return Outcome(
                Status.REFUSED,
                message.id,
                TooManyHeld("this hub holds too many out-of-order messages; send in order"),
            )
        # Rows, not only distance: rows left below a head that moved on still count,
        # and one origin must not take the whole total.
        async with txn.conn.execute(
            "SELECT count(*) FROM held WHERE origin = ?", (message.origin,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] >= self._max_held:
            return Outcome(
                Status.REFUSED,
                message.id,
                TooManyHeld(
                    f"this hub holds {self._max_held} out-of-order messages of "
                    f"{message.origin} already; send the gap first"
                ),
            )
        await txn.conn.execute(
            "INSERT OR IGNORE INTO held (id, origin, seq, received_at, payload, signature)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (message.id, message.origin, message.seq, txn.now, message.payload, message.signature),
        )
        return Outcome(Status.HELD, message.id)

    async def _record_fork_txn(
        self, txn: _Txn, message: Message, state: _OriginState, other: MessageId | None = None
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
        if await self._fork_evidence_room_txn(txn.conn, message.origin):
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

    @staticmethod
    async def _fork_evidence_room_txn(conn: aiosqlite.Connection, origin: str) -> bool:
        """Whether to keep one more variant as evidence; beyond the caps it is still
        answered as a fork, but not stored."""
        async with conn.execute("SELECT count(*) FROM forks WHERE origin = ?", (origin,)) as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] >= MAX_FORK_EVIDENCE_PER_ORIGIN:
            return False
        async with conn.execute("SELECT count(*) FROM forks") as cursor:
            row = await cursor.fetchone()
        return row is None or row[0] < MAX_FORK_EVIDENCE_TOTAL

    async def _release_held_txn(self, txn: _Txn) -> int:
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
                if message.prev != state.head.id or self._abandoned(state, message):
                    # Held under another history; pull will fetch the right one.
                    break
                if self.gate is not None and self.gate.admits(origin, message.kind, message.seq):
                    break  # the hub left the network while this waited
                if isinstance(message.body, ForkResolve):
                    if await self._resolve_fork_txn(txn, message) is not None:
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
                self._apply_txn(txn, message, step)
                released += 1
        return released

    def _notify(self, txn: _Txn) -> None:
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
            txn = _Txn(conn, self._clock())
            await self._load_origins_txn(txn, {a.origin})
            keys = await self._key_state_at_txn(txn, a.origin, a.seq)
            for message in (a, b):
                refused = self._refusal_under(
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
                    await self._record_fork_txn(txn, message, state, held or counterpart.id)
            await self._flush_txn(txn)
        self._notify(txn)
        return Outcome(Status.FORK, b.id)

    async def _flush_txn(self, txn: _Txn) -> None:
        if txn.rows:
            await txn.conn.executemany(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                txn.rows,
            )
            await self._enqueue_txn(txn)
            await self._note_resources_txn(txn)
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

    async def _enqueue_txn(self, txn: _Txn) -> None:
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
            and (self.gate is None or self.gate.relays(message.origin, message.kind))
            for peer in peers
            if peer != txn.source and peer != message.origin
        ]
        await txn.conn.executemany(
            "INSERT OR IGNORE INTO outbox (peer, message_id) VALUES (?, ?)", rows
        )

    @staticmethod
    async def _note_resources_txn(txn: _Txn) -> None:
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

    async def _load_origins_txn(self, txn: _Txn, origins: Iterable[NodeId]) -> None:
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
                    txn.origins[NodeId(row[0])] = _OriginState(
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
                    txn.origins[origin] = _OriginState(key, None, None, txn.now, blocked=True)
        for origin in wanted:
            if origin not in txn.origins:
                key = public_key_from_node_id(origin)
                txn.origins[origin] = _OriginState(key, None, None, txn.now)
        for origin, resolution in (await resolutions_txn(txn.conn, wanted)).items():
            txn.origins[NodeId(origin)].resolution = resolution

    @staticmethod
    def _refusal_under(keys: KeyState, message: Message, unsigned: str) -> Outcome | None:
        """Why `message` breaks the key rules in state `keys` (PROTOCOL.md §7), or is not
        signed by the key they require; None if it is sound."""
        try:
            signer = key_step(keys, message).signer
        except KeyRuleBroken as exc:
            return Outcome(Status.REFUSED, message.id, exc)
        if not message.signed_by(signer):
            return Outcome(Status.REFUSED, message.id, BadSignature(unsigned))
        return None

    @staticmethod
    async def _key_state_at_txn(txn: _Txn, origin: NodeId, seq: int) -> KeyState:
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

    @staticmethod
    async def _existing_ids_txn(conn: aiosqlite.Connection, ids: list[bytes]) -> set[bytes]:
        found: set[bytes] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with conn.execute(
                f"SELECT id FROM messages WHERE id IN ({marks})", chunk
            ) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    # -- reading ---------------------------------------------------------------

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
