"""Proven forks are shared (PROTOCOL.md §6.1, §9.7).

When this node first records a fork it appends a `fork.proof` naming the origin,
the seq and the two message ids, which travels like any message of ours. A node
that receives one does not take our word for it: it fetches the two messages from
`GET /federation/v1/forks/{origin}` (from the reporter if it is a peer, else from
its other peers, which serve the proof once they have checked it) and checks them
itself (MessageStore.check_fork_proof) before it stops relaying the origin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from crypto.nodeid import NodeId
from node.errors import NodeError
from node.federation.client import PeerError
from node.store.messages import ForkFound, Status
from node.store.peers import Peer
from protocol.envelope import Message
from protocol.errors import ProtocolError
from protocol.kinds.forks import ForkProof
from protocol.log import Head

if TYPE_CHECKING:
    from node.federation.service import Federation

log = logging.getLogger(__name__)

# Peers asked for the evidence behind one proof: the reporter first, then others
# (which serve it once they have checked it). Bounds what a flood of proofs costs.
PEERS_ASKED = 3


class ForkSharing:
    def __init__(self, federation: Federation) -> None:
        self._federation = federation
        self._node = federation.node
        self._tasks: set[asyncio.Task[object]] = set()
        self._checking: set[str] = set()

    def start(self) -> None:
        self._node.messages.on_forked.append(self._on_forked)
        self._node.messages.on_stored.append(self._on_stored)

    async def stop(self) -> None:
        if self._on_forked in self._node.messages.on_forked:
            self._node.messages.on_forked.remove(self._on_forked)
        if self._on_stored in self._node.messages.on_stored:
            self._node.messages.on_stored.remove(self._on_stored)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, object], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_forked(self, found: list[ForkFound]) -> None:
        # Our own id is not announced: our peers stop relaying us whatever we say, and
        # our organisers are told on the health page and by `hubnet doctor`.
        others = [f for f in found if f.origin != self._node.node_id]
        if others:
            self._spawn(self.announce(others), "fork-proof")

    def _on_stored(self, messages: list[Message]) -> None:
        for message in messages:
            if (
                isinstance(message.body, ForkProof)
                and message.origin != self._node.node_id
                and message.body.hub not in self._checking
            ):
                self._checking.add(message.body.hub)
                self._spawn(self._check_logged(message.origin, message.body), "fork-check")

    async def _check_logged(self, reporter: NodeId, proof: ForkProof) -> None:
        try:
            await self.check(reporter, proof)
        except Exception:  # a background check must not fail silently or stop others
            log.exception("forks: checking the proof of %s failed", proof.hub)

    async def announce(self, found: list[ForkFound]) -> None:
        """Append one `fork.proof` per newly forked origin."""
        for fork in found:
            body = ForkProof(fork.origin, fork.seq, fork.first, fork.second)
            try:
                await self._node.messages.append("fork.proof", body)
            except (NodeError, ProtocolError) as exc:
                # E.g. recovering after a restore: the evidence is kept and served
                # all the same; peers learn of the fork when they meet it.
                log.warning("forks: could not announce the fork of %s: %s", fork.origin, exc)

    async def pull_resolution(self, peer: Peer, their_head: Head) -> int:
        """Fetch a forked peer's own log from its first forked seq, for a fork.resolve.

        PROTOCOL.md §6.2: the resolution puts the peer's successor key in force, and
        the peer signs its requests with that key from then on, so its pushes are
        refused here until we hold the resolution. Pull does not fetch forked
        origins; this fetches one page of the peer's own log, from the peer itself,
        and only when its head differs from the one we hold.
        """
        messages = self._node.messages
        ours = await messages.head(peer.node_id)
        evidence = await messages.fork_evidence(peer.node_id)
        if not evidence or ours == their_head:
            return 0
        after = min(m.seq for m, _ in evidence) - 1
        page, _ = await self._federation.client.log(peer.url, peer.node_id, after)
        report = await messages.ingest(page, source=peer.node_id)
        return report.count(Status.STORED) + report.released

    async def check(self, reporter: NodeId, proof: ForkProof) -> bool:
        """Fetch and check the evidence behind `proof`; True if the fork is now recorded."""
        try:
            if proof.hub in await self._node.messages.forked_origins():
                return True
            peers = [p for p in await self._federation.peers.all() if not p.blocked]
            peers.sort(key=lambda p: p.node_id != reporter)  # the reporter first
            for peer in peers[:PEERS_ASKED]:
                try:
                    pairs = await self._federation.client.forks(peer.url, proof.hub)
                except PeerError as exc:
                    log.info("forks: %s has no proof of %s: %s", peer.node_id, proof.hub, exc)
                    continue
                for first, second in pairs:
                    outcome = await self._node.messages.check_fork_proof(first, second)
                    if outcome.status is Status.FORK:
                        log.warning("forks: %s forked, proof from %s", proof.hub, peer.node_id)
                        return True
                    log.warning(
                        "forks: %s served a proof of %s that does not hold: %s",
                        peer.node_id,
                        proof.hub,
                        outcome.reason,
                    )
            return False
        finally:
            self._checking.discard(proof.hub)
