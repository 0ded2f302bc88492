"""Catching up with one's own log after a restore, before writing anything new.

PROTOCOL.md §11 "Recovery": a restored node asks every peer that is not blocked
for its heads, pulls its own log up to the highest seq any of them holds, and
only then leaves the recovering state. Until every peer has answered it keeps
trying, because a peer that is down may be the one holding the newest messages;
an organiser who knows better can end the wait with `hubnet recovery finish`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from crypto.nodeid import NodeId
from node import recovery
from node.federation.client import PeerError
from protocol.log import Head

if TYPE_CHECKING:
    from node.federation.service import Federation

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0


async def catch_up_once(federation: Federation) -> bool:
    """One pass over the peers; True when the node holds all of its own log they hold."""
    node = federation.node
    own = node.node_id
    answered = True
    for peer in await federation.peers.all():
        if peer.blocked:
            continue
        try:
            their_head = await _their_head_of(federation, peer.url, own)
        except PeerError as exc:
            log.info("recovery: %s did not answer (%s); will ask again", peer.node_id, exc)
            answered = False
            continue
        ours = await node.messages.head(own)
        our_seq = ours.seq if ours else 0
        if their_head is not None and their_head.seq > our_seq:
            await federation.pull_own_log(peer, our_seq, their_head.seq)
            ours = await node.messages.head(own)
            if (ours.seq if ours else 0) < their_head.seq:
                answered = False  # not all of it came through; next pass
    return answered


async def _their_head_of(federation: Federation, url: str, origin: NodeId) -> Head | None:
    """The peer's head of one origin: its heads pages, until past that origin (sorted)."""
    async with contextlib.aclosing(federation.client.head_pages(url)) as pages:
        async for page in pages:
            if origin in page:
                return page[origin]
            if page and next(reversed(page)) > origin:
                return None
    return None


async def run(federation: Federation) -> None:
    """Until the recovering state is cleared: catch up, then clear it."""
    db = federation.node.db
    while await recovery.is_recovering(db) is not None:
        try:
            if await catch_up_once(federation):
                await recovery.finish(db)
                head = await federation.node.messages.head(federation.node.node_id)
                log.info(
                    "recovery: caught up with this node's own log at seq %d; writing again",
                    head.seq if head else 0,
                )
                return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("recovery: catching up failed unexpectedly")
        await asyncio.sleep(RETRY_SECONDS)
