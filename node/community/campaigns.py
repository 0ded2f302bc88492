"""Campaigns: started and updated by this hub, joined by others (PROTOCOL.md §5.6–5.8)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.community.hubs import hub_names
from node.errors import NodeError, NotAllowed, NotFound
from node.projections.runner import CaughtUp
from node.store.campaigns import CampaignsStore, endorsed_txn, origin_txn
from node.store.database import Database
from node.store.messages import MessageStore
from node.wording import Term
from protocol.errors import ProtocolError
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignStatus, CampaignUpdate
from protocol.schema import check_body

STATUSES: tuple[CampaignStatus, ...] = ("planned", "active", "won", "ended")


class CampaignError(NodeError):
    """A campaign request this hub refuses, with the reason to show."""


class CampaignNotFound(CampaignError, NotFound):
    """No campaign with that id here."""


class CampaignNotAllowed(CampaignError, NotAllowed):
    """A member whose roles do not grant what they asked to do (permissions.require)."""


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    id: bytes
    origin: NodeId
    hub: str
    title: str
    summary: str
    status: str
    created_at: int
    joined: int  # how many other hubs have joined


@dataclass(frozen=True, slots=True)
class Joined:
    origin: NodeId
    hub: str
    statement: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Update:
    text: str
    status: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Link:
    id: bytes
    title: str | None  # None while the linked message is not held


@dataclass(frozen=True, slots=True)
class CampaignPage:
    campaign: CampaignSummary
    principles: list[str]
    goals: list[str]
    updates: list[Update]
    joined: list[Joined]
    events: list[Link]
    resources: list[Link]


def parse_ref(text: str) -> bytes | None:
    """A message id from its 64 hex digits, or None."""
    if len(text) != 64:
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


class Campaigns:
    def __init__(
        self,
        db: Database,
        store: CampaignsStore,
        messages: MessageStore,
        projections: CaughtUp,
    ) -> None:
        self._db = db  # for hub names
        self._store = store
        self._messages = messages
        self._projections = projections

    async def start(self, body: Campaign, *, by: Acting) -> bytes:
        require(by, Permission.MANAGE_CAMPAIGNS, CampaignNotAllowed)
        _check(body)
        message = await self._messages.append("campaign", body)
        await self._projections.caught_up()
        return message.id

    async def update(self, body: CampaignUpdate, *, by: Acting) -> None:
        require(by, Permission.MANAGE_CAMPAIGNS, CampaignNotAllowed)
        _check(body)
        await self._projections.caught_up()
        me = self._messages.node_id

        async def check_txn(conn: aiosqlite.Connection) -> None:
            origin = await origin_txn(conn, body.campaign)
            if origin is None:
                raise CampaignNotFound("There is no such campaign.")
            if origin != me:
                raise CampaignError("Only the hub that started a campaign can post updates to it.")

        await self._messages.append("campaign.update", body, check=check_txn)
        await self._projections.caught_up()

    async def endorse(self, body: CampaignEndorse, *, by: Acting) -> None:
        require(by, Permission.MANAGE_CAMPAIGNS, CampaignNotAllowed)
        _check(body)
        await self._projections.caught_up()
        me = self._messages.node_id

        async def check_txn(conn: aiosqlite.Connection) -> None:
            # In the endorsement's own transaction: two sent at once join once.
            origin = await origin_txn(conn, body.campaign)
            if origin is None:
                raise CampaignNotFound("There is no such campaign.")
            if origin == me:
                raise CampaignError("This hub started the campaign; other hubs join it.")
            if body.statement is None and await endorsed_txn(conn, body.campaign, me):
                raise CampaignError("This hub has already joined the campaign.")

        await self._messages.append("campaign.endorse", body, check=check_txn)
        await self._projections.caught_up()

    async def all(self) -> list[CampaignSummary]:
        await self._projections.caught_up()
        names = await hub_names(self._db)
        return [
            CampaignSummary(
                r.id,
                NodeId(r.origin),
                names.get(NodeId(r.origin), _short(r.origin)),
                r.title,
                r.summary,
                r.status,
                r.created_at,
                r.joined,
            )
            for r in await self._store.all()
        ]

    async def page(self, campaign_id: bytes) -> CampaignPage | None:
        await self._projections.caught_up()
        row = await self._store.get(campaign_id)
        if row is None:
            return None
        names = await hub_names(self._db)
        updates = [Update(t, s, at) for t, s, at in await self._store.updates(campaign_id)]
        joined = [
            Joined(NodeId(o), names.get(NodeId(o), _short(o)), s, at)
            for o, s, at in await self._store.endorsements(campaign_id, row.origin)
        ]
        links = await self._store.links(campaign_id)
        summary_row = CampaignSummary(
            campaign_id,
            NodeId(row.origin),
            names.get(NodeId(row.origin), _short(row.origin)),
            row.title,
            row.summary,
            row.status,
            row.created_at,
            len(joined),
        )
        return CampaignPage(
            summary_row,
            row.principles,
            row.goals,
            updates,
            joined,
            [Link(t, n) for k, t, n in links if k == "event"],
            [Link(t, n) for k, t, n in links if k == "resource"],
        )


def _check(body: object) -> None:
    try:
        check_body(body)
    except ProtocolError as exc:
        raise CampaignError(str(exc)) from exc


def _short(origin: str) -> str:
    """A hub not yet heard of, by no piece of its node id (web/node_words.py)."""
    return Term("a hub")
