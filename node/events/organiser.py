"""Organisers create, edit and cancel their hub's events.

Public and network events become signed messages (`event`, `event.update`,
`event.cancel`) and reach every hub; members-only events are rows in the events
table and nothing else, so they never leave this node.
"""

from __future__ import annotations

import dataclasses
import json
import secrets

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.clock import Clock
from node.events.calendar import Calendar, EventView
from node.events.drafts import Draft, EventError, EventNotAllowed, EventNotFound
from node.events.projection import EventProjection
from node.store.events import EventsStore, Standing, standing_txn
from node.store.messages import MessageStore
from node.store.outcomes import Check
from protocol.kinds.event import EventCancel, EventUpdate
from protocol.visibility import federates


class Organiser:
    def __init__(
        self,
        store: EventsStore,
        messages: MessageStore,
        projection: EventProjection,
        calendar: Calendar,
        node_id: NodeId,
        clock: Clock,
    ) -> None:
        self._store = store
        self._messages = messages
        self._projection = projection
        self._calendar = calendar
        self._node_id = node_id
        self._clock = clock

    async def create(self, draft: Draft, *, by: Acting) -> bytes:
        """Publish (or, members-only, keep) a new event; its id."""
        require(by, Permission.MANAGE_EVENTS, EventNotAllowed)
        if not federates(draft.visibility):
            event_id = secrets.token_bytes(32)
            await self._store.add_members_event(
                event_id, self._node_id, _columns(draft), self._clock()
            )
            self._projection.touched()
            return event_id
        message = await self._messages.append("event", draft.details)
        await self._projection.settle()
        return message.id

    async def _own(self, event_id: bytes) -> EventView:
        event = await self._calendar.get(event_id)
        if event is None:
            raise EventNotFound("There is no such event.")
        _refuse_change(Standing(event.origin, event.federated, event.cancelled), self._node_id)
        return event

    def _still_own(self, event_id: bytes) -> Check:
        """The same refusals again, inside the change's own write transaction: a cancel
        sent at the same moment as an edit may have been stored since `_own` looked."""

        async def check_txn(conn: aiosqlite.Connection) -> None:
            _refuse_change(await standing_txn(conn, event_id), self._node_id)

        return check_txn

    async def edit(self, event_id: bytes, draft: Draft, *, by: Acting) -> None:
        require(by, Permission.MANAGE_EVENTS, EventNotAllowed)
        event = await self._own(event_id)
        if event.federated and not federates(draft.visibility):
            raise EventError(
                "This event has been sent to other hubs, so it cannot become members-only; "
                "cancel it and make a members-only event instead."
            )
        if not event.federated and federates(draft.visibility):
            raise EventError(
                "A members-only event cannot be published to other hubs; make a new event."
            )
        if event.federated:
            fields = {
                f.name: getattr(draft.details, f.name) for f in dataclasses.fields(draft.details)
            }
            await self._messages.append(
                "event.update",
                EventUpdate(**fields, event=event_id),
                check=self._still_own(event_id),
            )
            await self._projection.settle()
            return
        await self._store.edit_members_event(
            event_id, _columns(draft), self._clock(), self._still_own(event_id)
        )
        self._projection.touched()

    async def cancel(self, event_id: bytes, reason: str | None, *, by: Acting) -> None:
        require(by, Permission.MANAGE_EVENTS, EventNotAllowed)
        event = await self._own(event_id)
        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > 1000:
            raise EventError("Keep the reason to 1000 characters.")
        if event.federated:
            await self._messages.append(
                "event.cancel",
                EventCancel(event=event_id, reason=reason),
                check=self._still_own(event_id),
            )
            await self._projection.settle()
            return
        await self._store.cancel_members_event(
            event_id, reason, self._clock(), self._still_own(event_id)
        )
        self._projection.touched()


def _refuse_change(event: Standing | None, node_id: NodeId) -> None:
    if event is None:
        raise EventNotFound("There is no such event.")
    if event.origin != node_id:
        raise EventError("Only the hub that organises this event can change it.")
    if event.cancelled:
        raise EventError("This event has been cancelled; it cannot be changed.")


def _columns(draft: Draft) -> tuple[object, ...]:
    d = draft.details
    return (
        d.title,
        d.description,
        d.starts,
        d.ends,
        d.timezone,
        d.type,
        d.place,
        d.lat,
        d.lon,
        d.online_url,
        d.capacity,
        json.dumps(list(d.speakers)),
        json.dumps(list(d.cohosts)),
    )
