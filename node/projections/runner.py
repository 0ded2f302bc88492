"""One runner for every table built from the message log.

Stored messages are the source of truth (docs/ARCHITECTURE.md, "Storage"); events, campaigns,
the library, speaker offers, the shared directory, comments, the search index
and the table of hubs are derived from them. Each is a `Projection(name, kinds,
apply_txn)`, and this runner is the one way they are kept up to date:

- one cursor table (`projection_cursors`, node/store/projections.py): for each
  projection, the rowid of the last message it applied;
- one wake-up: `MessageStore.on_stored`, after every commit that stored messages;
- one read: messages after the lowest cursor, in batches, each decoded once (the
  messages `on_stored` handed over are not decoded again) and handed to every
  projection whose kinds match, inside one write transaction that also moves
  each projection's cursor, so rows and cursor commit together;
- one error policy: a projection whose apply raises is rolled back to a savepoint
  (the others' rows still commit), logged once per kind of failure, counted
  (`failures`, shown in /metrics), and retried with back-off until it succeeds.

Pages call `caught_up()` first, so what they show includes everything stored
before the call (a page after a POST shows what was just published). Because
every projection restarts from its stored cursor, a crash, a message stored by
another process, or a reset cursor is caught up from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import aiosqlite

from crypto.nodeid import NodeId
from node.clock import Clock
from node.store import projections as cursors
from node.store.database import Database
from node.store.messages import MessageStore
from protocol.envelope import Message, parse_payload

log = logging.getLogger(__name__)

BATCH = 1000
FIRST_RETRY_MS = 1_000
LAST_RETRY_MS = 5 * 60_000
_DECODED_KEPT = 4096  # messages from on_stored waiting to be read back by rowid


class CaughtUp(Protocol):
    """What a service that reads projected tables needs: a way to wait for them."""

    async def caught_up(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Projection:
    name: str
    kinds: frozenset[str]
    # Writes the rows for these messages (in log order) inside the runner's transaction.
    apply_txn: Callable[[aiosqlite.Connection, list[Message]], Awaitable[None]]
    # Empties the projection's rows, so that reading the log from the start rebuilds
    # them; None for a projection whose table also holds what only this node knows.
    reset_txn: Callable[[aiosqlite.Connection], Awaitable[None]] | None = None
    # PROTOCOL.md §14.5: only messages of hubs shown (this hub and the network's
    # members) are applied; a change of roster rebuilds such projections.
    roster: bool = True
    # Called after a commit that changed its rows (readers keep what they built
    # from the table while nothing changed).
    committed: Callable[[], None] | None = None
    # Reads only this node's own messages (what the hub publishes itself): the others
    # are not even read from the log, so a push of other hubs' news costs it nothing.
    own_only: bool = False


@dataclass(slots=True)
class _Failing:
    kind: str  # the exception's class: logged once per kind, not once per attempt
    attempts: int
    retry_at: int  # ms, on the runner's clock


@dataclass(slots=True)
class ProjectionRunner:
    db: Database
    clock: Clock
    projections: dict[str, Projection] = field(default_factory=dict)
    # Failed applies per projection since start (monotonic; /metrics reads it).
    failures: Counter[str] = field(default_factory=Counter)
    # Messages applied and seconds spent in each projection's apply_txn since start
    # (monotonic; /metrics reads them, so each projection's cost per message is known).
    applied: Counter[str] = field(default_factory=Counter)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    shows: Callable[[NodeId], bool] = lambda origin: True
    own: NodeId | None = None  # this node's id, for projections that are `own_only`
    _failing: dict[str, _Failing] = field(default_factory=dict)
    _decoded: OrderedDict[bytes, Message] = field(default_factory=OrderedDict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    # (database version, projections due) when every due projection was last seen
    # caught up: while neither changed, there is nothing to apply.
    _clean: tuple[int, frozenset[str]] | None = None

    @classmethod
    def attach(cls, db: Database, messages: MessageStore, clock: Clock) -> ProjectionRunner:
        runner = cls(db, clock, own=messages.node_id)
        messages.on_stored.append(runner.stored)
        return runner

    def add(self, *projections: Projection) -> None:
        for projection in projections:
            if projection.name in self.projections:
                raise ValueError(f"two projections named {projection.name!r}")
            self.projections[projection.name] = projection

    def failing(self) -> dict[str, int]:
        """Projections failing now, with how many attempts in a row have failed."""
        return {name: f.attempts for name, f in self._failing.items()}

    # -- waking ---------------------------------------------------------------------

    def stored(self, messages: list[Message]) -> None:
        """MessageStore.on_stored: keep the decoded messages for the next pass, and wake it."""
        wanted = {k for p in self.projections.values() for k in p.kinds}
        for message in messages:
            if message.kind in wanted:
                self._decoded[message.id] = message
        while len(self._decoded) > _DECODED_KEPT:
            self._decoded.popitem(last=False)
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.caught_up()
            except Exception:  # the database itself failed: say so, wait, and go on
                log.exception("projections: reading the log failed; trying again")
                await asyncio.sleep(FIRST_RETRY_MS / 1000)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._until_retry())

    def _until_retry(self) -> float | None:
        if not self._failing:
            return None
        due = min(f.retry_at for f in self._failing.values())
        return max(0.0, (due - self.clock()) / 1000)

    # -- catching up ----------------------------------------------------------------

    async def caught_up(self) -> None:
        """Apply everything stored up to now, for every projection not waiting to retry."""
        due = frozenset(p.name for p in self._due())
        version = self.db.data_version()  # read before the check: a later commit changes it
        if version is not None and self._clean == (version, due):
            return
        if not await cursors.behind(self.db, due):
            if version is not None:
                self._clean = (version, due)
            return
        async with self._lock:
            while await self._pass():
                pass

    async def rebuild(self, names: Iterable[str] | None = None) -> None:
        """Empty the projections named (all that can be rebuilt: None) and read the log again."""
        chosen = [
            p
            for p in self.projections.values()
            if (names is None or p.name in names) and p.reset_txn is not None
        ]
        async with self._lock:
            async with self.db.write() as conn:
                for projection in chosen:
                    assert projection.reset_txn is not None
                    await projection.reset_txn(conn)
                    await cursors.set_cursor_txn(conn, projection.name, 0)
            for projection in chosen:
                if projection.committed is not None:
                    projection.committed()
        await self.caught_up()

    def roster_names(self) -> list[str]:
        return [p.name for p in self.projections.values() if p.roster]

    def _due(self) -> list[Projection]:
        now = self.clock()
        return [
            p
            for p in self.projections.values()
            if p.name not in self._failing or self._failing[p.name].retry_at <= now
        ]

    async def _pass(self) -> bool:
        """One batch for every projection due; whether any has more to read."""
        changed: list[Projection] = []
        async with self.db.write() as conn:
            stored = await cursors.cursors_txn(conn)
            top = await cursors.log_end_txn(conn)
            behind = [p for p in self._due() if stored.get(p.name, 0) < top]
            if not behind:
                return False
            start = min(stored.get(p.name, 0) for p in behind)
            kinds = {k for p in behind if not p.own_only for k in p.kinds}
            own_kinds = {k for p in behind if p.own_only for k in p.kinds} - kinds
            if own_kinds and self.own is None:  # no node id given: read them all
                kinds, own_kinds = kinds | own_kinds, set()
            rows = await cursors.messages_after_txn(conn, start, kinds, BATCH, own_kinds, self.own)
            upto = rows[-1].rowid if len(rows) == BATCH else top
            # Decoded only when a projection takes it, and then once for all of them: a
            # batch read from a rebuilt projection's cursor also holds what the others
            # have applied already.
            decoded: dict[int, Message] = {}
            idle: list[str] = []  # nothing of theirs in this batch: only their cursor moves
            for projection in behind:
                after = stored.get(projection.name, 0)
                if after >= upto:
                    continue  # ahead of this batch (it was rebuilt less recently)
                mine = [
                    self._decode(row, decoded)
                    for row in rows
                    if row.rowid > after
                    and row.kind in projection.kinds
                    and (not projection.own_only or self.own in (None, row.origin))
                    and (not projection.roster or self.shows(NodeId(row.origin)))
                ]
                if not mine:
                    idle.append(projection.name)
                elif await self._apply_txn(conn, projection, mine, upto):
                    changed.append(projection)
            # One statement for all of them, with no savepoint: most batches (announcements,
            # say) hold nothing for most projections, and this was most of a pass's queries.
            await cursors.set_cursors_txn(conn, idle, upto)
            for name in idle:
                self._recovered(name)
        for projection in changed:
            if projection.committed is not None:
                projection.committed()
        return len(rows) == BATCH

    def _decode(self, row: cursors.LoggedRow, decoded: dict[int, Message]) -> Message:
        message = decoded.get(row.rowid)
        if message is None:
            message = self._decoded.pop(row.id, None) or parse_payload(row.payload, row.signature)
            decoded[row.rowid] = message
        return message

    async def _apply_txn(
        self, conn: aiosqlite.Connection, projection: Projection, messages: list[Message], upto: int
    ) -> bool:
        """Apply one projection's messages under a savepoint; whether it succeeded."""
        started = time.perf_counter()
        try:
            async with cursors.savepoint_txn(conn):
                await projection.apply_txn(conn, messages)
                await cursors.set_cursor_txn(conn, projection.name, upto)
        except Exception as exc:
            self._failed(projection.name, exc)
            return False
        finally:
            self.seconds[projection.name] += time.perf_counter() - started
        self.applied[projection.name] += len(messages)
        self._recovered(projection.name)
        return True

    def _recovered(self, name: str) -> None:
        recovered = self._failing.pop(name, None)
        if recovered is not None:
            log.warning(
                "projection %s: applied again after %d failed attempts", name, recovered.attempts
            )

    def _failed(self, name: str, exc: Exception) -> None:
        self.failures[name] += 1
        kind = type(exc).__name__
        before = self._failing.get(name)
        attempts = before.attempts + 1 if before else 1
        delay = min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** min(attempts - 1, 20))
        self._failing[name] = _Failing(kind, attempts, self.clock() + delay)
        if before is None or before.kind != kind:
            # One line (with its traceback) per kind of failure, not one per retry.
            log.error(
                "projection %s failed (%s: %s); the others go on, retrying it with back-off",
                name,
                kind,
                exc,
                exc_info=exc,
            )
