"""What the message store answers and refuses with: outcomes of placing messages,
the refusals peers are told, and the shapes callers hand to `append` and the gate."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import aiosqlite

from crypto.nodeid import NodeId
from node.errors import Unavailable
from protocol.envelope import Message, MessageId
from protocol.errors import ProtocolError, RemoteProtocolError

# A caller's own check and rows, run inside append's write transaction.
Check = Callable[[aiosqlite.Connection], Awaitable[None]]
Then = Callable[[aiosqlite.Connection, Message], Awaitable[None]]


class Status(enum.Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    HELD = "held"
    FORK = "fork"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one incoming message."""

    status: Status
    id: MessageId | None = None
    error: ProtocolError | None = None

    @property
    def reason(self) -> str | None:
        return str(self.error) if self.error else None


@dataclass(frozen=True, slots=True)
class ForkFound:
    """An origin this node has just found forked: `first` is in its log, `second` is not."""

    origin: NodeId
    seq: int
    first: MessageId
    second: MessageId


@dataclass(slots=True)
class IngestReport:
    outcomes: list[Outcome]
    released: int = 0  # held messages that linked up because of this batch
    # Wall-clock seconds spent checking the batch and writing it (for metrics).
    open_seconds: float = 0.0
    store_seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


class TooManyHeld(RemoteProtocolError):
    reason = "rate-limited"


class BlockedOrigin(RemoteProtocolError):
    reason = "blocked"


class NotMember(RemoteProtocolError):
    """A message from a hub that is not a member of this node's network (PROTOCOL.md §14.5)."""

    reason = "not-member"


class Gate(Protocol):
    """Who may have messages stored and relayed here: node/network/membership.py."""

    def admits(self, origin: NodeId, kind: str, seq: int) -> str | None: ...

    def relays(self, origin: NodeId, kind: str) -> bool: ...

    def noted(self, message: Message) -> None:
        """A message was placed in its origin's log in this transaction."""


class BadResolution(RemoteProtocolError):
    """A fork.resolve that cannot apply (PROTOCOL.md §6.2)."""


class Recovering(Unavailable):
    """This node was restored from a backup and has not caught up with its own log yet."""

    # docs/OPERATIONS.md: the node may not write its own messages just now.
    heading = "The hub cannot publish just now"


class KeyNotInForce(Unavailable):
    """The key this process signs with is no longer the node's key in force."""

    heading = "The hub cannot publish just now"


RECOVERING = "recovering"
