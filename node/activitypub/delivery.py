"""Deliveries to the fediverse: a durable queue (ap_deliveries), one background task.

Rows are written in the same transaction as what they announce (the publishing
projection) or by the inbox (Accept, Reject), and never sent from a request: the
task wakes, sends what is due, deletes what was taken, and retries the rest with
back-off (node/federation/backoff.py, as federation's sender does) until
MAX_ATTEMPTS. An instance blocked meanwhile gets nothing: its rows are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from node.activitypub import signatures
from node.activitypub.actors import host_of
from node.activitypub.keys import ActorKey
from node.activitypub.remote import Remote, RemoteError
from node.clock import Clock
from node.federation.backoff import retry_delay_ms
from node.store.activitypub import FollowersStore, blocked_by
from node.store.activitypub_objects import Delivery, ObjectsStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # about a day and a half of retries with the 6 h cap
RETRY_MAX_MS = 6 * 3600 * 1000
BATCH = 16
# How often the task looks for what another process (a `hubnet` command) published:
# the projection runner is woken by this process's own writes only.
LOOK_S = 5


class Sender:
    def __init__(
        self,
        objects: ObjectsStore,
        followers: FollowersStore,
        remote: Remote,
        clock: Clock,
        key: ActorKey,
        key_id: Callable[[], str],
        catch_up: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._catch_up = catch_up
        self._objects = objects
        self._followers = followers
        self._remote = remote
        self._clock = clock
        self._key = key
        self._key_id = key_id
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Deliveries made, refused, and given up, since start (tests and /metrics read).
        self.sent = 0
        self.dropped = 0

    async def send(self, inbox: str, activity: dict[str, Any]) -> None:
        """Queue one activity for one inbox (the Accept of a Follow, say)."""
        await self._objects.enqueue(inbox, host_of(inbox), activity, self._clock())
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="activitypub-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                if self._catch_up is not None:
                    # Cheap when nothing changed (the runner compares data_version).
                    await self._catch_up()
                await self.send_due()
                due = await self._objects.next_due()
            except Exception:
                log.exception("activitypub: delivering failed; trying again shortly")
                due = None
            wait = LOOK_S if due is None else max(0.0, (due - self._clock()) / 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(wait, LOOK_S))

    async def send_due(self) -> None:
        while True:
            due = await self._objects.due(self._clock(), BATCH)
            if not due:
                return
            blocks = await self._followers.block_targets()
            await asyncio.gather(*(self._deliver(d, blocks) for d in due))

    async def _deliver(self, delivery: Delivery, blocks: set[str]) -> None:
        # A blocked instance gets nothing but the Reject of its Follow.
        if blocked_by(blocks, delivery.host, delivery.inbox) and not _rejection(delivery):
            await self._objects.delivered(delivery.id)
            self.dropped += 1
            return
        body = delivery.activity.encode()
        headers = signatures.sign(
            self._key.private(), self._key_id(), "POST", delivery.inbox, body, self._clock() / 1000
        )
        try:
            status = await self._remote.post(delivery.inbox, body, headers)
        except RemoteError as exc:
            log.info("activitypub: %s", exc)
            status = None
        if status is not None and (200 <= status < 300 or status in (400, 403, 404, 410)):
            # Taken, or refused for good (a retry would be refused the same way).
            await self._objects.delivered(delivery.id)
            if 200 <= status < 300:
                self.sent += 1
            else:
                self.dropped += 1
            return
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._objects.delivered(delivery.id)
            self.dropped += 1
            return
        later = self._clock() + retry_delay_ms(attempts, RETRY_MAX_MS)
        await self._objects.failed(delivery.id, later)


def _rejection(delivery: Delivery) -> bool:
    try:
        return bool(json.loads(delivery.activity).get("type") == "Reject")
    except (ValueError, AttributeError):
        return False
