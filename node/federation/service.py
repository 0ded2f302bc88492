"""Federation at run time: a sender and a puller per peer, kept in step with the peers table.

Push gives speed: each stored message is queued per peer in the same transaction
(node/store/messages.py) and a sender per peer delivers the queue in batches,
backing off while the peer fails. Pull guarantees convergence: at start, when a
peer comes back, and every `pull_interval`, the puller compares heads with the
peer and fetches what is missing, page by page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from crypto.nodeid import NodeId
from node.federation import recovery
from node.federation.backoff import retry_delay_ms
from node.federation.client import (
    FederationClient,
    PeerError,
    PeerRateLimited,
    PeerRefused,
    PeerUnreachable,
)
from node.federation.files import FileFetcher, wait_for_wake
from node.federation.forks import ForkSharing
from node.federation.guards import REPLAY_WINDOW_MS, PushBudget, RateLimiter, ReplayGuard
from node.federation.local import Local
from node.outbound import Outbound
from node.store.heads import HeadsStore
from node.store.outcomes import Status
from node.store.peers import Peer, PeerStore
from protocol import federation as wire
from protocol.envelope import Message
from protocol.sync import PullRequest, plan_pull

log = logging.getLogger(__name__)

# How often a link re-reads the peers table and outbox, to notice changes made by
# CLI commands in another process (blocks, new messages) without a restart.
POLL_SECONDS = 2.0
# Origins whose logs one pull fetches concurrently from a peer.
PULL_ORIGINS_AT_ONCE = 4
# Peering requests with a wrong invite a minute from a signed sender that is not a
# peer, and its burst (non-peers may ask to peer and nothing else; a valid invite
# is never refused for rate)…
NON_PEER_RATE = 60
NON_PEER_BURST = 30
# …and for all of them together, since a flooder can make new node ids at will.
NON_PEERS_RATE = 600
NON_PEERS_BURST = 120
# A peer that answers `not-peer` right after peering has not yet recorded us (its
# `hubnet peer add` is still waiting for our answer): ask again this soon, this often.
NOT_YET_PEER_SECONDS = 3.0
NOT_YET_PEER_TRIES = 10


class _Link:
    """One peer's sender and puller tasks, and the events that wake them."""

    def __init__(self) -> None:
        self.send_wake = asyncio.Event()
        self.pull_wake = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.not_peer_tries = 0  # quick retries made after `not-peer` answers


class Federation:
    def __init__(self, node: Local) -> None:
        self.node = node
        self.peers = PeerStore(node.db, node.clock)
        self.replay = ReplayGuard(node.clock, window_ms=REPLAY_WINDOW_MS)
        self.limiter = RateLimiter(node.clock, NON_PEER_RATE, NON_PEER_BURST)
        self.shared_limiter = RateLimiter(node.clock, NON_PEERS_RATE, NON_PEERS_BURST)
        self.budget = PushBudget(
            node.clock,
            node.config.peer_messages_per_minute,
            node.config.peer_bytes_per_minute,
            largest_push=(wire.MAX_PUSH_MESSAGES, wire.MAX_BODY_BYTES),
        )
        self.heads = HeadsStore(node.db)
        # Origins asked for per /heads page when pulling (PROTOCOL.md §9.3).
        self.heads_page_size = wire.MAX_HEADS_PAGE
        self._links: dict[NodeId, _Link] = {}
        self._changed = asyncio.Event()
        self._outbound: Outbound | None = None
        self._client: FederationClient | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self.files = FileFetcher(self)
        self._fetcher: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        # Observers for metrics: (peer, seconds, delivered?) per push attempt, and
        # (peer, messages it held that we lacked) per pull.
        self.on_push: list[Callable[[NodeId, float, bool], None]] = []
        self.on_pull: list[Callable[[NodeId, int], None]] = []
        self.forks = ForkSharing(self)

    @property
    def client(self) -> FederationClient:
        assert self._client is not None, "Federation.start() was not called"
        return self._client

    async def connect(self) -> None:
        """The signed HTTP client alone, for one-off pulls (`hubnet catch-up`)."""
        config = self.node.config
        self._outbound = Outbound(config.onion_proxy, config.onion_proxy_all)
        self._client = FederationClient(
            self._outbound,
            self.node.key,
            self.node.node_id,
            self.node.clock,
            timeout=self.node.config.request_timeout,
        )

    async def start(self) -> None:
        await self.connect()
        self.node.messages.on_stored.append(self._on_stored)
        self.node.membership.listeners.append(self._members_changed)
        self.forks.start()
        self._supervisor = asyncio.create_task(self._supervise(), name="federation-supervisor")
        self._fetcher = asyncio.create_task(self.files.run(), name="resource-fetcher")
        self._recovery = asyncio.create_task(recovery.run(self), name="recovery")

    async def stop(self) -> None:
        tasks = [t for link in self._links.values() for t in link.tasks]
        tasks += [t for t in (self._supervisor, self._fetcher, self._recovery) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._links.clear()
        await self.forks.stop()
        if self._on_stored in self.node.messages.on_stored:
            self.node.messages.on_stored.remove(self._on_stored)
        if self._members_changed in self.node.membership.listeners:
            self.node.membership.listeners.remove(self._members_changed)
        if self._outbound:
            await self._outbound.close()

    def peers_changed(self) -> None:
        """Re-read the peers table now (after peering, blocking, unblocking)."""
        self._changed.set()

    def _on_stored(self, messages: list[Message]) -> None:
        for link in self._links.values():
            link.send_wake.set()
        if any(m.kind == "resource" for m in messages):
            self.files.wake.set()

    async def _members_changed(self, before: frozenset[NodeId], after: frozenset[NodeId]) -> None:
        # A hub just admitted had its messages refused until now (PROTOCOL.md §14.5):
        # pull from every peer at once rather than at the next routine comparison.
        if after - before:
            for link in self._links.values():
                link.pull_wake.set()

    # -- supervision -------------------------------------------------------------------

    async def _supervise(self) -> None:
        while True:
            try:
                await self._sync_links()
            except Exception:  # a failed pass must not end federation; log and go on
                log.exception("federation: could not refresh peers")
            await wait_for_wake(self._changed, POLL_SECONDS)

    async def _sync_links(self) -> None:
        wanted = {p.node_id for p in await self.peers.all() if not p.blocked}
        for node_id in list(self._links):
            if node_id not in wanted:
                link = self._links.pop(node_id)
                for task in link.tasks:
                    task.cancel()
                await asyncio.gather(*link.tasks, return_exceptions=True)
        for node_id in wanted - set(self._links):
            link = _Link()
            link.tasks = [
                self._spawn(self._send_loop(node_id, link), f"send-{node_id[:8]}"),
                self._spawn(self._pull_loop(node_id, link), f"pull-{node_id[:8]}"),
            ]
            self._links[node_id] = link

    @staticmethod
    def _spawn(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        return asyncio.create_task(coro, name=name)

    # -- push --------------------------------------------------------------------

    async def _send_loop(self, node_id: NodeId, link: _Link) -> None:
        while True:
            try:
                wait = await self._send_once(node_id, link)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("federation: sending to %s failed unexpectedly", node_id)
                wait = POLL_SECONDS
            if wait is None:
                return
            if wait > 0:
                await wait_for_wake(link.send_wake, wait)

    async def _send_once(self, node_id: NodeId, link: _Link) -> float | None:
        """Deliver one batch; returns seconds to wait before the next, None to stop."""
        peer = await self.peers.get(node_id)
        if peer is None or peer.blocked:
            return None
        now = self.node.clock()
        if peer.next_attempt > now:
            return (peer.next_attempt - now) / 1000
        batch = await self.peers.outbox_batch(node_id, self.node.config.push_batch)
        if not batch:
            return POLL_SECONDS
        started = time.perf_counter()
        try:
            results = await self.client.push(peer.url, [envelope for _, envelope in batch])
        except PeerError as exc:
            for observe in self.on_push:
                observe(node_id, time.perf_counter() - started, False)
            await self._failed(peer, exc)
            return 0
        for observe in self.on_push:
            observe(node_id, time.perf_counter() - started, True)
        refused = [r.reason or "" for r in results if r.status == "refused"]
        if refused:
            # Re-sending will not change the peer's mind; its reasons go to the log. A hub
            # not yet admitted there is expected: the peer pulls them once it is.
            waiting = all(r.startswith("not-member:") for r in refused)
            log.log(
                logging.INFO if waiting else logging.WARNING,
                "%s refused %d messages, e.g. %s",
                node_id,
                len(refused),
                refused[0],
            )
        await self.peers.delivered(node_id, [seq for seq, _ in batch])
        if peer.failures:
            log.info("federation: %s is reachable again", node_id)
            link.pull_wake.set()  # catch up on what it wrote while apart
        return 0

    async def _failed(self, peer: Peer, exc: PeerError) -> None:
        failures = peer.failures + 1
        delay = retry_delay_ms(failures, self.node.config.retry_max * 1000)
        if isinstance(exc, PeerRateLimited) and exc.retry_after is not None:
            # Over its budget for us: its Retry-After says when the batch will fit.
            delay = max(delay, exc.retry_after * 1000)
        level = logging.INFO if isinstance(exc, PeerUnreachable) else logging.WARNING
        log.log(
            level,
            "federation: push to %s failed (%s); retry in %.1f s",
            peer.node_id,
            exc,
            delay / 1000,
        )
        await self.peers.failed(peer.node_id, str(exc), self.node.clock() + delay)

    # -- pull --------------------------------------------------------------------

    async def _pull_loop(self, node_id: NodeId, link: _Link) -> None:
        while True:
            peer = await self.peers.get(node_id)
            if peer is None or peer.blocked:
                return
            wait: float = self.node.config.pull_interval
            try:
                fetched = await self.pull_from(peer)
                link.not_peer_tries = 0
                if fetched:
                    log.info("federation: pulled %d messages from %s", fetched, node_id)
            except asyncio.CancelledError:
                raise
            except PeerRefused as exc:
                log.info("federation: pull from %s failed: %s", node_id, exc)
                just_peered = link.not_peer_tries < NOT_YET_PEER_TRIES
                if exc.reason.startswith("not-peer:") and just_peered:
                    # A hub that just accepted our invite records us as its peer only
                    # once our answer reaches it: ask again soon, not a pull_interval on.
                    link.not_peer_tries += 1
                    wait = min(wait, NOT_YET_PEER_SECONDS)
            except PeerError as exc:
                log.info("federation: pull from %s failed: %s", node_id, exc)
            except Exception:
                log.exception("federation: pull from %s failed unexpectedly", node_id)
            await wait_for_wake(link.pull_wake, wait)

    async def _pull_origin(self, peer: Peer, origin: str, after: int, until: int) -> int:
        """Fetch one origin's log page by page, fetching the next page while the
        current one is checked and stored, so the network and the CPU overlap."""
        messages = self.node.messages
        stored = 0
        fetch = asyncio.ensure_future(self.client.log(peer.url, origin, after))
        try:
            while True:
                page, more = await fetch
                if not page:
                    return stored
                last_seq = after + len(page)  # a log page holds consecutive seqs
                if more and last_seq < until:
                    fetch = asyncio.ensure_future(self.client.log(peer.url, origin, last_seq))
                report = await messages.ingest(page, source=peer.node_id)
                stored += report.count(Status.STORED) + report.released
                head = await messages.head(origin)
                if head is None or head.seq <= after:
                    # No progress (refused, or held behind a gap): try next round.
                    return stored
                if head.seq != last_seq or not more or last_seq >= until:
                    return stored
                after = last_seq
        finally:
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, PeerError):
                    await fetch

    async def _pull_plan(self, peer: Peer, plan: list[PullRequest]) -> int:
        """Pull the origins of `plan`, PULL_ORIGINS_AT_ONCE at a time.

        One at a time, a catch-up waited on each origin's round trip in turn, with the
        peer, the verify workers and the store each idle most of the time. Origins'
        logs are independent (each is checked and linked on its own), so the order
        among them does not matter; within one origin pages still go in order. The
        first failure stops the others and is raised as it was.
        """
        requests = iter(plan)

        async def worker() -> int:
            stored = 0
            for request in requests:  # shared: each request is taken by one worker
                stored += await self._pull_origin(
                    peer, request.origin, request.after_seq, request.until_seq
                )
            return stored

        workers = [
            asyncio.ensure_future(worker()) for _ in range(min(PULL_ORIGINS_AT_ONCE, len(plan)))
        ]
        try:
            return sum(await asyncio.gather(*workers))
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def pull_own_log(self, peer: Peer, after: int, until: int) -> int:
        """Fetch this node's own messages from `peer` (recovery after a restore)."""
        return await self._pull_origin(peer, self.node.node_id, after, until)

    async def pull_from(self, peer: Peer) -> int:
        """Fetch everything `peer` holds that we lack; returns how many were stored.

        PROTOCOL.md §9.3: the peer's heads come a page at a time, and each page is
        planned and pulled before the next is asked for, so memory holds one page
        of heads whatever the number of origins.
        """
        skip = set(await self.peers.blocked_origins()) | set(
            await self.node.messages.forked_origins()
        )
        stored = 0
        peer_head = None  # the peer's own head, for a resolution of its own fork
        async with contextlib.aclosing(
            self.client.head_pages(peer.url, self.heads_page_size)
        ) as pages:
            async for theirs in pages:
                peer_head = theirs.get(peer.node_id, peer_head)
                ours = await self.heads.heads_of(theirs)
                plan = plan_pull(
                    {o: h.seq for o, h in ours.items()},
                    {o: h.seq for o, h in theirs.items()},
                    skip,
                )
                for observe in self.on_pull:
                    observe(peer.node_id, sum(r.until_seq - r.after_seq for r in plan))
                stored += await self._pull_plan(peer, plan)
        if peer.node_id in skip and peer_head is not None:
            stored += await self.forks.pull_resolution(peer, peer_head)
        await self.peers.contact(peer.node_id)
        return stored


__all__ = ["Federation", "PeerRefused", "PeerUnreachable"]
