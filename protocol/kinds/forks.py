"""Forks made known and forks resolved (PROTOCOL.md §5.28-§5.29, §6.1-§6.2).

A fork (two messages an origin signed at one seq) is proof against that origin, and
every node should hold it, not only the first to see it. `fork.proof` is how a node
tells the network it holds such proof; the two messages themselves are fetched from
`GET /federation/v1/forks/{origin}` and checked by each receiver (§9.7): a proof is
small, the messages may each be 64 KiB, and nobody takes the reporter's word.

`fork.resolve` is the forked origin's own way back, signed like `key.revoke` by its
committed successor key: it names the message it keeps at the forked seq.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from protocol.schema import Bin, MessageRef, NodeIdText, Range, Sha256, Text

Seq = Annotated[int, Range(1, 2**53)]


def _two_messages(body: ForkProof) -> str | None:
    return None if body.first != body.second else "first and second must be two messages"


@dataclass(frozen=True, slots=True)
class ForkProof:
    """`fork.proof`: the origin holds two messages `hub` signed at `seq`.

    `first` is the one in the reporter's log, `second` the one it keeps as evidence.
    """

    hub: NodeIdText
    seq: Seq
    first: MessageRef
    second: MessageRef

    __checks__: ClassVar = (_two_messages,)


@dataclass(frozen=True, slots=True)
class ForkResolve:
    """`fork.resolve`: a forked origin continues the branch through `keep` at `seq`.

    Signed by `new_key`, the successor the origin committed to (§7.1), as a
    `key.revoke` is: only the origin's offline key can say which history is its own.
    """

    seq: Seq
    keep: MessageRef
    new_key: Annotated[bytes, Bin(32)]
    next_key_digest: Sha256 | None = None
    reason: Annotated[str, Text(500)] | None = None
