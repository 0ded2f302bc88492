"""Speakers on offer and the shared directory of local services.

Neither carries anything about a person: a speaker offer says only that the hub
can put an organiser in touch with someone who speaks on these topics, and a
directory entry describes a public service by its own public contact details.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from protocol.schema import Items, MessageRef, Text, Url

Topic = Annotated[str, Text(100)]


@dataclass(frozen=True, slots=True)
class SpeakerOffer:
    """`speaker.offer`: a speaker on these topics is available; contact the hub."""

    topics: Annotated[tuple[Topic, ...], Items(20, 1)]
    area: Annotated[str, Text(200)] | None = None  # where they can travel to
    note: Annotated[str, Text(1000)] | None = None  # e.g. "evenings only", no names


@dataclass(frozen=True, slots=True)
class SpeakerWithdraw:
    """`speaker.withdraw`: an offer this origin made is no longer open."""

    offer: MessageRef


DirectoryCategory = Literal[
    "food", "advice", "housing", "health", "legal", "money", "work", "family", "other"
]


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """`directory.entry`: a local service (food bank, advice centre, housing help).

    An entry with `replaces` is a new version of the origin's earlier entry.
    """

    name: Annotated[str, Text(200)]
    category: DirectoryCategory
    area: Annotated[str, Text(200)]
    hours: Annotated[str, Text(500)]
    contact: Annotated[str, Text(300)]  # the service's public phone, email or address
    description: Annotated[str, Text(4000)] | None = None
    url: Url | None = None
    replaces: MessageRef | None = None


@dataclass(frozen=True, slots=True)
class DirectoryWithdraw:
    """`directory.withdraw`: an entry this origin shared is gone (the service closed)."""

    entry: MessageRef
