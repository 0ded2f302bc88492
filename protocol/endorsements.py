"""Which charter endorsements stand (PROTOCOL.md §5.35, §5.36): one pure rule, so every
hub's node shows the same list from the same messages, in whatever order they came."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from protocol.envelope import Message
from protocol.kinds.hub import CharterEndorse, CharterEndorseWithdraw


@dataclass(frozen=True, slots=True)
class Standing:
    """An endorsement, and its withdrawal if its own origin withdrew it."""

    message: Message
    withdrawal: Message | None

    @property
    def body(self) -> CharterEndorse:
        body: CharterEndorse = self.message.body
        return body


def endorsements(
    messages: Iterable[Message], network: bytes, shows: Callable[[str], bool]
) -> list[Standing]:
    """Each endorsement of `network`'s charter by an origin `shows` admits, with its
    withdrawal (only its own origin's counts; the earliest is kept), oldest first."""
    held = list(messages)
    withdrawals: dict[tuple[str, bytes], Message] = {}
    for m in sorted(held, key=lambda m: (m.created_at, m.id)):
        if isinstance(m.body, CharterEndorseWithdraw):
            withdrawals.setdefault((m.origin, bytes(m.body.endorsement)), m)
    found = [
        Standing(m, withdrawals.get((m.origin, m.id)))
        for m in held
        if isinstance(m.body, CharterEndorse) and m.body.network == network and shows(m.origin)
    ]
    return sorted(found, key=lambda s: (s.message.created_at, s.message.id))
