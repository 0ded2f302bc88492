"""Service signposting: this hub's directory of local services, and other hubs' shared ones.

An entry is the service's public face (name, category, area, hours, its own
public contact), never a member's details. An entry may be shared with the
network as `directory.entry`; editing a shared entry sends a new version that
`replaces` the first, and removing it sends `directory.withdraw` (§5.19–5.20).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.clock import Clock
from node.community.hubs import hub_name, hub_names
from node.errors import NodeError, NotAllowed, NotFound
from node.projections.runner import CaughtUp
from node.store.database import Database
from node.store.directory import (
    DirectoryStore,
    EntryRow,
    Sharing,
    add_local_txn,
    remove_local_txn,
    sharing_txn,
    update_local_txn,
)
from node.store.messages import MessageStore
from node.wording import Term, Terms
from protocol.envelope import Message
from protocol.errors import ProtocolError
from protocol.kinds.community import DirectoryCategory, DirectoryEntry, DirectoryWithdraw
from protocol.schema import check_body

CATEGORIES: dict[str, str] = {
    "food": "Food",
    "advice": "Advice",
    "housing": "Housing",
    "health": "Health",
    "legal": "Legal help",
    "money": "Money and debt",
    "work": "Work and benefits",
    "family": "Families and children",
    "other": "Other",
}
REQUIRED = ("name", "category", "area", "hours", "contact")
LABELS = {
    "name": Term("name"),
    "category": Term("category"),
    "area": Term("area served"),
    "hours": Term("opening hours"),
    "contact": Term("public contact"),
}


class DirectoryError(NodeError):
    """A directory entry this hub refuses, with the reason to show."""


class EntryNotFound(DirectoryError, NotFound):
    """No entry of this hub's with that number."""


class DirectoryNotAllowed(DirectoryError, NotAllowed):
    """A member whose roles do not grant publishing for the hub (permissions.require)."""


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # "local:<n>" for this hub's own, the first version's id in hex for others'
    hub: str | None  # None for this hub's own
    origin: NodeId | None
    name: str
    category: str
    area: str
    hours: str
    contact: str
    description: str | None
    url: str | None
    shared: bool

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)


def entry_from_form(form: dict[str, str]) -> DirectoryEntry:
    """A checked entry from form fields, or DirectoryError naming what is missing or wrong."""
    missing = tuple(LABELS[f] for f in REQUIRED if not form.get(f, "").strip())
    if missing:
        raise DirectoryError("Fill in the %(fields)s.", fields=Terms(missing))
    category = form["category"].strip()
    if category not in CATEGORIES:
        raise DirectoryError("Choose a category from the list.")
    url = form.get("url", "").strip() or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise DirectoryError("The web address must start with http:// or https://.")
    body = DirectoryEntry(
        name=form["name"].strip(),
        category=_category(category),
        area=form["area"].strip(),
        hours=form["hours"].strip(),
        contact=form["contact"].strip(),
        description=form.get("description", "").strip() or None,
        url=url,
    )
    try:
        check_body(body)
    except ProtocolError as exc:
        raise DirectoryError(str(exc)) from exc
    return body


def _category(text: str) -> DirectoryCategory:
    return text  # type: ignore[return-value]  # checked against CATEGORIES by the caller


class Directory:
    def __init__(
        self,
        db: Database,
        store: DirectoryStore,
        messages: MessageStore,
        projections: CaughtUp,
        clock: Clock,
    ) -> None:
        self._db = db  # for hub names
        self._store = store
        self._messages = messages
        self._projections = projections
        self._clock = clock

    async def add(self, body: DirectoryEntry, share: bool, *, by: Acting) -> int:
        require(by, Permission.PUBLISH_FOR_HUB, DirectoryNotAllowed)
        now = self._clock()
        if not share:
            entry_id = await self._store.add_local(body, now, _search_text(body))
            await self._projections.caught_up()
            return entry_id
        entry_id = 0

        async def record_txn(conn: aiosqlite.Connection, message: Message) -> None:
            nonlocal entry_id
            entry_id = await add_local_txn(conn, body, now, message.id, _search_text(body))

        # The local row commits with the shared message, so an entry shared with the
        # network is always one this hub can edit and withdraw.
        await self._messages.append("directory.entry", body, then=record_txn)
        await self._projections.caught_up()
        return entry_id

    async def edit(self, entry_id: int, body: DirectoryEntry, share: bool, *, by: Acting) -> None:
        require(by, Permission.PUBLISH_FOR_HUB, DirectoryNotAllowed)
        was = await self._store.sharing(entry_id)
        if was is None:
            raise EntryNotFound("There is no such entry.")
        now = self._clock()
        if was.shared is None and not share:
            if not await self._store.update_local(entry_id, body, now, was, _search_text(body)):
                raise EntryNotFound("There is no such entry.")
            await self._projections.caught_up()
            return

        async def check_txn(conn: aiosqlite.Connection) -> None:
            # In the new version's own transaction: it replaces the version sent last, so
            # an edit or a removal that got in first refuses this one.
            if await sharing_txn(conn, entry_id) != was:
                raise EntryNotFound("There is no such entry.")

        async def record_txn(conn: aiosqlite.Connection, message: Message) -> None:
            sharing = Sharing(was.shared or message.id, message.id)
            await update_local_txn(conn, entry_id, body, now, sharing, _search_text(body))

        sent = body if was.latest is None else replace(body, replaces=was.latest)
        await self._messages.append("directory.entry", sent, check=check_txn, then=record_txn)
        await self._projections.caught_up()

    async def remove(self, entry_id: int, *, by: Acting) -> None:
        require(by, Permission.PUBLISH_FOR_HUB, DirectoryNotAllowed)
        was = await self._store.sharing(entry_id)
        if was is None:
            raise EntryNotFound("There is no such entry.")
        if was.shared is None:
            await self._store.remove_local(entry_id)
            await self._projections.caught_up()
            return

        async def check_txn(conn: aiosqlite.Connection) -> None:
            if await sharing_txn(conn, entry_id) is None:
                raise EntryNotFound("There is no such entry.")

        async def remove_txn(conn: aiosqlite.Connection, message: Message) -> None:
            await remove_local_txn(conn, entry_id)

        await self._messages.append(
            "directory.withdraw",
            DirectoryWithdraw(entry=was.shared),
            check=check_txn,
            then=remove_txn,
        )
        await self._projections.caught_up()

    async def get_local(self, entry_id: int) -> Entry | None:
        row = await self._store.local(entry_id)
        return _entry(row, None) if row else None

    async def entries(self, category: str | None = None) -> list[Entry]:
        """This hub's entries, then other hubs' shared ones; optionally of one category."""
        await self._projections.caught_up()
        local = [_entry(r, None) for r in await self._store.all_local(category)]
        rows = await self._store.shared_by_others(self._messages.node_id, category)
        names = await hub_names(self._db)
        shared = [_entry(r, hub_name(names, r.origin or "")) for r in rows]
        return local + shared


def _entry(row: EntryRow, hub: str | None) -> Entry:
    key = f"local:{row.key}" if isinstance(row.key, int) else row.key.hex()
    origin = NodeId(row.origin) if row.origin is not None else None
    return Entry(
        key,
        hub,
        origin,
        row.name,
        row.category,
        row.area,
        row.hours,
        row.contact,
        row.description,
        row.url,
        row.shared,
    )


def _search_text(body: DirectoryEntry) -> str:
    return " ".join(x for x in (body.description, body.area, CATEGORIES[body.category]) if x)
