"""Members' personal data sealed at rest, in SQL: the data key while the hub is
unlocked, the SQL functions that use it, and the rows that say how to unlock.

Every connection to the database has four functions (docs/ARCHITECTURE.md,
"Members' data sealed at rest"):

- `seal('members.name', ?)` seals a value for its column, under a random nonce (while
  locked, to the node's public key: crypto/sealing.py `seal_to`);
- `seal_stable('ballot_choices.choices', ?)` seals it the same way every time (the
  ballot box's bytes must depend only on what it holds: node/store/ballots.py);
- `unseal('members.name', m.name)` opens one, so a query reads
  `unseal('members.name', m.name) AS name` and sorts on it;
- `blind_index(?)` is the HMAC an account or registration is found by, by email;
- `members_data_unlocked()` says whether the key is in memory (the public page names
  no role holder while locked: node/store/roles.py).

NULL stays NULL. While the hub is locked each of them but `seal` raises, so a query
that needs a member's details fails (Database turns that into `MembersDataLocked`) and
nothing else does: the message log, peers and public pages never call them. `seal`
still writes, to the node's public key (`PUBLIC_KEY` in node_state), so a notice
raised by another hub's message, and its email, are kept while the hub is locked.

The data key is stored only wrapped, once per way of unlocking (`unlock_methods`):
under a key file's 32 bytes (also what a systemd credential holds), and under a
passphrase's scrypt. Key files live where the operator puts them (`KeyPlaces`),
never in the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from crypto import errors as crypto_errors
from crypto import sealing
from crypto.keyfile import write_secret_file
from crypto.sealing import DataKey, ScryptParams, SealError
from node.errors import Unavailable
from node.settings import DATA_KEY_FILE

KEY_FILE_BYTES = sealing.KEY_BYTES
# node_state's row while the hub is locked: a restart does not unlock itself from a
# key file or credential until an organiser gives a key again.
LOCKED = "members_data_locked"
# node_state's row holding the node's public key for sealing while locked (hex).
PUBLIC_KEY = "sealing_public_key"
FILE, PASSPHRASE = "file", "passphrase"


class MembersDataLocked(Unavailable):
    """Members' details are sealed and the key is not in memory."""

    code = "locked"
    heading = "This hub is locked"

    def __init__(self) -> None:
        super().__init__(
            "This hub is locked: members' details are sealed until an organiser unlocks it."
        )


class KeyFileError(Unavailable):
    """A key file that cannot be read or written, or that is not a key file."""

    code = "key-file"


def read_key_file(path: Path) -> bytes | None:
    """A key file's bytes; None if there is none at `path` (removable media not in)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror}") from exc
    if len(data) != KEY_FILE_BYTES:
        raise KeyFileError(f"{path} is not a hubnet key file ({len(data)} bytes)")
    return data


def write_key_file(path: Path, kek: bytes) -> None:
    """Write a new key file, readable by its owner only; refuse to replace one."""
    try:
        write_secret_file(path, kek, "choose a new name")
    except crypto_errors.KeyFileError as exc:  # crypto's; this one is the node's, with a status
        raise KeyFileError(str(exc)) from exc


def shred_key_file(path: Path) -> None:
    """Overwrite a key file with zeros and remove it (on flash storage the old blocks
    may survive the overwrite: docs/OPERATIONS.md says to keep the key off the disk
    from the start where that matters)."""
    try:
        with path.open("r+b") as f:
            f.write(bytes(KEY_FILE_BYTES))
            f.flush()
            os.fsync(f.fileno())
        path.unlink()
    except FileNotFoundError:
        return


@dataclass(frozen=True, slots=True)
class KeyPlaces:
    """Where key files are looked for when the node opens its database: the
    `data_key_file` setting, then the systemd credential, if the unit passed one.
    `create` is where a new node (or one upgraded from before sealing) makes its key
    file: the first of `files`."""

    files: Sequence[Path]

    @classmethod
    def beside(cls, database: Path) -> KeyPlaces:
        """The default: `data.key` beside the database (`make run`, tests)."""
        return cls((database.with_name(DATA_KEY_FILE),))

    def keys(self) -> list[bytes]:
        return [k for k in (read_key_file(p) for p in self.files) if k is not None]

    def first_start_key(self) -> bytes:
        """The key file a node makes on its first start: read if it is already there."""
        for path in self.files:
            if (kek := read_key_file(path)) is not None:
                return kek
        kek = sealing.new_key()
        write_key_file(self.files[0], kek)
        return kek


class Sealer:
    """The data key while the hub is unlocked (None while locked), and the SQL
    functions that use it, registered on every connection."""

    def __init__(self) -> None:
        self._key: DataKey | None = None
        self._data_key: bytes | None = None  # kept to wrap it anew (a new passphrase)
        self._public: bytes | None = None  # what `seal` seals to while locked
        # A new node's first wrap, for migration 22 to store in its own transaction.
        self._first_wrap: bytes | None = None

    @property
    def locked(self) -> bool:
        return self._key is None

    def unlock(self, data_key: bytes) -> None:
        self._key = DataKey.from_bytes(data_key)
        self._data_key = data_key
        self._public = self._key.public_key()

    def knows_public_key(self, public: bytes) -> None:
        """The node's public key, read from the database: sealing while locked."""
        self._public = public

    def lock(self) -> None:
        self._key = None
        self._data_key = None
        self._first_wrap = None

    def data_key(self) -> bytes:
        if self._data_key is None:
            raise MembersDataLocked()
        return self._data_key

    def start_new(self, kek: bytes) -> None:
        """A new data key, wrapped under `kek` for the database to store."""
        data_key = sealing.new_key()
        self._first_wrap = sealing.wrap(kek, data_key)
        self.unlock(data_key)

    def key(self) -> DataKey:
        if self._key is None:
            raise MembersDataLocked()
        return self._key

    # -- the SQL functions ----------------------------------------------------------

    def _seal(self, column: str, value: Any) -> bytes | None:
        if value is None:
            return None
        if self._key is None and self._public is not None:
            return sealing.seal_to(self._public, column, str(value))
        return self.key().seal(column, str(value))

    def _seal_stable(self, column: str, value: Any) -> bytes | None:
        return None if value is None else self.key().seal_stable(column, str(value))

    def _unseal(self, column: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, bytes):
            # A value stored in the clear where a sealed one belongs: a bug, not data.
            raise SealError(f"{column} holds a value that is not sealed")
        return self.key().unseal(column, value)

    def _blind_index(self, value: Any) -> bytes | None:
        return None if value is None else self.key().blind_index(str(value))

    def _new_data_key_wrap(self) -> bytes:
        if self._first_wrap is None:
            raise MembersDataLocked()
        return self._first_wrap

    def _public_key_hex(self) -> str:
        return self.key().public_key().hex()

    def _functions(self) -> list[tuple[str, int, Any]]:
        return [
            ("seal", 2, self._seal),
            ("seal_stable", 2, self._seal_stable),
            ("unseal", 2, self._unseal),
            ("blind_index", 1, self._blind_index),
            ("new_data_key_wrap", 0, self._new_data_key_wrap),
            ("sealing_public_key", 0, self._public_key_hex),
            ("members_data_unlocked", 0, lambda: self._key is not None),
        ]

    async def attach(self, conn: aiosqlite.Connection) -> None:
        # Not deterministic: the answer depends on whether the hub is unlocked.
        for name, arity, func in self._functions():
            await conn.create_function(name, arity, func)

    def attach_inline(self, conn: sqlite3.Connection) -> None:
        for name, arity, func in self._functions():
            conn.create_function(name, arity, func)


# -- the rows that say how to unlock -------------------------------------------------


async def unlock_methods_txn(conn: aiosqlite.Connection) -> dict[str, tuple[bytes, str | None]]:
    """method -> (wrapped data key, scrypt parameters as JSON or None)."""
    rows = await conn.execute_fetchall("SELECT method, wrapped, scrypt FROM unlock_methods")
    return {r[0]: (r[1], r[2]) for r in rows}


async def put_method_txn(
    conn: aiosqlite.Connection, method: str, wrapped: bytes, scrypt: str | None, now: int
) -> None:
    await conn.execute(
        "INSERT INTO unlock_methods (method, wrapped, scrypt, set_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (method) DO UPDATE SET wrapped = excluded.wrapped,"
        " scrypt = excluded.scrypt, set_at = excluded.set_at",
        (method, wrapped, scrypt, now),
    )


async def drop_method_txn(conn: aiosqlite.Connection, method: str) -> None:
    await conn.execute("DELETE FROM unlock_methods WHERE method = ?", (method,))


async def public_key_txn(conn: aiosqlite.Connection) -> bytes | None:
    rows = await conn.execute_fetchall("SELECT value FROM node_state WHERE name = ?", (PUBLIC_KEY,))
    return next((bytes.fromhex(r[0]) for r in rows), None)


async def is_locked_txn(conn: aiosqlite.Connection) -> bool:
    rows = await conn.execute_fetchall("SELECT 1 FROM node_state WHERE name = ?", (LOCKED,))
    return bool(rows)


async def set_locked_txn(conn: aiosqlite.Connection, why: str, now: int) -> None:
    """Record the lock and end every session, so nobody stays logged in through it."""
    await conn.execute(
        "INSERT INTO node_state (name, value, set_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
        (LOCKED, why, now),
    )
    await end_sessions_txn(conn)


async def end_sessions_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM sessions")


async def clear_locked_txn(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM node_state WHERE name = ?", (LOCKED,))


def scrypt_json(params: ScryptParams) -> str:
    return json.dumps({"salt": params.salt.hex(), "n": params.n, "r": params.r, "p": params.p})


def scrypt_params(text: str) -> ScryptParams:
    value = json.loads(text)
    return ScryptParams(bytes.fromhex(value["salt"]), value["n"], value["r"], value["p"])


def data_key_from(
    methods: dict[str, tuple[bytes, str | None]],
    keys: Sequence[bytes] = (),
    passphrase: str | None = None,
) -> bytes | None:
    """The data key one of `keys` (key files' bytes) or `passphrase` unwraps; None if
    none does."""
    if FILE in methods:
        for kek in keys:
            try:
                return sealing.unwrap(kek, methods[FILE][0])
            except SealError:
                continue
    if passphrase is not None and PASSPHRASE in methods:
        wrapped, params = methods[PASSPHRASE]
        if params is not None:
            try:
                return sealing.unwrap(
                    sealing.passphrase_kek(passphrase, scrypt_params(params)), wrapped
                )
            except SealError:
                return None
    return None
