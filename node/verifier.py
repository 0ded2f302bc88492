"""Decoding and signature checks for batches, off the event loop, on every core.

Parsing a payload is Python work that holds the GIL; verifying its signature is
libsodium work that does not, but measured here two threads verify only ~1.2×
faster than one, because the parsing between calls keeps them queued on the GIL
(tests/benchmarks). So a large batch is parsed in a thread, and its signatures
are checked in worker processes (node/verify_worker.py; one per core, started on
first use), which receive only (key, payload, signature) and return only
verdicts: cheap to send. The parent checks none of a large batch itself: parsing,
storage and HTTP already keep its one core busy, and when it took a share of the
signatures too it was the bottleneck, with the machine's other cores half idle
(HTTP push of 10,000 messages on 2 cores, old and new taken in turn: 4,366-6,769
messages a second with a share here, 6,229-8,521 without; docs/ARCHITECTURE.md).
A worker that fails is replaced by checking in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import msgpack

from crypto.ed25519 import verify
from crypto.nodeid import public_key_from_node_id
from protocol.envelope import Message, check_time, decode_envelope, parse_payload
from protocol.errors import RemoteProtocolError
from protocol.limits import DEFAULT_LIMITS, Limits

log = logging.getLogger(__name__)

# Below this many messages a batch is verified in a thread: a process round trip
# costs more than it saves.
PROCESS_MIN = 64


@dataclass(slots=True)
class _Worker:
    process: asyncio.subprocess.Process
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def verify(self, items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
        body = msgpack.packb(list(items), use_bin_type=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        async with self.lock:
            self.process.stdin.write(len(body).to_bytes(4, "big") + body)
            await self.process.stdin.drain()
            size = int.from_bytes(await self.process.stdout.readexactly(4), "big")
            verdicts = await self.process.stdout.readexactly(size)
        if len(verdicts) != len(items):
            raise RuntimeError("verify worker answered for the wrong number of items")
        return [v == 1 for v in verdicts]

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@dataclass(frozen=True, slots=True)
class Opened:
    """A well-formed message and whether it verified under its node id's own key.

    The store re-checks under the origin's key in force when a rotation changed it.
    """

    message: Message
    signed_by_id_key: bool


def parse_chunk(
    wires: Sequence[bytes], now_ms: int, limits: Limits = DEFAULT_LIMITS
) -> list[Message | RemoteProtocolError]:
    results: list[Message | RemoteProtocolError] = []
    for wire in wires:
        try:
            payload, signature = decode_envelope(wire, limits)
            message = parse_payload(payload, signature, limits)
            check_time(message, now_ms, limits)
        except RemoteProtocolError as exc:
            results.append(exc)
            continue
        results.append(message)
    return results


def verify_chunk(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """(public key, payload, signature) -> valid? Runs in a worker process."""
    return [verify(key, payload, signature) for key, payload, signature in items]


def open_chunk(
    wires: Sequence[bytes], now_ms: int, limits: Limits = DEFAULT_LIMITS
) -> list[Opened | RemoteProtocolError]:
    """Parse and verify in the calling thread (small batches, benchmarks)."""
    return [
        r
        if isinstance(r, RemoteProtocolError)
        else Opened(r, r.signed_by(public_key_from_node_id(r.origin)))
        for r in parse_chunk(wires, now_ms, limits)
    ]


class Verifier:
    def __init__(self, threads: int = 0, limits: Limits = DEFAULT_LIMITS) -> None:
        cores = os.cpu_count() or 1
        self.threads = threads or cores
        self.processes = self.threads if self.threads > 1 else 0
        self.limits = limits
        self._threads = ThreadPoolExecutor(self.threads, thread_name_prefix="hubnet-verify")
        self._workers: list[_Worker] = []
        self._starting = asyncio.Lock()

    async def _ensure_workers(self) -> list[_Worker]:
        async with self._starting:
            while len(self._workers) < self.processes:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "node.verify_worker",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
                self._workers.append(_Worker(process))
        return self._workers

    async def _verify(self, items: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
        """Split evenly across the workers, each checking its part in parallel."""
        loop = asyncio.get_running_loop()
        try:
            workers = await self._ensure_workers()
            size = -(-len(items) // len(workers))
            parts = await asyncio.gather(
                *(w.verify(items[i * size : (i + 1) * size]) for i, w in enumerate(workers)),
            )
            return [ok for part in parts for ok in part]
        except (OSError, RuntimeError, asyncio.IncompleteReadError) as exc:
            log.warning("signature worker failed (%s); checking in this process", exc)
            await self._stop_workers()
            return await loop.run_in_executor(self._threads, verify_chunk, items)

    async def open_many(
        self, wires: Sequence[bytes], now_ms: int
    ) -> list[Opened | RemoteProtocolError]:
        """Open every envelope in `wires`; results line up with the input."""
        loop = asyncio.get_running_loop()
        if len(wires) < PROCESS_MIN or not self.processes:
            return await loop.run_in_executor(self._threads, open_chunk, wires, now_ms, self.limits)
        parsed = await loop.run_in_executor(self._threads, parse_chunk, wires, now_ms, self.limits)
        messages = [m for m in parsed if isinstance(m, Message)]
        items = [(public_key_from_node_id(m.origin), m.payload, m.signature) for m in messages]
        verdicts = iter(await self._verify(items) if items else [])
        return [
            r if isinstance(r, RemoteProtocolError) else Opened(r, next(verdicts)) for r in parsed
        ]

    async def _stop_workers(self) -> None:
        workers, self._workers = self._workers, []
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)

    async def aclose(self) -> None:
        await self._stop_workers()
        self._threads.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Stop the threads; for a verifier whose workers never started (see aclose)."""
        assert not self._workers, "worker processes are running: use aclose()"
        self._threads.shutdown(wait=True, cancel_futures=True)
