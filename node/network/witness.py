"""This hub's witnesses: signed notes of how far it held each member's log (§14.4).

A decision (a second, a vote, a commitment, a reveal, a sponsorship, a leave)
counts only once a majority of the network's hubs have witnessed it before its
deadline. So whenever such a message from a member (or this hub) is stored, this
node writes a `network.witness` a moment later, citing the heads of the members
whose logs moved since its last witness. Witnesses themselves set off nothing.
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
        self._wanted = asyncio.Event()
        self._loop = Loop("witnessing", self._run)

    def on_stored(self, messages: list[Message]) -> None:
        """MessageStore callback: witness soon after a member's decision arrives."""
        members = self._membership.members
        own = self._messages.node_id
        if self._membership.network is not None and any(
            m.kind in DECISION_KINDS and (m.origin in members or m.origin == own) for m in messages
        ):
            self._wanted.set()

    def own_log_written(self, kinds: frozenset[str]) -> None:
        """Another process wrote to this hub's log (a `hubnet network sponsor`, say):
        witness soon if it wrote a decision, as for one stored here."""
        if self._membership.network is not None and kinds & DECISION_KINDS:
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
        """Write witnesses citing every member's head that moved since the last ones."""
        network = self._membership.network
        if network is None:
            return []
        heads = await self._messages.heads()
        cite = {
            origin: head
            for origin, head in heads.items()
            if (origin in self._membership.members or origin == self._messages.node_id)
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
