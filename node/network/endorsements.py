"""The charter across the network: organisations that endorse the network's charter,
as hubs' organisers record them (`charter.endorse`, PROTOCOL.md §5.35), and the charter
each member hub adopted (`charter.adopt`).

An endorsement is the word of the hub that recorded it: pages always say which hub
that was (THREAT_MODEL.md, "Charter endorsements"). Only member hubs' endorsements of
this network's charter are shown, by the pure rule in protocol/endorsements.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.errors import NodeError, NotAllowed, NotFound
from node.network.membership import Membership
from node.projections.runner import CaughtUp
from node.store.database import Database
from node.store.endorsements import (
    adopted_charters,
    endorsement_messages,
    newest_charter_ids,
)
from node.store.hubs import hub_profiles
from node.store.messages import MessageStore
from protocol.endorsements import Standing, endorsements
from protocol.envelope import Message
from protocol.errors import ProtocolError
from protocol.kinds.hub import CharterAdopt, CharterEndorse, CharterEndorseWithdraw
from protocol.schema import check_body

KINDS_OF_ORGANISATION = {
    "union": "Unions",
    "campaign": "Campaigns",
    "party": "Parties",
    "community": "Community groups",
    "other": "Other organisations",
}


# The same, one at a time, for the form's choice.
KIND_LABELS = {
    "union": "A union",
    "campaign": "A campaign",
    "party": "A party",
    "community": "A community group",
    "other": "Another organisation",
}


class EndorsementError(NodeError):
    """An endorsement that cannot be recorded; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EndorsementNotFound(EndorsementError, NotFound):
    """No endorsement shown here has that id."""


class EndorsementNotAllowed(EndorsementError, NotAllowed):
    """A member whose roles do not let them publish for the hub."""


@dataclass(frozen=True, slots=True)
class Endorsement:
    id: bytes
    origin: NodeId
    hub: str  # the name of the hub that recorded it
    organisation: str
    kind: str
    date: str
    website: str | None
    statement: str | None
    recorded_at: int  # ms
    withdrawn: bool
    reason: str | None  # the withdrawal's


@dataclass(frozen=True, slots=True)
class HubCharter:
    origin: NodeId
    hub: str
    version: str
    title: str
    text: str
    adopted_at: int  # ms
    versions: int  # how many versions the hub adopted
    newest: bool  # whether this is the newest of them


class Endorsements:
    def __init__(
        self,
        db: Database,
        messages: MessageStore,
        membership: Membership,
        projections: CaughtUp,
        node_id: NodeId,
    ) -> None:
        self._db = db
        self._messages = messages
        self._membership = membership
        self._projections = projections
        self._node_id = node_id

    @property
    def network_name(self) -> str | None:
        statement = self._membership.roster.statement
        return statement.name if statement else None

    def _shows(self, origin: str) -> bool:
        return origin == self._node_id or self._membership.is_member(NodeId(origin))

    async def _names(self) -> dict[NodeId, str]:
        await self._projections.caught_up()
        return {o: h.name for o, h in (await hub_profiles(self._db)).items()}

    async def _standing(self) -> list[Standing]:
        network = self._membership.network
        if network is None:
            return []
        return endorsements(await endorsement_messages(self._db), network, self._shows)

    def _endorsement(self, s: Standing, names: dict[NodeId, str]) -> Endorsement:
        b = s.body
        w = s.withdrawal
        reason = w.body.reason if w is not None else None
        return Endorsement(
            s.message.id,
            s.message.origin,
            names.get(s.message.origin, "a hub not yet described"),
            b.organisation,
            b.kind,
            b.date,
            b.website,
            b.statement,
            s.message.created_at,
            w is not None,
            reason,
        )

    async def listing(self) -> dict[str, list[Endorsement]]:
        """The endorsements standing, grouped by kind of organisation, each by name."""
        names = await self._names()
        groups: dict[str, list[Endorsement]] = {k: [] for k in KINDS_OF_ORGANISATION}
        for s in await self._standing():
            if s.withdrawal is None:
                groups[s.body.kind].append(self._endorsement(s, names))
        for items in groups.values():
            items.sort(key=lambda e: (e.organisation.casefold(), e.hub))
        return {k: v for k, v in groups.items() if v}

    async def get(self, endorsement_id: bytes) -> Endorsement:
        """One endorsement shown here, withdrawn or not."""
        for s in await self._standing():
            if s.message.id == endorsement_id:
                return self._endorsement(s, await self._names())
        raise EndorsementNotFound("This hub holds no endorsement with that address.")

    async def record(
        self,
        *,
        organisation: str,
        kind: str,
        date: str,
        website: str | None,
        statement: str | None,
        by: Acting,
    ) -> Message:
        require(by, Permission.PUBLISH_FOR_HUB, EndorsementNotAllowed)
        network = self._membership.network
        if network is None:
            raise EndorsementError("This hub does not belong to a network yet.")
        if not organisation:
            raise EndorsementError("Give the organisation's name.", "organisation")
        if kind not in KINDS_OF_ORGANISATION:
            raise EndorsementError("Choose what kind of organisation it is.", "kind")
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise EndorsementError("Give the date it endorsed the charter.", "date") from None
        if website and not website.startswith(("http://", "https://")):
            raise EndorsementError("Give the website's full address, starting https://", "website")
        body = CharterEndorse(
            network=network,
            organisation=organisation,
            kind=kind,  # type: ignore[arg-type]  # checked against the list above
            date=date,
            website=website,
            statement=statement,
        )
        try:
            check_body(body)
            return await self._messages.append("charter.endorse", body)
        except ProtocolError as exc:
            field = next((f for f in _FIELDS if f".{f} " in exc.message), None)
            raise EndorsementError(_plain(exc.message), field) from exc

    async def withdraw(self, endorsement_id: bytes, reason: str | None, *, by: Acting) -> Message:
        require(by, Permission.PUBLISH_FOR_HUB, EndorsementNotAllowed)
        found = await self.get(endorsement_id)
        if found.origin != self._node_id:
            raise EndorsementNotAllowed(
                "Only the hub that recorded an endorsement can withdraw it."
            )
        if found.withdrawn:
            raise EndorsementError("This endorsement is withdrawn already.")
        body = CharterEndorseWithdraw(endorsement=endorsement_id, reason=reason)
        try:
            check_body(body)
            return await self._messages.append("charter.endorse.withdraw", body)
        except ProtocolError as exc:
            raise EndorsementError(_plain(exc.message), "reason") from exc

    async def charter_ids(self) -> dict[NodeId, bytes]:
        """The id of each shown hub's newest adopted charter, for links to it."""
        return {
            NodeId(o): i for o, i in (await newest_charter_ids(self._db)).items() if self._shows(o)
        }

    async def hub_charter(self, message_id: bytes) -> HubCharter:
        """The charter version a shown hub adopted in the `charter.adopt` message."""
        message = await self._messages.get(message_id)
        if (
            message is None
            or not isinstance(message.body, CharterAdopt)
            or not self._shows(message.origin)
        ):
            raise EndorsementNotFound("This node holds no charter adopted with that address.")
        adopted = await adopted_charters(self._db, message.origin)
        body: CharterAdopt = message.body
        names = await self._names()
        return HubCharter(
            message.origin,
            names.get(message.origin, "a hub not yet described"),
            body.version,
            body.title,
            body.text,
            message.created_at,
            len(adopted),
            adopted[-1].id == message.id if adopted else True,
        )


_FIELDS = ("organisation", "kind", "date", "website", "statement", "reason")


def _plain(text: str) -> str:
    # "CharterEndorse.organisation must be 1 to 200 characters, got 300" -> "Organisation
    # must be 1 to 200 characters, got 300"
    tail = text.split(": ", 1)[-1].split(".", 1)[-1]
    return tail[:1].upper() + tail[1:]
