"""Shared test helpers: a clock the test moves, and message chains from fixed keys."""

from __future__ import annotations

from typing import Any

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
