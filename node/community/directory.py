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
from node.clock import Clock
from node.community.hubs import hub_name, hub_names
from node.errors import NodeError, NotFound
from node.projections.runner import CaughtUp
from node.store import search as search_index
from node.store.database import Database
from node.store.messages import MessageStore
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
    "name": "name",
    "category": "category",
    "area": "area served",
    "hours": "opening hours",
    "contact": "public contact",
}


class DirectoryError(NodeError):
    """A directory entry this hub refuses, with the reason to show."""


class EntryNotFound(DirectoryError, NotFound):
    """No entry of this hub's with that number."""


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
    missing = [LABELS[f] for f in REQUIRED if not form.get(f, "").strip()]
    if missing:
        raise DirectoryError(f"Fill in the {', '.join(missing)}.")
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
        self, db: Database, messages: MessageStore, projections: CaughtUp, clock: Clock
    ) -> None:
        self._db = db
        self._messages = messages
        self._projections = projections
        self._clock = clock

    async def add(self, body: DirectoryEntry, share: bool) -> int:
        shared = (await self._messages.append("directory.entry", body)).id if share else None
        now = self._clock()
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO directory_local (name, category, area, hours, contact, description,"
                " url, created_at, updated_at, shared, latest) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (*_columns(body), now, now, shared, shared),
            )
            entry_id = int(cursor.lastrowid or 0)
            await _index_txn(conn, entry_id, body)
        await self._projections.caught_up()
        return entry_id

    async def edit(self, entry_id: int, body: DirectoryEntry, share: bool) -> None:
        row = await self._db.fetchone(
            "SELECT shared, latest FROM directory_local WHERE id = ?", (entry_id,)
        )
        if row is None:
            raise EntryNotFound("There is no such entry.")
        shared, latest = row
        if shared is not None:
            sent = replace(body, replaces=bytes(latest))
            latest = (await self._messages.append("directory.entry", sent)).id
        elif share:
            shared = latest = (await self._messages.append("directory.entry", body)).id
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE directory_local SET name = ?, category = ?, area = ?, hours = ?,"
                " contact = ?, description = ?, url = ?, updated_at = ?, shared = ?, latest = ?"
                " WHERE id = ?",
                (*_columns(body), self._clock(), shared, latest, entry_id),
            )
            await _index_txn(conn, entry_id, body)
        await self._projections.caught_up()

    async def remove(self, entry_id: int) -> None:
        row = await self._db.fetchone(
            "SELECT shared FROM directory_local WHERE id = ?", (entry_id,)
        )
        if row is None:
            raise EntryNotFound("There is no such entry.")
        if row[0] is not None:
            await self._messages.append(
                "directory.withdraw", DirectoryWithdraw(entry=bytes(row[0]))
            )
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM directory_local WHERE id = ?", (entry_id,))
            await search_index.drop_txn(conn, "directory", f"local:{entry_id}")
        await self._projections.caught_up()

    async def get_local(self, entry_id: int) -> Entry | None:
        rows = await self._db.fetchall(_LOCAL + " WHERE id = ?", (entry_id,))
        return _local(rows[0]) if rows else None

    async def entries(self, category: str | None = None) -> list[Entry]:
        """This hub's entries, then other hubs' shared ones; optionally of one category."""
        await self._projections.caught_up()
        where, args = ("WHERE category = ?", (category,)) if category else ("", ())
        local = [
            _local(r) for r in await self._db.fetchall(f"{_LOCAL} {where} ORDER BY name", args)
        ]
        clause = "AND category = ?" if category else ""
        rows = await self._db.fetchall(
            "SELECT entry, origin, name, category, area, hours, contact, description, url"
            f" FROM directory_shared WHERE origin != ? {clause} ORDER BY name LIMIT 1000",
            (self._messages.node_id, *args),
        )
        names = await hub_names(self._db)
        shared = [
            Entry(bytes(e).hex(), hub_name(names, o), NodeId(o), n, c, a, h, ct, d, u, True)
            for e, o, n, c, a, h, ct, d, u in rows
        ]
        return local + shared


_LOCAL = (
    "SELECT id, name, category, area, hours, contact, description, url, shared IS NOT NULL"
    " FROM directory_local"
)


def _local(row: tuple[object, ...]) -> Entry:
    i, n, c, a, h, ct, d, u, s = row
    return Entry(
        f"local:{i}",
        None,
        None,
        str(n),
        str(c),
        str(a),
        str(h),
        str(ct),
        d if isinstance(d, str) else None,
        u if isinstance(u, str) else None,
        bool(s),
    )


def _columns(body: DirectoryEntry) -> tuple[object, ...]:
    return (
        body.name,
        body.category,
        body.area,
        body.hours,
        body.contact,
        body.description,
        body.url,
    )


async def _index_txn(conn: aiosqlite.Connection, entry_id: int, body: DirectoryEntry) -> None:
    text = " ".join(x for x in (body.description, body.area, CATEGORIES[body.category]) if x)
    await search_index.put_txn(conn, "directory", f"local:{entry_id}", body.name, text, "public")
