"""Who is in the network: its founding statement, joining, sponsoring, leaving, and the
witnesses that show when a message existed (PROTOCOL.md §14).

Every body here names the network it is about by id, so a hub's word about one
network can never be read as its word about another.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Annotated, ClassVar

from crypto.digest import sha256
from protocol.codec import encode
from protocol.schema import Items, NodeIdText, Range, Sha256, Text, dump

RegionName = Annotated[str, Text(100, 1, r"[^\x00-\x1f]+")]

# A witness names at most this many origins: 500 × about 100 bytes stays well under
# the 64 KiB payload limit. A node with more to cite writes several witnesses.
MAX_WITNESS_HEADS = 500


def _strictly_ascending(values: tuple[str, ...]) -> bool:
    return all(a < b for a, b in itertools.pairwise(values))


@dataclass(frozen=True, slots=True)
class NetworkFound:
    """`network.found`: the founding statement. Every founding hub publishes the same one.

    Its network id is SHA-256 of the canonical encoding of this body (`network_id`);
    founders are listed in ascending order, so one statement has one encoding.
    """

    name: Annotated[str, Text(100)]
    charter: Sha256  # SHA-256 of the charter's text (UTF-8), as every hub adopts it
    founders: Annotated[tuple[NodeIdText, ...], Items(100, 1)]
    sponsors_needed: Annotated[int, Range(1, 20)]
    regions: Annotated[tuple[RegionName, ...], Items(200)] = ()

    __checks__: ClassVar = (
        lambda b: (
            None
            if _strictly_ascending(b.founders)
            else "founders must be in ascending order, each once"
        ),
        lambda b: None if len(set(b.regions)) == len(b.regions) else "regions must differ",
    )


@functools.lru_cache(maxsize=64)
def network_id(statement: NetworkFound) -> bytes:
    """The network's id: SHA-256 of the statement's canonical encoding (PROTOCOL.md §14.1).

    Kept for the last few statements: every founder publishes the same one, and the
    roster is counted again as messages arrive, each time encoding every statement of
    up to 100 founders. Equal statements have one encoding, so one id.
    """
    return sha256(encode(dump(statement)))


@dataclass(frozen=True, slots=True)
class NetworkJoin:
    """`network.join`: a hub asks to become a member of the network."""

    network: Sha256


@dataclass(frozen=True, slots=True)
class NetworkSponsor:
    """`network.sponsor`: a member hub vouches for a hub that asked to join."""

    network: Sha256
    hub: NodeIdText


@dataclass(frozen=True, slots=True)
class NetworkLeave:
    """`network.leave`: a member hub leaves the network by its own word."""

    network: Sha256
    reason: Annotated[str, Text(1000)] | None = None


@dataclass(frozen=True, slots=True)
class NetworkWitness:
    """`network.witness`: "by the time I signed this, I held these hubs' logs this far".

    `origins[i]`'s log up to `seqs[i]`, whose message there has id `ids[i]`. A witness
    also covers its own origin's log before it. See PROTOCOL.md §14.4.
    """

    network: Sha256
    origins: Annotated[tuple[NodeIdText, ...], Items(MAX_WITNESS_HEADS, 1)]
    seqs: Annotated[tuple[Annotated[int, Range(1, 2**53)], ...], Items(MAX_WITNESS_HEADS, 1)]
    ids: Annotated[tuple[Sha256, ...], Items(MAX_WITNESS_HEADS, 1)]

    __checks__: ClassVar = (
        lambda b: (
            None
            if len(b.origins) == len(b.seqs) == len(b.ids)
            else "origins, seqs and ids must be the same length"
        ),
        lambda b: (
            None
            if _strictly_ascending(b.origins)
            else "origins must be in ascending order, each once"
        ),
    )
