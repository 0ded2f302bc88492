"""The node's SQLite database: one file, WAL, one writer path, migrations at start.

Every write goes through `Database.write()`, which holds an asyncio lock and a
`BEGIN IMMEDIATE` transaction, so writers in this process queue in order and
writers in other processes (CLI commands run beside the node) wait on SQLite's
own lock. Reads use a second connection and never block on the writer (WAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from node.errors import StoreError, UnsupportedDatabaseVersion
from node.store import sealing
from node.store.migrations import LATEST_VERSION, MIGRATIONS
from node.store.sealing import KeyPlaces, MembersDataLocked, Sealer

T = TypeVar("T")
# Values `Database.kept` holds: a few per visitor online, a few for every page.
KEPT = 512
_VERSION_MEMO_S = 0.005

# FULL in WAL mode: every commit is on disk before it returns, so what the node
# has acknowledged to a peer or shown to a member survives a power cut too.
# NORMAL could lose the last commits, and a hub whose own log went back a few
# seqs would sign new messages at seqs its peers already hold: a fork of itself
# (docs/OPERATIONS.md, "Durability").
_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    # Freed pages are zeroed, in the file and the log: an erased member, a sent email
    # or a value sealed anew leaves no older copy behind (docs/THREAT_MODEL.md).
    "PRAGMA secure_delete = ON",
)
# The migration that first sealed members' data, and the node_state row it leaves for
# the VACUUM that must follow it outside any transaction.
SEALING_VERSION = 22
_VACUUM_PENDING = "vacuum_after_sealing"
# What sqlite3 says when a function of ours raised: while locked, the data key was asked for.
_FUNCTION_RAISED = "user-defined function raised exception"


class Database:
    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        sealer: Sealer,
    ):
        self.path = path
        # The data key while the hub is unlocked (node/store/sealing.py).
        self.sealer = sealer
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self._watcher: sqlite3.Connection | None = None
        # key -> (data_version, value, when computed on the caller's clock or None)
        self._kept: OrderedDict[Hashable, tuple[int, Any, int | None]] = OrderedDict()
        self._writes = 0  # write transactions ended in this process
        self._version_memo: tuple[float, int, int] | None = None

    @classmethod
    async def open(cls, path: Path, keys: KeyPlaces | None = None) -> Database:
        """Open (creating if needed) and migrate the database at `path`, unlocked with
        a key file found in `keys` (by default `data.key` beside it) unless the hub was
        locked. A new database, or one from before members' data was sealed, gets a new
        data key and a key file at the first of `keys`' places."""
        keys = keys or KeyPlaces.beside(path)
        sealer = Sealer()
        writer = await _connect(path, sealer)
        try:
            await _check_integrity(writer, path)
            if await schema_version(writer) < SEALING_VERSION:
                sealer.start_new(keys.first_start_key())
            if await _migrate(writer, path):
                # A migration may have dropped secret rows (14 did the old ballots):
                # their pages are zeroed, and this copies those into the file and
                # empties the log, so no older copy survives there.
                await writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            await _vacuum_after_sealing(writer)
            if sealer.locked:
                await _unlock_at_start(writer, sealer, keys)
            reader = await _connect(path, sealer)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader, sealer)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        async with self._lock:
            await self._reader.close()
            await self._writer.close()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE), committed on success, rolled back on error."""
        async with self._lock:
            try:
                # Inside the try: a task cancelled while waiting for BEGIN has still
                # queued it on the connection's thread, which runs it regardless. The
                # ROLLBACK queued after it ends that transaction (and is a no-op if
                # BEGIN failed), so the next writer never meets one left open.
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._writer
            except BaseException as exc:
                # Queued before this await can be interrupted, so it runs even if
                # the task is cancelled again while waiting for it.
                await self._writer.rollback()
                self._raise_if_locked(exc)
                raise
            try:
                # A cancel while waiting here does not stop the COMMIT already queued.
                await self._writer.commit()
            finally:
                # What data_version's memo read before this commit is old now.
                self._writes += 1

    def _raise_if_locked(self, exc: BaseException) -> None:
        """A query that needed the data key while the hub is locked: say so plainly."""
        if (
            isinstance(exc, sqlite3.OperationalError)
            and str(exc) == _FUNCTION_RAISED
            and self.sealer.locked
        ):
            raise MembersDataLocked() from exc

    def forget_kept(self) -> None:
        """Drop every value `kept` holds (the hub was locked: some held members' details)."""
        self._kept.clear()

    async def checkpoint_truncate(self) -> bool:
        """Copy the write-ahead log into the database and empty it, so no earlier
        version of a page survives in it (used after each ballot). False if readers
        in other processes kept it from finishing; the next one will."""
        async with (
            self._lock,
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor,
        ):
            row = await cursor.fetchone()
        return row is not None and row[0] == 0

    def _inline(self) -> sqlite3.Connection:
        """The read-only connection `data_version` and `fetchone_inline` use, opened on
        first use. busy_timeout 0: it must never make the event loop wait."""
        if self._watcher is None:
            self._watcher = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            self._watcher.execute("PRAGMA busy_timeout = 0")
            self.sealer.attach_inline(self._watcher)
        return self._watcher

    def data_version(self) -> int | None:
        """A number that changes whenever any connection, in this process or another,
        commits to the database; None if it could not be read (treat as changed).

        Read on a connection of its own that never writes (SQLite's `data_version`
        counts only other connections' commits), in the calling thread: it reads
        the WAL index in shared memory, a few microseconds, where a query through
        the reader's thread costs a thread hop. Pages use it to skip asking the
        projection cursors when nothing at all was written since they last did."""
        now = time.monotonic()
        memo = self._version_memo
        # Every page asks several times (its session, badges, kept values): the number
        # read is reused for 5 ms, but never across a write of this process
        # (written counts them, and none may be under way), so this process always
        # sees its own writes; another process's (a `hubnet` command's) show 5 ms late at most.
        if (
            memo is not None
            and now - memo[0] < _VERSION_MEMO_S
            and memo[1] == self._writes
            and not self._lock.locked()
        ):
            return memo[2]
        writes = self._writes
        try:
            # fetchall steps the statement to its end, so no read transaction stays open.
            row = self._inline().execute("PRAGMA data_version").fetchall()[0]
        except sqlite3.Error:
            return None
        self._version_memo = (now, writes, int(row[0]))
        return int(row[0])

    async def kept(
        self,
        key: Hashable,
        compute: Callable[[], Awaitable[T]],
        *,
        now_ms: int | None = None,
        for_ms: int = 0,
    ) -> T:
        """`compute()`'s value, kept until the next commit to the database by any
        connection or process (its `data_version` moves), for what every page shows and
        only a write can change: the hubs heard of, the setup checklist, a visitor's
        session and badges. The value is shared by every caller, so it must not be
        changed. `key` names the value (with its arguments). A value that also depends
        on the time either has the time in its key, or gives the node's clock (`now_ms`)
        and how long it may be kept for (`for_ms`): it is then computed again once that
        long has passed, or the clock has gone back. At most KEPT values are held."""
        version = self.data_version()
        hit = self._kept.get(key)
        if (
            version is not None
            and hit is not None
            and hit[0] == version
            and (now_ms is None or hit[2] is None or 0 <= now_ms - hit[2] < for_ms)
        ):
            self._kept.move_to_end(key)
            return cast(T, hit[1])
        # Read before computing: a commit meanwhile leaves the value under the older
        # version, so the next call computes it again rather than keep a stale one.
        value = await compute()
        if version is not None:
            self._kept[key] = (version, value, now_ms)
            self._kept.move_to_end(key)
            if len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return value

    async def fetchone_inline(self, sql: str, params: Sequence[Any] = ()) -> Any | None:
        """`fetchone` run in the calling thread, for the point reads every page makes
        (its session, member, badge counts): an indexed lookup takes SQLite a few
        microseconds, where the hop to the reader's thread and back costs tens, and
        on a busy node waits its turn for the GIL. Only for reads that touch a
        handful of rows by key or index: anything longer would stall the event loop.
        If SQLite is busy (a checkpoint resetting the log), it goes the usual way."""
        try:
            rows = self._inline().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            self._raise_if_locked(exc)
            return await self.fetchone(sql, params)
        return rows[0] if rows else None

    @property
    def reader(self) -> aiosqlite.Connection:
        return self._reader

    # One round trip to the reader's thread each, rather than execute + fetch +
    # close: on a busy node every hop waits its turn for the GIL.
    async def fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        try:
            return list(await self._reader.execute_fetchall(sql, params))
        except sqlite3.OperationalError as exc:
            self._raise_if_locked(exc)
            raise

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any | None:
        return next(iter(await self.fetchall(sql, params)), None)


async def _vacuum_after_sealing(conn: aiosqlite.Connection) -> None:
    """After migration 22 sealed every row, rewrite the file so no page still holds a
    value in the clear (secure_delete zeroes what it frees, but VACUUM also drops the
    free list and the old layout), then empty the log. VACUUM cannot run inside the
    migration's transaction: the migration leaves a row asking for it, removed only
    once it is done, so a crash in between runs it at the next start."""
    async with conn.execute("SELECT 1 FROM node_state WHERE name = ?", (_VACUUM_PENDING,)) as cur:
        pending = await cur.fetchone()
    if pending is None:
        return
    await conn.execute("VACUUM")
    await conn.execute("DELETE FROM node_state WHERE name = ?", (_VACUUM_PENDING,))
    await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _unlock_at_start(conn: aiosqlite.Connection, sealer: Sealer, keys: KeyPlaces) -> None:
    """Unlock with a key file, unless an organiser locked the hub: then only a key
    given again (the unlock page, `hubnet unlock`) opens it."""
    public = await sealing.public_key_txn(conn)
    if public is not None:
        sealer.knows_public_key(public)
    if await sealing.is_locked_txn(conn):
        return
    data_key = sealing.data_key_from(await sealing.unlock_methods_txn(conn), keys.keys())
    if data_key is not None:
        sealer.unlock(data_key)


async def _connect(path: Path, sealer: Sealer) -> aiosqlite.Connection:
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, nothing implicit.
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    try:
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise StoreError(
            f"{path} is not a usable hubnet database ({exc}); restore it from a backup"
        ) from exc
    await _ensure_cos(conn)
    await sealer.attach(conn)
    return conn


async def _ensure_cos(conn: aiosqlite.Connection) -> None:
    """The calendar orders "near me" by distance in SQL with cos(); SQLite builds since
    3.35 have it unless compiled without math functions, where Python's stands in."""
    try:
        await conn.execute("SELECT cos(0)")
    except sqlite3.OperationalError:
        await conn.create_function("cos", 1, math.cos, deterministic=True)


async def _check_integrity(conn: aiosqlite.Connection, path: Path) -> None:
    try:
        async with conn.execute("PRAGMA quick_check") as cursor:
            rows = [row[0] for row in await cursor.fetchall()]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is corrupt ({exc}); restore it from a backup") from exc
    if rows != ["ok"]:
        raise StoreError(f"{path} is corrupt ({'; '.join(rows[:3])}); restore it from a backup")


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _migrate(conn: aiosqlite.Connection, path: Path) -> bool:
    """Apply the migrations the database lacks; whether there were any."""
    current = await schema_version(conn)
    if current > LATEST_VERSION:
        raise UnsupportedDatabaseVersion(
            f"{path} has schema version {current}, but this hubnet knows only up to "
            f"{LATEST_VERSION}; upgrade hubnet to use it"
        )
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        try:
            await conn.execute("BEGIN IMMEDIATE")
            await _run_script(conn, migration.sql)
            await conn.execute(f"PRAGMA user_version = {migration.version}")
            await conn.commit()
        except sqlite3.Error as exc:
            await conn.rollback()
            raise StoreError(
                f"migration {migration.version} ({migration.description}) failed: {exc}"
            ) from exc
    return current < LATEST_VERSION


async def _run_script(conn: aiosqlite.Connection, script: str) -> None:
    # executescript() would COMMIT first; run statement by statement to stay in one
    # transaction, so a failed migration leaves the database as it was.
    for statement in _split_sql(script):
        await conn.execute(statement)


def _split_sql(script: str) -> list[str]:
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise ValueError("migration SQL ends with an incomplete statement")
    return statements
