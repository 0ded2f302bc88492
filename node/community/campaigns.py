"""Campaigns: started and updated by this hub, joined by others (PROTOCOL.md §5.6–5.8)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from crypto.nodeid import NodeId
from node.community.hubs import hub_names
from node.errors import NodeError, NotFound
from node.projections.runner import CaughtUp
from node.store.database import Database
from node.store.messages import MessageStore
from protocol.errors import ProtocolError
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignStatus, CampaignUpdate
from protocol.schema import check_body

STATUSES: tuple[CampaignStatus, ...] = ("planned", "active", "won", "ended")


class CampaignError(NodeError):
    """A campaign request this hub refuses, with the reason to show."""


class CampaignNotFound(CampaignError, NotFound):
    """No campaign with that id here."""


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
    def __init__(self, db: Database, messages: MessageStore, projections: CaughtUp) -> None:
        self._db = db
        self._messages = messages
        self._projections = projections

    async def start(self, body: Campaign) -> bytes:
        _check(body)
        message = await self._messages.append("campaign", body)
        await self._projections.caught_up()
        return message.id

    async def update(self, body: CampaignUpdate) -> None:
        _check(body)
        page = await self.page(body.campaign)
        if page is None:
            raise CampaignNotFound("There is no such campaign.")
        if page.campaign.origin != self._messages.node_id:
            raise CampaignError("Only the hub that started a campaign can post updates to it.")
        await self._messages.append("campaign.update", body)
        await self._projections.caught_up()

    async def endorse(self, body: CampaignEndorse) -> None:
        _check(body)
        page = await self.page(body.campaign)
        if page is None:
            raise CampaignNotFound("There is no such campaign.")
        if page.campaign.origin == self._messages.node_id:
            raise CampaignError("This hub started the campaign; other hubs join it.")
        if any(j.origin == self._messages.node_id for j in page.joined) and body.statement is None:
            raise CampaignError("This hub has already joined the campaign.")
        await self._messages.append("campaign.endorse", body)
        await self._projections.caught_up()

    async def all(self) -> list[CampaignSummary]:
        await self._projections.caught_up()
        rows = await self._db.fetchall(
            "SELECT c.id, c.origin, c.title, c.summary, c.status, c.created_at,"
            " (SELECT count(*) FROM campaign_endorsements e"
            "  WHERE e.campaign = c.id AND e.origin != c.origin)"
            " FROM campaigns c ORDER BY c.created_at DESC, c.id LIMIT 500"
        )
        names = await hub_names(self._db)
        return [
            CampaignSummary(bytes(i), NodeId(o), names.get(o, _short(o)), t, s, st, at, int(n))
            for i, o, t, s, st, at, n in rows
        ]

    async def page(self, campaign_id: bytes) -> CampaignPage | None:
        await self._projections.caught_up()
        row = await self._db.fetchone(
            "SELECT origin, title, summary, status, created_at, principles, goals"
            " FROM campaigns WHERE id = ?",
            (campaign_id,),
        )
        if row is None:
            return None
        origin, title, summary, status, created_at, principles, goals = row
        names = await hub_names(self._db)
        updates = [
            Update(t, s, at)
            for t, s, at in await self._db.fetchall(
                "SELECT text, status, created_at FROM campaign_updates WHERE campaign = ?"
                " ORDER BY seq DESC",
                (campaign_id,),
            )
        ]
        joined = [
            Joined(NodeId(o), names.get(o, _short(o)), s, at)
            for o, s, at in await self._db.fetchall(
                "SELECT origin, statement, created_at FROM campaign_endorsements"
                " WHERE campaign = ? AND origin != ? ORDER BY created_at, origin",
                (campaign_id, origin),
            )
        ]
        links = await self._db.fetchall(
            "SELECT l.kind, l.target, coalesce(s.title, b.title) FROM campaign_links l"
            " LEFT JOIN search s ON s.kind = 'event' AND l.kind = 'event'"
            "  AND s.ref = lower(hex(l.target))"
            " LEFT JOIN library b ON l.kind = 'resource' AND b.id = l.target"
            " WHERE l.campaign = ? ORDER BY l.rowid",
            (campaign_id,),
        )
        summary_row = CampaignSummary(
            campaign_id,
            NodeId(origin),
            names.get(origin, _short(origin)),
            title,
            summary,
            status,
            created_at,
            len(joined),
        )
        return CampaignPage(
            summary_row,
            json.loads(principles),
            json.loads(goals),
            updates,
            joined,
            [Link(bytes(t), n) for k, t, n in links if k == "event"],
            [Link(bytes(t), n) for k, t, n in links if k == "resource"],
        )


def _check(body: object) -> None:
    try:
        check_body(body)
    except ProtocolError as exc:
        raise CampaignError(str(exc)) from exc


def _short(origin: str) -> str:
    return f"hub {origin[:8]}…"
