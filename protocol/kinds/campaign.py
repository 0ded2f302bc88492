"""Campaigns, their updates, and other hubs joining them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from protocol.schema import Items, MessageRef, Text

CampaignStatus = Literal["planned", "active", "won", "ended"]


@dataclass(frozen=True, slots=True)
class Campaign:
    """`campaign`: a hub starts a campaign."""

    title: Annotated[str, Text(200)]
    summary: Annotated[str, Text(4000)]
    status: CampaignStatus
    principles: Annotated[tuple[Annotated[str, Text(200)], ...], Items(20)] = ()
    goals: Annotated[tuple[Annotated[str, Text(500)], ...], Items(20)] = ()
    # Ids of `event` and `resource` messages the campaign links to (any origin's).
    events: Annotated[tuple[MessageRef, ...], Items(50)] = ()
    resources: Annotated[tuple[MessageRef, ...], Items(50)] = ()


@dataclass(frozen=True, slots=True)
class CampaignUpdate:
    """`campaign.update`: news on a campaign this origin started, maybe a new status."""

    campaign: MessageRef
    text: Annotated[str, Text(8000)]
    status: CampaignStatus | None = None
    # Further events and resources linked from now on (added to the campaign's lists).
    events: Annotated[tuple[MessageRef, ...], Items(50)] = ()
    resources: Annotated[tuple[MessageRef, ...], Items(50)] = ()


@dataclass(frozen=True, slots=True)
class CampaignEndorse:
    """`campaign.endorse`: another hub joins a campaign."""

    campaign: MessageRef
    statement: Annotated[str, Text(2000)] | None = None
