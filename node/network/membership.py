"""This node's view of who is in its network (PROTOCOL.md §14), kept current.

The roster itself is the pure `protocol.roster.roster`; this service reads its
inputs from the store, recomputes it when a message that could change it arrives
(or when a motion to admit or remove a hub closes), and answers the two questions
the message store asks of every message: may it be stored, and may it be relayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from crypto.nodeid import NodeId
from node.clock import Clock
from node.network.background import Loop
from node.store.network import NetworkStore
from protocol.envelope import Message
from protocol.kinds.assembly import Motion
from protocol.kinds.network import NetworkFound, network_id
from protocol.roster import ASSEMBLY_KINDS, ROSTER_KINDS, Roster, empty_roster, roster
from protocol.witness import Witnesses

log = logging.getLogger(__name__)

# What a hub that is not (yet) a member may have stored and relayed: enough to say who
# it is, ask to join, and keep its key history (PROTOCOL.md §14.5). Nothing else.
ADMISSION_KINDS = frozenset(
    {
        "hub.profile",
        "network.found",
        "network.join",
        "network.leave",
        "key.rotate",
        "key.commit",
        "key.revoke",
    }
)
# A non-member's log is kept only this far: asking to join takes a handful of messages.
MAX_NON_MEMBER_SEQ = 64
_ROSTER_CHANGING = frozenset({*ROSTER_KINDS, *ASSEMBLY_KINDS})
# How often to look for what changes with no message arriving here: a motion to admit
# or remove a hub closing, or a `hubnet network` command writing from another process.
CHECK_SECONDS = 2.0

Listener = Callable[[frozenset[NodeId], frozenset[NodeId]], Coroutine[Any, Any, None]]


class Membership:
    def __init__(self, store: NetworkStore, node_id: NodeId, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.node_id = node_id
        self.network: bytes | None = None
        self.roster: Roster = empty_roster(b"")
        self.witnesses: Witnesses = Witnesses(b"", ())
        self.members: frozenset[NodeId] = frozenset()
        # Called with (before, after) whenever the members change (projections, pullers).
        self.listeners: list[Listener] = []
        # Called when another process (a `hubnet` command) wrote to this hub's own log,
        # with the kinds it wrote.
        self.on_own_log_written: list[Callable[[frozenset[str]], None]] = []
        self._own_seq: int | None = None
        self._last_row: int | None = None  # the last message `_look` has seen
        self._told: set[bytes] = set()  # roster messages `on_stored` handed over since
        self._dirty = asyncio.Event()
        self._next_close: int | None = None  # the next motion to admit or remove closes
        self._refreshing = False  # a thread is reading `witnesses`: hold new ones back
        self._backlog: list[Message] = []
        self._loop = Loop("membership", self._run)
        # One reading or change of the network and roster at a time: a look that read
        # the network id just before `set_network` wrote it must not put back the old
        # one, and a recomputation that read older inputs must not finish last.
        self._lock = asyncio.Lock()
        self._listening: set[asyncio.Task[None]] = set()  # listeners still at work

    # -- the store's questions -----------------------------------------------------

    def admits(self, origin: NodeId, kind: str, seq: int) -> str | None:
        """Why a message may not be stored, or None (PROTOCOL.md §14.5)."""
        if origin == self.node_id or origin in self.members:
            return None
        if kind in ADMISSION_KINDS and seq <= MAX_NON_MEMBER_SEQ:
            return None
        return (
            f"{origin} is not a member of this hub's network: until the network admits it, "
            "only its profile, its request to join and its keys are accepted"
        )

    def relays(self, origin: NodeId, kind: str) -> bool:
        """Whether a stored message is passed on to peers: members' messages, and the
        few a hub needs to ask to join."""
        return origin in self.members or kind in ADMISSION_KINDS

    def noted(self, message: Message) -> None:
        """A message placed in its log just now, in the middle of a batch.

        A founder's signature on this network's statement makes it a member from the
        start (PROTOCOL.md §14.1), whatever else arrives: so what follows it in the
        same batch is stored too. Everything else waits for the roster's next count.
        """
        body = message.body
        if (
            isinstance(body, NetworkFound)
            and self.network is not None
            and network_id(body) == self.network
            and message.origin in body.founders
        ):
            self.members = self.members | {message.origin}

    def is_member(self, origin: NodeId) -> bool:
        return origin in self.members

    # -- keeping current -----------------------------------------------------------

    async def load(self) -> None:
        """Read the network id, index the witnesses held and compute the roster (at start)."""
        self.network = await self._store.network_id()
        self._own_seq = await self._store.own_head_seq(self.node_id)
        self._last_row = await self._store.last_message_row()
        await self._index_witnesses()
        await self.refresh()

    async def _index_witnesses(self) -> None:
        # Every witness ever held, once: later ones are added as they are stored.
        network = self.network or b""
        held = await self._store.witnesses() if self.network else []
        self.witnesses = await asyncio.to_thread(Witnesses, network, held)

    async def _look(self) -> bool:
        """Whether something changed that no `on_stored` told this process about."""
        async with self._lock:
            network = await self._store.network_id()
            own = await self._store.own_head_seq(self.node_id)
            before = self._own_seq
            moved = before is not None and own > before
            self._own_seq = own
            if moved and before is not None:
                kinds = await self._store.kinds_after(self.node_id, before)
                for callback in self.on_own_log_written:
                    callback(kinds)
            await self._look_at_stored()
            due = self._next_close is not None and self._clock() > self._next_close
            if network != self.network:
                self.network = network
                return True
            return moved or due

    async def refresh(self) -> None:
        async with self._lock:  # one computation at a time reads the witness index
            await self._recompute()

    async def _look_at_stored(self) -> None:
        # Messages another process stored (`hubnet bundle import`, `hubnet catch-up`)
        # reach no `on_stored` here: read the new ones that bear on the roster, but
        # those `on_stored` was told of already.
        last = await self._store.last_message_row()
        seen, self._last_row = self._last_row, last
        told, self._told = self._told, set()
        if seen is not None and last > seen:
            fresh = await self._store.roster_messages_after(seen, told)
            if fresh:
                self.on_stored(fresh)

    async def _recompute(self) -> None:
        if self.network is None:
            self._set(empty_roster(b""))
            return
        if self.witnesses.network != self.network:
            await self._index_witnesses()
        inputs = await self._store.roster_inputs()
        now = self._clock()
        self._next_close = min(
            (
                m.body.closes * 1000
                for m in inputs
                if isinstance(m.body, Motion)
                and m.body.changes_roster
                and m.body.closes * 1000 >= now
            ),
            default=None,
        )
        # The pure roster is CPU work over every witness; keep it off the event loop.
        self._refreshing = True
        try:
            computed = await asyncio.to_thread(roster, self.network, inputs, now, self.witnesses)
        finally:
            self._refreshing = False
            backlog, self._backlog = self._backlog, []
            if any([self.witnesses.add(m) for m in backlog]):
                self._dirty.set()  # they may change what was just computed
        self._set(computed)

    def _set(self, computed: Roster) -> None:
        before = self.members
        self.roster = computed
        self.members = computed.members
        if before != self.members:
            log.info(
                "network roster: %d members (%+d)", len(self.members), len(self.members - before)
            )
            for listener in self.listeners:
                task = asyncio.get_running_loop().create_task(listener(before, self.members))
                self._listening.add(task)
                task.add_done_callback(self._listening.discard)
                task.add_done_callback(_log_failure)

    async def set_network(self, network: bytes) -> None:
        async with self._lock:
            await self._store.set_network_id(network, self._clock())
            self.network = network
            await self._recompute()

    def on_stored(self, messages: list[Message]) -> None:
        """MessageStore callback: recompute soon if anything could change the roster."""
        self._told.update(
            m.id for m in messages if m.kind in _ROSTER_CHANGING or m.kind == "network.witness"
        )
        own = [m.seq for m in messages if m.origin == self.node_id]
        if own and self._own_seq is not None:
            self._own_seq = max(self._own_seq, *own)  # written here: `_look` need not say
        witnessed = [m for m in messages if m.kind == "network.witness"]
        if self._refreshing:
            # The roster is being computed in a thread from this index: add them after.
            self._backlog.extend(witnessed)
        else:
            witnessed = [m for m in witnessed if self.witnesses.add(m)]
        # A witness changes the roster only while something waits to be witnessed.
        if any(m.kind in _ROSTER_CHANGING for m in messages) or (witnessed and self.roster.waiting):
            self._dirty.set()

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        # Listeners rebuild projections from the store: let them finish before it closes
        # (a failure is logged by `_log_failure`).
        await asyncio.gather(*self._listening, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), CHECK_SECONDS)
            try:
                changed = await self._look()
                if not (self._dirty.is_set() or changed):
                    continue
                self._dirty.clear()
                await self.refresh()
            except Exception:  # logged; the next message or tick retries
                log.exception("network roster: recomputing failed")


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("network roster listener failed", exc_info=task.exception())
