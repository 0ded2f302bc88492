"""What makes two messages proof of a fork (PROTOCOL.md §6.1), as pure checks.

A receiver of a `fork.proof` fetches the two messages and checks them itself: both
well-formed, from one origin at one seq, with different ids. Whether the origin's
key in force at that seq signed both is the key rules' question (protocol/keys.py),
asked with the key state the receiver holds for that seq.
"""

from __future__ import annotations

from protocol.envelope import Message
from protocol.errors import RemoteProtocolError


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
