"""The network's assemblies: delegate mandates, motions, seconds and delegates' votes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from protocol.schema import Bin, Items, MessageRef, NodeIdText, Range, Sha256, Text, Timestamp

# "national", or "region:" followed by the region's name as hubs' profiles give it.
Body = Annotated[str, Text(110, 1, r"national|region:[^\x00-\x1f]{1,100}")]


@dataclass(frozen=True, slots=True)
class DelegateMandate:
    """`delegate.mandate`: the hub's elected delegate for a body, for a term."""

    delegate: Annotated[str, Text(100)]  # the display name the delegate chose; nothing more
    body: Body
    starts: Timestamp
    ends: Timestamp

    __checks__: ClassVar = (lambda b: None if b.ends > b.starts else "ends must be after starts",)


@dataclass(frozen=True, slots=True)
class DelegateRecall:
    """`delegate.recall`: the hub withdraws a mandate it issued."""

    mandate: MessageRef
    reason: Annotated[str, Text(1000)] | None = None


@dataclass(frozen=True, slots=True)
class Motion:
    """`motion`: tabled for a body; every rule for deciding it is fixed here."""

    body: Body
    title: Annotated[str, Text(200)]
    text: Annotated[str, Text(20000)]
    options: Annotated[tuple[Annotated[str, Text(200)], ...], Items(20, 2)]
    seconds_needed: Annotated[int, Range(0, 1000)]
    closes: Timestamp
    rule: Literal["majority", "two-thirds"]
    quorum_percent: Annotated[int, Range(0, 100)]
    sealed: bool = False
    # PROTOCOL.md §14.3: a motion may admit a hub that asked to join, or remove a member.
    admit: NodeIdText | None = None
    remove: NodeIdText | None = None

    __checks__: ClassVar = (
        lambda b: None if len(set(b.options)) == len(b.options) else "options must differ",
        lambda b: _membership_problem(b),
    )

    @property
    def changes_roster(self) -> bool:
        return self.admit is not None or self.remove is not None


def _membership_problem(b: Motion) -> str | None:
    """The rules a motion to admit or remove a hub must follow (PROTOCOL.md §14.3)."""
    if b.admit is None and b.remove is None:
        return None
    if b.admit is not None and b.remove is not None:
        return "a motion admits a hub or removes one, not both"
    if b.body != "national":
        return "only the national body admits or removes hubs"
    if b.sealed:
        return "a motion to admit or remove a hub is voted openly"
    if b.options[0] != "For":
        return "a motion to admit or remove a hub has 'For' as its first option"
    if b.remove is not None and b.rule != "two-thirds":
        return "removing a hub needs a two-thirds rule"
    return None


@dataclass(frozen=True, slots=True)
class MotionSecond:
    """`motion.second`: a hub seconds a motion."""

    motion: MessageRef


@dataclass(frozen=True, slots=True)
class DelegateVote:
    """`delegate.vote`: a hub's vote, cast by its delegate, citing the mandate.

    Open votes carry `choice`; sealed votes first carry only `commitment` (a hash of
    the choice and a secret, protocol.tally.commitment), revealed after the close
    by a `delegate.reveal`.
    """

    motion: MessageRef
    mandate: MessageRef
    choice: Annotated[str, Text(200)] | None = None
    commitment: Sha256 | None = None

    __checks__: ClassVar = (
        lambda b: (
            None
            if (b.choice is None) != (b.commitment is None)
            else "give exactly one of choice and commitment"
        ),
    )


@dataclass(frozen=True, slots=True)
class DelegateReveal:
    """`delegate.reveal`: after a sealed motion closes, the hub opens its commitment."""

    motion: MessageRef
    vote: MessageRef  # the `delegate.vote` whose commitment this opens
    choice: Annotated[str, Text(200)]
    secret: Annotated[bytes, Bin(32)]
