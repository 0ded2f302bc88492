"""A hub's public face: profile, charter adoption, announcements (and their edits and
withdrawals), resource files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from protocol.schema import Items, MessageRef, Range, Sha256, Text, Url

# Coordinates are integers in millionths of a degree: the wire has no floats.
Latitude = Annotated[int, Range(-90_000_000, 90_000_000)]
Longitude = Annotated[int, Range(-180_000_000, 180_000_000)]


@dataclass(frozen=True, slots=True)
class HubProfile:
    """`hub.profile`: how the hub presents itself; the latest one wins."""

    name: Annotated[str, Text(100)]
    url: Url
    region: Annotated[str, Text(100)] | None = None
    area: Annotated[str, Text(200)] | None = None
    description: Annotated[str, Text(4000)] | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    # Added later, optional, so older profiles stay valid (PROTOCOL.md §5.1).
    meeting_place: Annotated[str, Text(500)] | None = None
    contact: Annotated[str, Text(200)] | None = None
    # An IANA time zone name ("Europe/London"): how the hub's pages show times.
    timezone: (
        Annotated[str, Text(64, 1, r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")] | None
    ) = None

    __checks__: ClassVar = (
        lambda b: (
            None if (b.lat is None) == (b.lon is None) else "lat and lon must be given together"
        ),
    )


@dataclass(frozen=True, slots=True)
class CharterAdopt:
    """`charter.adopt`: the hub adopts a version of the network's charter."""

    version: Annotated[str, Text(50)]
    title: Annotated[str, Text(200)]
    text: Annotated[str, Text(20000)]


# What sort of organisation endorses the charter: pages group endorsements by it.
OrganisationKind = Literal["union", "campaign", "party", "community", "other"]


@dataclass(frozen=True, slots=True)
class CharterEndorse:
    """`charter.endorse`: the hub records that an organisation endorses the network's
    charter. The hub vouches for it; nothing proves the organisation said so."""

    network: Sha256  # the network whose charter is endorsed (PROTOCOL.md §14.1)
    organisation: Annotated[str, Text(200)]
    kind: OrganisationKind
    date: Annotated[str, Text(10, 10, r"[0-9]{4}-[0-9]{2}-[0-9]{2}")]  # when it endorsed
    website: Url | None = None
    statement: Annotated[str, Text(1000)] | None = None


@dataclass(frozen=True, slots=True)
class CharterEndorseWithdraw:
    """`charter.endorse.withdraw`: the hub withdraws an endorsement it recorded."""

    endorsement: MessageRef
    reason: Annotated[str, Text(1000)] | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """`announcement`: news from a hub to the network."""

    text: Annotated[str, Text(8000)]
    title: Annotated[str, Text(200)] | None = None


@dataclass(frozen=True, slots=True)
class AnnouncementUpdate:
    """`announcement.update`: the origin replaces the text (and title) of its announcement."""

    announcement: MessageRef
    text: Annotated[str, Text(8000)]
    title: Annotated[str, Text(200)] | None = None


@dataclass(frozen=True, slots=True)
class AnnouncementWithdraw:
    """`announcement.withdraw`: the origin takes one of its announcements back."""

    announcement: MessageRef


@dataclass(frozen=True, slots=True)
class Resource:
    """`resource`: a content-addressed file (fact sheet, paper, leaflet, image)."""

    hash: Sha256  # SHA-256 of the file's bytes; the file is fetched separately
    name: Annotated[str, Text(200, 1, r"[^/\\\x00-\x1f]+")]
    media_type: Annotated[str, Text(100, 3, r"[a-z0-9.+-]+/[a-z0-9.+-]+")]
    size: Annotated[int, Range(1, 50 * 1024 * 1024)]
    title: Annotated[str, Text(200)]
    description: Annotated[str, Text(4000)] | None = None
    tags: Annotated[tuple[Annotated[str, Text(50)], ...], Items(20)] = ()
