"""Decoding and signature checks for batches, off the event loop, on every core.

libsodium releases the GIL while it verifies, so a batch split across one thread
per core verifies in parallel while the event loop keeps serving requests.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from crypto.nodeid import public_key_from_node_id
from protocol.envelope import Message, check_time, decode_envelope, parse_payload
from protocol.errors import RemoteProtocolError
from protocol.limits import DEFAULT_LIMITS, Limits

# Below this many messages a batch is checked in one piece: splitting costs more.
_MIN_CHUNK = 64


@dataclass(frozen=True, slots=True)
class Opened:
    """A well-formed message and whether it verified under its node id's own key.

    The store re-checks under the origin's key in force when a rotation changed it.
    """

    message: Message
    signed_by_id_key: bool


def open_chunk(
    wires: Sequence[bytes], now_ms: int, limits: Limits = DEFAULT_LIMITS
) -> list[Opened | RemoteProtocolError]:
    results: list[Opened | RemoteProtocolError] = []
    for wire in wires:
        try:
            payload, signature = decode_envelope(wire, limits)
            message = parse_payload(payload, signature, limits)
            check_time(message, now_ms, limits)
            ok = message.signed_by(public_key_from_node_id(message.origin))
        except RemoteProtocolError as exc:
            results.append(exc)
            continue
        results.append(Opened(message, ok))
    return results


class Verifier:
    def __init__(self, threads: int = 0, limits: Limits = DEFAULT_LIMITS) -> None:
        self.threads = threads or os.cpu_count() or 1
        self.limits = limits
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="hubnet-verify")

    async def open_many(
        self, wires: Sequence[bytes], now_ms: int
    ) -> list[Opened | RemoteProtocolError]:
        """Open every envelope in `wires`; results line up with the input."""
        loop = asyncio.get_running_loop()
        size = max(_MIN_CHUNK, -(-len(wires) // self.threads))
        chunks = [wires[i : i + size] for i in range(0, len(wires), size)]
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(self._pool, open_chunk, chunk, now_ms, self.limits)
                for chunk in chunks
            )
        )
        return [result for part in parts for result in part]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
