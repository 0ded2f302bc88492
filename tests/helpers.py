"""Shared test helpers: a clock the test moves, and message chains from fixed keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from crypto.ed25519 import SigningKey
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.hub import Announcement

T0 = 1_763_000_000_000  # a fixed instant, ms


class ManualClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now_ms: int = T0) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


def key_from(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


def chain(
    key: SigningKey, count: int, start: int = 1, prev: MessageId | None = None, **body: Any
) -> list[Message]:
    """`count` announcements signed by `key`, linked from seq `start` after `prev`."""
    messages = []
    for seq in range(start, start + count):
        text = body.get("text", f"announcement {seq}")
        message = create_message(key, "announcement", Announcement(text=text), seq, prev, T0)
        messages.append(message)
        prev = message.id
    return messages


def wires(messages: list[Message]) -> list[bytes]:
    return [m.wire for m in messages]


def mutations(max_size: int) -> st.SearchStrategy[list[tuple[str, int, int]]]:
    """Up to `max_size` byte edits (flip a bit, insert, delete, replace) for mutate()."""
    return st.lists(
        st.tuples(
            st.sampled_from(["flip", "insert", "delete", "replace"]),
            st.integers(min_value=0),
            st.integers(0, 255),
        ),
        min_size=1,
        max_size=max_size,
    )


def mutate(data: bytes, steps: list[tuple[str, int, int]]) -> bytes:
    """`data` with the edits applied; positions wrap around the current length."""
    out = bytearray(data)
    for op, where, byte in steps:
        if op == "insert":
            out.insert(where % (len(out) + 1), byte)
            continue
        if not out:
            continue
        i = where % len(out)
        if op == "flip":
            out[i] ^= 1 << (byte % 8)
        elif op == "delete":
            del out[i]
        else:
            out[i] = byte
    return bytes(out)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


class PeakMemory:
    """How much the process's peak resident memory grew while inside the block."""

    def __enter__(self) -> PeakMemory:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        self.before = _status_kib("VmRSS") * 1024
        return self

    def __exit__(self, *exc: object) -> None:
        self.growth = _status_kib("VmHWM") * 1024 - self.before
