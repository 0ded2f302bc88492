"""Fork rules as pure checks: what proves a fork (PROTOCOL.md §6.1), and what a
resolution (§6.2) means for the messages that come after it.

A receiver of a `fork.proof` fetches the two messages and checks them itself: both
well-formed, from one origin at one seq, with different ids. Whether the origin's
key in force at that seq signed both is the key rules' question (protocol/keys.py),
asked with the key state the receiver holds for that seq.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.envelope import Message, MessageId
from protocol.errors import RemoteProtocolError
from protocol.kinds.forks import ForkProof


class NotAFork(RemoteProtocolError):
    """Two messages offered as a fork that are not one: other origins, seqs, or the same id."""


def check_fork_pair(first: Message, second: Message) -> None:
    """Raise NotAFork unless `first` and `second` are two messages at one place of one log."""
    if first.origin != second.origin:
        raise NotAFork("the two messages are from different origins")
    if first.seq != second.seq:
        raise NotAFork(f"the two messages are at seqs {first.seq} and {second.seq}")
    if first.id == second.id:
        raise NotAFork("the two messages are the same message")


@dataclass(frozen=True, slots=True)
class Resolution:
    """From `from_seq` the origin's log goes through `keep`; the fork.resolve is at `until_seq`."""

    from_seq: int
    keep: MessageId
    until_seq: int

    def abandons(self, message: Message) -> bool:
        """At the forked seq the log continues only through `keep` (PROTOCOL.md §6.2)."""
        return message.seq == self.from_seq and message.id != self.keep

    def covers(self, seq: int) -> bool:
        """Whether a second message at `seq` belongs to the fork already resolved.

        Up to the fork.resolve's own seq, the key in force is the one both branches
        used; from the seq after it, the successor's, which the abandoned branch
        never had, so its messages there are refused, never evidence.
        """
        return self.from_seq <= seq <= self.until_seq


def reporters_of(hub: str, proofs: list[Message], resolved: list[tuple[int, int]]) -> set[str]:
    """Origins of `fork.proof` messages about `hub` that no resolution answers (§6.2).

    `resolved` holds (from_seq, until_seq) of each fork `hub` resolved: a proof at
    a seq in one of them is of a fork the hub has since resolved.
    """
    return {
        m.origin
        for m in proofs
        if isinstance(m.body, ForkProof)
        and m.body.hub == hub
        and not any(lo <= m.body.seq <= hi for lo, hi in resolved)
    }
