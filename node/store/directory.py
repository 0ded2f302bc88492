"""SQL for the directory of local services: this hub's entries and the network's.

`directory_local` holds this hub's own entries, shared or not, and which message
each was last shared as. `directory_shared` and `directory_versions` are built
from `directory.entry` and `directory.withdraw` messages by the directory
projection (node/community/directory_projection.py decides what applies).
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from node.store import search as search_index
from node.store.database import Database
from protocol.kinds.community import DirectoryEntry


@dataclass(frozen=True, slots=True)
class EntryRow:
    key: bytes | int  # this hub's entry number, or the first version's id for others'
    origin: str | None  # None for this hub's own
    name: str
    category: str
    area: str
    hours: str
    contact: str
    description: str | None
    url: str | None
    shared: bool


@dataclass(frozen=True, slots=True)
class Sharing:
    shared: bytes | None  # the first version's id, if the entry was shared
    latest: bytes | None  # the version last sent


# -- this hub's own entries ------------------------------------------------------------


async def sharing_txn(conn: aiosqlite.Connection, entry_id: int) -> Sharing | None:
    async with conn.execute(
        "SELECT shared, latest FROM directory_local WHERE id = ?", (entry_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Sharing(*(bytes(x) if x is not None else None for x in row))


async def add_local_txn(
    conn: aiosqlite.Connection, body: DirectoryEntry, now: int, shared: bytes | None, text: str
) -> int:
    """Add the entry and index it for search (`text` beside its name)."""
    cursor = await conn.execute(
        "INSERT INTO directory_local (name, category, area, hours, contact, description,"
        " url, created_at, updated_at, shared, latest) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (*_columns(body), now, now, shared, shared),
    )
    entry_id = int(cursor.lastrowid or 0)
    await _index_txn(conn, entry_id, body.name, text)
    return entry_id


async def update_local_txn(
    conn: aiosqlite.Connection,
    entry_id: int,
    body: DirectoryEntry,
    now: int,
    sharing: Sharing,
    text: str,
) -> None:
    await conn.execute(
        "UPDATE directory_local SET name = ?, category = ?, area = ?, hours = ?,"
        " contact = ?, description = ?, url = ?, updated_at = ?, shared = ?, latest = ?"
        " WHERE id = ?",
        (*_columns(body), now, sharing.shared, sharing.latest, entry_id),
    )
    await _index_txn(conn, entry_id, body.name, text)


async def _index_txn(conn: aiosqlite.Connection, entry_id: int, title: str, text: str) -> None:
    await search_index.put_txn(conn, "directory", f"local:{entry_id}", title, text, "public")


async def remove_local_txn(conn: aiosqlite.Connection, entry_id: int) -> None:
    await conn.execute("DELETE FROM directory_local WHERE id = ?", (entry_id,))
    await search_index.drop_txn(conn, "directory", f"local:{entry_id}")


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


_LOCAL = (
    "SELECT id, name, category, area, hours, contact, description, url, shared IS NOT NULL"
    " FROM directory_local"
)


def _local(row: tuple[object, ...]) -> EntryRow:
    i, n, c, a, h, ct, d, u, s = row
    return EntryRow(
        int(i),  # type: ignore[call-overload]
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


class DirectoryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def sharing(self, entry_id: int) -> Sharing | None:
        return await sharing_txn(self._db.reader, entry_id)

    async def add_local(self, body: DirectoryEntry, now: int, text: str) -> int:
        async with self._db.write() as conn:
            return await add_local_txn(conn, body, now, None, text)

    async def update_local(
        self, entry_id: int, body: DirectoryEntry, now: int, was: Sharing, text: str
    ) -> bool:
        """Change an entry not shared; False if it was removed or shared meanwhile."""
        async with self._db.write() as conn:
            if await sharing_txn(conn, entry_id) != was:
                return False
            await update_local_txn(conn, entry_id, body, now, was, text)
        return True

    async def remove_local(self, entry_id: int) -> None:
        async with self._db.write() as conn:
            await remove_local_txn(conn, entry_id)

    async def local(self, entry_id: int) -> EntryRow | None:
        rows = await self._db.fetchall(_LOCAL + " WHERE id = ?", (entry_id,))
        return _local(rows[0]) if rows else None

    async def all_local(self, category: str | None) -> list[EntryRow]:
        where, args = ("WHERE category = ?", (category,)) if category else ("", ())
        return [_local(r) for r in await self._db.fetchall(f"{_LOCAL} {where} ORDER BY name", args)]

    async def shared_by_others(self, node_id: str, category: str | None) -> list[EntryRow]:
        clause, args = ("AND category = ?", (category,)) if category else ("", ())
        rows = await self._db.fetchall(
            "SELECT entry, origin, name, category, area, hours, contact, description, url"
            f" FROM directory_shared WHERE origin != ? {clause} ORDER BY name LIMIT 1000",
            (node_id, *args),
        )
        return [
            EntryRow(bytes(e), str(o), n, c, a, h, ct, d, u, True)
            for e, o, n, c, a, h, ct, d, u in rows
        ]


# -- the network's shared entries (the directory projection) ---------------------------


async def root_txn(conn: aiosqlite.Connection, version: bytes) -> tuple[bytes, str] | None:
    """The first version's id and the origin of the entry `version` belongs to."""
    async with conn.execute(
        "SELECT d.entry, d.origin FROM directory_versions v"
        " JOIN directory_shared d ON d.entry = v.entry WHERE v.version = ?",
        (version,),
    ) as cursor:
        row = await cursor.fetchone()
    return (bytes(row[0]), str(row[1])) if row else None


async def put_shared_txn(
    conn: aiosqlite.Connection,
    entry: bytes,
    origin: str,
    version: bytes,
    seq: int,
    body: DirectoryEntry,
) -> None:
    await conn.execute(
        "INSERT INTO directory_shared (entry, origin, version, seq, name, category, area,"
        " hours, contact, description, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (entry) DO UPDATE SET version = excluded.version, seq = excluded.seq,"
        " name = excluded.name, category = excluded.category, area = excluded.area,"
        " hours = excluded.hours, contact = excluded.contact,"
        " description = excluded.description, url = excluded.url",
        (entry, origin, version, seq, *_columns(body)),
    )
    await conn.execute(
        "INSERT OR IGNORE INTO directory_versions (version, entry) VALUES (?, ?)",
        (version, entry),
    )


async def drop_shared_txn(conn: aiosqlite.Connection, entry: bytes) -> None:
    await conn.execute("DELETE FROM directory_shared WHERE entry = ?", (entry,))
    await search_index.drop_txn(conn, "directory", entry.hex())


async def forget_shared_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM directory_shared")
    await conn.execute("DELETE FROM directory_versions")
    await search_index.drop_kind_txn(conn, "directory")
