"""Fetching the files resource messages name, from any peer that has them.

Each file has its own failure count and back-off (node/resources.py), and a pass
goes through every file due when it began, a few at a time, so files no peer can
give (a stranger can name any hash) never starve the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from node.federation.backoff import retry_delay_ms
from node.federation.client import PeerError
from node.resources import FileMismatch
from node.store.peers import Peer

if TYPE_CHECKING:
    from node.federation.service import Federation

log = logging.getLogger(__name__)

# Resource files fetched at once, and read from the table per round of a pass.
FILES_AT_ONCE = 4
FILES_PER_ROUND = 20


async def wait_for_wake(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=max(seconds, 0))
    event.clear()


class FileFetcher:
    """The federation's file fetcher: woken when resource messages are stored."""

    def __init__(self, federation: Federation) -> None:
        self._federation = federation
        self.wake = asyncio.Event()

    async def run(self) -> None:
        self._federation.node.resources.remove_leftovers()
        while True:
            wait: float = self._federation.node.config.pull_interval
            try:
                await self.fetch_missing_files()
                due = await self._federation.node.resources.next_due_at()
                if due is not None:
                    wait = min(wait, max((due - self._federation.node.clock()) / 1000, 0.1))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("federation: fetching resource files failed unexpectedly")
            await wait_for_wake(self.wake, wait)

    async def fetch_missing_files(self) -> int:
        """Fetch the files named by resource messages whose attempt is due, from any
        peer that has them; returns how many were stored.

        Each file has its own failure count and back-off (node/resources.py), and a
        pass goes through every file due when it began, a few at a time, so files
        no peer can give (a stranger can name any hash) never starve the others.
        """
        peers = [p for p in await self._federation.peers.all() if not p.blocked]
        if not peers:
            return 0
        # Peers heard from most recently are the likeliest to answer.
        peers.sort(key=lambda p: p.last_contact or 0, reverse=True)
        began = self._federation.node.clock()
        at_once = asyncio.Semaphore(FILES_AT_ONCE)

        async def fetch(digest: bytes, size: int, failures: int) -> bool:
            async with at_once:
                return await self._fetch_file(peers, digest, size, failures)

        fetched = 0
        # Files tried in this pass are due again only after `began`: the pass ends.
        while due := await self._federation.node.resources.due(began, FILES_PER_ROUND):
            results = await asyncio.gather(*(fetch(*row) for row in due))
            fetched += sum(results)
        return fetched

    async def _fetch_file(self, peers: list[Peer], digest: bytes, size: int, failures: int) -> bool:
        files = self._federation.node.resources
        for peer in peers:
            incoming = files.incoming(digest, size)
            try:
                await self._federation.client.resource(peer.url, digest, size, incoming.write)
                await asyncio.to_thread(incoming.keep)
            except PeerError as exc:
                log.debug("file %s not from %s: %s", digest.hex(), peer.node_id, exc)
                continue
            except FileMismatch as exc:
                log.warning("%s sent a file that is not %s: %s", peer.node_id, digest.hex(), exc)
                continue
            finally:
                incoming.discard()
            await files.stored(digest)
            return True
        delay = retry_delay_ms(failures + 1, self._federation.node.config.retry_max * 1000)
        await files.fetch_failed(digest, delay)
        log.debug("file %s: no peer gave it; next try in %.1f s", digest.hex(), delay / 1000)
        return False
