"""Speakers on offer and the shared directory of local services.

Neither carries anything about a person: a speaker offer says only that the hub
can put an organiser in touch with someone who speaks on these topics, and a
directory entry describes a public service by its own public contact details.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from protocol.schema import Items, MessageRef, NodeIdText, Text, Timestamp, Url

Topic = Annotated[str, Text(100)]
Zone = Annotated[str, Text(64, 1, r"[A-Za-z0-9_+\-/]+")]  # an IANA time zone name
RequestText = Annotated[str, Text(2000)]


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


@dataclass(frozen=True, slots=True)
class SpeakerRequest:
    """`speaker.request`: a hub asks the hub that offered a speaker to pass a request on.

    Nothing says who asked: the asker's name and contact stay on the asking hub (the
    origin), whose organisers arrange contact once the speaker has answered.
    """

    to: NodeIdText  # the offer's origin hub, the only one that acts on it
    offer: MessageRef  # the `speaker.offer`
    topic: Topic
    starts: Timestamp  # when the speaker is wanted
    timezone: Zone  # the zone the time is shown in
    place: Annotated[str, Text(300)]
    message: RequestText | None = None


@dataclass(frozen=True, slots=True)
class SpeakerAnswer:
    """`speaker.answer`: the speaker's hub answers a request addressed to it."""

    to: NodeIdText  # the request's origin hub
    request: MessageRef  # the `speaker.request`
    answer: Literal["accept", "decline"]
    message: RequestText | None = None


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
