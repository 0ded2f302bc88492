"""Locking and unlocking members' personal data (sealed at rest: node/store/sealing.py).

The hub is unlocked while its data key is in memory. It unlocks at start from a key
file (the `data_key_file` setting: removable media, or `data.key` in the data
directory by default) or a systemd credential holding one, and at any time from the
passphrase or an uploaded key file (the /unlock page, `hubnet unlock`). It locks
when an organiser says so (the Operations page, `hubnet lock`): the key is
forgotten, every cache that may hold a member's details is dropped, every session
ends, and the lock is recorded, so a restart stays locked until a key is given
again. docs/OPERATIONS.md, "Members' data at rest".

`hubnet lock` runs in another process: it records the lock in the database, and the
running node, which looks every second, forgets its key within that second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from crypto import sealing as keys
from node.accounts.permissions import Acting, Permission, require
from node.clock import Clock
from node.config import Config
from node.errors import Conflict, NodeError
from node.settings import DATA_KEY_FILE
from node.store import sealing
from node.store.database import Database
from node.store.sealing import FILE, PASSPHRASE, KeyPlaces, MembersDataLocked

log = logging.getLogger(__name__)

WATCH_SECONDS = 1.0
CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"  # set by systemd for LoadCredential=
MIN_PASSPHRASE = 12


class WrongKey(NodeError):
    """A passphrase or key file that does not unlock this hub."""

    status = 403
    code = "not-allowed"
    heading = "Not unlocked"


def key_file_path(config: Config) -> Path:
    path = Path(config.data_key_file).expanduser()
    return path if path.is_absolute() else config.data_dir / path


def key_places(config: Config, environ: Mapping[str, str] = os.environ) -> KeyPlaces:
    """Where this node's key files may be: the setting's path, then the credential."""
    files = [key_file_path(config)]
    credentials = environ.get(CREDENTIALS_ENV)
    if credentials and config.data_key_credential:
        files.append(Path(credentials) / config.data_key_credential)
    return KeyPlaces(tuple(files))


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """What the setup checklist and the Operations page say about the key."""

    locked: bool
    key_file: bool  # a key file unlocks the hub
    passphrase: bool  # a passphrase unlocks it
    key_beside_database: bool  # that key file is in the data directory


class AtRest:
    def __init__(self, db: Database, places: KeyPlaces, clock: Clock) -> None:
        self._db = db
        self._places = places
        self._clock = clock
        # Called when the hub locks, to drop what they keep (web/kept_pages.py).
        self.on_lock: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def locked(self) -> bool:
        return self._db.sealer.locked

    async def status(self) -> KeyStatus:
        methods = await sealing.unlock_methods_txn(self._db.reader)
        beside = FILE in methods and await self.key_beside_database()
        return KeyStatus(self.locked, FILE in methods, PASSPHRASE in methods, beside)

    async def key_beside_database(self) -> bool:
        """Whether a key file that unlocks the hub is in the data directory."""
        data_dir = self._db.path.parent.resolve()
        return any(p.exists() and p.resolve().parent == data_dir for p in self._places.files[:1])

    # -- locking ---------------------------------------------------------------------

    async def lock(self, by: Acting, why: str = "locked by an organiser") -> None:
        """Lock at once, as `by` (who may set up the hub, or the operator): record it
        (ending every session), then forget the key."""
        require(by, Permission.SET_UP_HUB)
        async with self._db.write() as conn:
            await sealing.set_locked_txn(conn, why, self._clock())
        self._forget()
        log.warning("members' data locked: %s", why)

    def _forget(self) -> None:
        self._db.sealer.lock()
        self._db.forget_kept()
        for drop in self.on_lock:
            drop()

    # -- unlocking -------------------------------------------------------------------

    async def unlock(
        self, passphrase: str | None = None, key_file: bytes | None = None, lift_lock: bool = True
    ) -> None:
        """Unlock with a passphrase or a key file's bytes; WrongKey if neither opens it.
        `lift_lock` False: only this process holds the key (a command changing it)."""
        methods = await sealing.unlock_methods_txn(self._db.reader)
        given = [key_file] if key_file is not None else []
        data_key = await asyncio.to_thread(sealing.data_key_from, methods, given, passphrase)
        if data_key is None:
            raise WrongKey("That passphrase or key file does not unlock this hub.")
        if lift_lock:
            async with self._db.write() as conn:
                await sealing.clear_locked_txn(conn)
            log.warning("members' data unlocked")
        self._db.sealer.unlock(data_key)

    async def _unlock_from_places(self) -> bool:
        """Unlock with a key file in its place, unless a lock is recorded (asked by the
        watch each second while locked: no file there, no database read)."""
        found = self._places.keys()
        if not found or await sealing.is_locked_txn(self._db.reader):
            return False
        methods = await sealing.unlock_methods_txn(self._db.reader)
        data_key = sealing.data_key_from(methods, found)
        if data_key is None:
            return False
        self._db.sealer.unlock(data_key)
        log.warning("members' data unlocked by a key file")
        return True

    # -- changing how it unlocks -------------------------------------------------------

    def _data_key_now(self) -> bytes:
        if self.locked:
            raise MembersDataLocked()
        return self._db.sealer.data_key()

    async def set_passphrase(self, passphrase: str, only: bool = False) -> None:
        """Add or change the passphrase; with `only`, forget every key file too (the
        one in the data directory is overwritten and removed)."""
        if len(passphrase) < MIN_PASSPHRASE:
            raise NodeError(
                "a passphrase needs at least %(least)d characters", least=MIN_PASSPHRASE
            )
        data_key = self._data_key_now()
        params = keys.ScryptParams.fresh()
        kek = await asyncio.to_thread(keys.passphrase_kek, passphrase, params)
        wrapped = keys.wrap(kek, data_key)
        async with self._db.write() as conn:
            await sealing.put_method_txn(
                conn, PASSPHRASE, wrapped, sealing.scrypt_json(params), self._clock()
            )
            if only:
                await sealing.drop_method_txn(conn, FILE)
        if only:
            self._shred_key_in_data_dir()

    async def move_key_file(self, path: Path) -> None:
        """Write a new key file at `path` (removable media), make it the only key file
        that unlocks the hub, and overwrite and remove the one in the data directory."""
        data_key = self._data_key_now()
        if path.resolve().parent == self._db.path.parent.resolve():
            raise Conflict("put the new key file outside the data directory")
        kek = keys.new_key()
        sealing.write_key_file(path, kek)
        async with self._db.write() as conn:
            await sealing.put_method_txn(conn, FILE, keys.wrap(kek, data_key), None, self._clock())
        self._shred_key_in_data_dir()

    def _shred_key_in_data_dir(self) -> None:
        data_dir = self._db.path.parent.resolve()
        for path in (self._db.path.with_name(DATA_KEY_FILE), *self._places.files[:1]):
            if path.resolve().parent == data_dir:
                sealing.shred_key_file(path)

    # -- watching for `hubnet lock` and `hubnet unlock` from another process -------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="at-rest")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await self.check()
            except Exception:  # a failed look must not end the watch: log and go on
                log.exception("at rest: could not read the lock")

    async def check(self) -> None:
        """Follow a lock recorded by another process; unlock once a key file appears
        (removable media put in) or the lock is lifted by `hubnet unlock`.

        The lock row is read again only when something was written to the database
        (`Database.kept`), not every second."""
        recorded = await self._db.kept(
            ("lock recorded",), lambda: sealing.is_locked_txn(self._db.reader)
        )
        if recorded and not self.locked:
            self._forget()
            # A login in the second before this one looked would outlive the lock.
            async with self._db.write() as conn:
                await sealing.end_sessions_txn(conn)
            log.warning("members' data locked from the command line")
        elif not recorded and self.locked:
            with contextlib.suppress(sealing.KeyFileError):
                await self._unlock_from_places()
