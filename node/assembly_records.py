"""What the assembly service hands out: a hub's seat on a body, and a motion's tally
as this node holds it (checked when stored, or audited again from the stored bytes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crypto.nodeid import NodeId
from protocol.envelope import Message, MessageId
from protocol.tally import Result


@dataclass(frozen=True, slots=True)
class Seat:
    """A hub's current delegate on a body."""

    origin: NodeId
    hub: str
    delegate: str
    mandate: MessageId
    starts: int
    ends: int


@dataclass(frozen=True, slots=True)
class Checked:
    """A motion's tally from the messages this node holds.

    Every one of them had its signature checked, under its origin's key in force at
    its seq, when it was stored (node/store/messages.py keeps no message that fails),
    so a page can say so without checking again.
    """

    motion: Message
    result: Result
    messages: dict[MessageId, Message]


@dataclass(frozen=True, slots=True)
class Audited(Checked):
    """A tally with each input's signature checked again from its stored bytes.

    For `hubnet motion verify`, which audits the store itself: a message whose bytes
    no longer verify (a damaged or altered database) is left out and flagged.
    """

    signatures: dict[MessageId, bool] = field(default_factory=dict)

    @property
    def all_signatures_check(self) -> bool:
        return all(self.signatures.values())
