"""This hub's witnesses: signed notes of how far it held each member's log (§14.4).

A decision (a second, a vote, a commitment, a reveal, a sponsorship, a leave)
counts only once a majority of the network's hubs have witnessed it before its
deadline. So whenever such a message from a member (or this hub) is stored, this
node writes a `network.witness` a moment later, citing the heads of the members
whose decisions arrived since its last witness. Witnesses themselves set off
nothing, and a log that moved only by its hub's witnesses is not cited: under the
earlier rule (cite every head that moved) each witness cited every member, because
every member's last witness had moved its head, and a network of 1,000 hubs stored
82 GB of witnesses per hub per day; citing only decisions' logs, 0.5 GB
(docs/ARCHITECTURE.md, "A thousand hubs"). The first witness after start cites
every head that moved, so a decision that arrived just before a crash or restart
is still witnessed.
"""

from __future__ import annotations

import asyncio
import logging

from crypto.nodeid import NodeId
from node.network.background import Loop
from node.network.membership import Membership
from node.store.messages import MessageStore
from protocol.envelope import Message
from protocol.kinds.network import MAX_WITNESS_HEADS, NetworkWitness
from protocol.log import Head

log = logging.getLogger(__name__)

# The kinds whose time matters: a vote or second counts only if witnessed before the
# close, a sponsorship or leave takes effect when witnessed.
DECISION_KINDS = frozenset(
    {
        "motion",
        "motion.second",
        "delegate.mandate",
        "delegate.recall",
        "delegate.vote",
        "delegate.reveal",
        "network.sponsor",
        "network.leave",
    }
)


class Witnessing:
    def __init__(self, messages: MessageStore, membership: Membership, delay_s: float) -> None:
        self._messages = messages
        self._membership = membership
        self._delay = delay_s
        self._cited: dict[NodeId, Head] = {}  # what this node's witnesses have cited so far
        # The logs whose decisions arrived since the last witness; None: every log,
        # until the first witness since start.
        self._decided: set[NodeId] | None = None
        self._wanted = asyncio.Event()
        self._loop = Loop("witnessing", self._run)

    def on_stored(self, messages: list[Message]) -> None:
        """MessageStore callback: witness soon after a member's decision arrives."""
        members = self._membership.members
        own = self._messages.node_id
        if self._membership.network is None:
            return
        decided = {
            m.origin
            for m in messages
            if m.kind in DECISION_KINDS and (m.origin in members or m.origin == own)
        }
        if decided:
            if self._decided is not None:
                self._decided |= decided
            self._wanted.set()

    def own_log_written(self, kinds: frozenset[str]) -> None:
        """Another process wrote to this hub's log (a `hubnet network sponsor`, say):
        witness soon if it wrote a decision, as for one stored here."""
        if self._membership.network is not None and kinds & DECISION_KINDS:
            if self._decided is not None:
                self._decided.add(self._messages.node_id)
            self._wanted.set()

    async def start(self) -> None:
        self._membership.on_own_log_written.append(self.own_log_written)
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            await self._wanted.wait()
            # Gather what arrives together into one witness.
            await asyncio.sleep(self._delay)
            self._wanted.clear()
            try:
                await self.witness()
            except Exception:  # logged; the next decision to arrive tries again
                log.exception("witnessing failed")

    async def witness(self) -> list[Message]:
        """Write witnesses citing the head of each member whose decisions arrived since
        the last ones (of every member whose head moved, the first time since start)."""
        network = self._membership.network
        if network is None:
            return []
        decided, self._decided = self._decided, set()
        try:
            heads = await self._messages.heads()
            cite = {
                origin: head
                for origin, head in heads.items()
                if (origin in self._membership.members or origin == self._messages.node_id)
                and (decided is None or origin in decided)
                and self._cited.get(origin) != head
            }
            written = []
            origins = sorted(cite)
            for start in range(0, len(origins), MAX_WITNESS_HEADS):
                chunk = origins[start : start + MAX_WITNESS_HEADS]
                body = NetworkWitness(
                    network=network,
                    origins=tuple(chunk),
                    seqs=tuple(cite[o].seq for o in chunk),
                    ids=tuple(cite[o].id for o in chunk),
                )
                written.append(await self._messages.append("network.witness", body))
                self._cited.update((o, cite[o]) for o in chunk)
            return written
        except BaseException:
            # Not witnessed yet: the next witness cites them (twice is harmless).
            self._decided = None if decided is None else decided | (self._decided or set())
            raise
