"""Content-addressed files (fact sheets, leaflets, images) named by `resource` messages.

A file is stored under its SHA-256 in `files/` in the data directory, written to a
temporary name, synced and renamed, so a file that exists is always whole, and its
hash is checked once, there, never again when it is served. The `resources` table
(filled in the same transaction that stores each `resource` message) lists the files
this node should hold; `stored_at` says which it does, and `fetch_failures` and
`next_fetch_at` how each missing one is retried, on its own (migration 11).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import IO, Protocol

import aiosqlite

from crypto.digest import sha256
from node.clock import Clock
from node.store.resources import stored_txn

FILES_DIR = "files"
PART = ".part"  # a file being written; never served, removed if left by a crash


class FileMismatch(ValueError):
    """Received bytes that are not the file the resource message names."""


class Incoming:
    """A file arriving in pieces: written to a temporary file while it is hashed.

    Nothing is kept unless `keep` finds exactly `size` bytes with the expected
    hash; memory holds one piece at a time whatever the file's size.
    """

    def __init__(self, files: ResourceFiles, digest: bytes, size: int) -> None:
        self._files = files
        self.digest = digest
        self.size = size
        self.received = 0
        self._hash = hashlib.sha256()
        files.root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=digest.hex() + ".", suffix=PART, dir=files.root)
        self._tmp = Path(name)
        self._file: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, piece: bytes) -> None:
        self.received += len(piece)
        if self.received > self.size:
            raise FileMismatch(f"more than the {self.size} bytes the resource names")
        self._hash.update(piece)
        self._file.write(piece)

    def keep(self) -> None:
        """Sync and move the file into place if it is the one named (blocking: run in a thread)."""
        if self.received != self.size:
            raise FileMismatch(f"{self.received} bytes where the resource names {self.size}")
        if self._hash.digest() != self.digest:
            raise FileMismatch("the bytes do not match the hash the resource names")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._tmp.replace(self._files.path(self.digest))

    def discard(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


class FileBooks(Protocol):
    """What ResourceFiles needs of node/store/resources.py."""

    async def stored(self, digest: bytes, now: int) -> None: ...

    async def fetch_failed(self, digest: bytes, next_fetch_at: int) -> int: ...

    async def due(self, now: int, limit: int) -> list[tuple[bytes, int, int]]: ...

    async def next_due_at(self) -> int | None: ...


class ResourceFiles:
    def __init__(self, data_dir: Path, store: FileBooks, clock: Clock) -> None:
        self.root = data_dir / FILES_DIR
        self._store = store
        self._clock = clock

    def path(self, digest: bytes) -> Path:
        return self.root / digest.hex()

    def has(self, digest: bytes) -> bool:
        return self.path(digest).is_file()

    def incoming(self, digest: bytes, size: int) -> Incoming:
        return Incoming(self, digest, size)

    def remove_leftovers(self, older_than_s: float = 3600) -> None:
        """Delete partial files a crash left behind (they never hold a whole file).

        Only old ones: a CLI command in another process may be writing one now.
        """
        if not self.root.is_dir():
            return
        cutoff = time.time() - older_than_s
        for path in self.root.glob("*" + PART):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    async def save(self, data: bytes, expected: bytes | None = None) -> bytes:
        """Store `data` under its hash (checked against `expected` if given)."""
        digest = sha256(data)
        if expected is not None and digest != expected:
            raise FileMismatch("file does not match the hash its resource message names")
        if not self.has(digest):
            incoming = self.incoming(digest, len(data))
            try:
                incoming.write(data)
                incoming.keep()
            finally:
                incoming.discard()
        await self.stored(digest)
        return digest

    async def stored(self, digest: bytes) -> None:
        """Record that the file named `digest` is now held."""
        await self._store.stored(digest, self._clock())

    async def stored_txn(self, conn: aiosqlite.Connection, digest: bytes) -> None:
        """`stored`, inside the caller's write transaction (the resource message's own)."""
        await stored_txn(conn, digest, self._clock())

    async def fetch_failed(self, digest: bytes, retry_in_ms: int) -> int:
        """Count a failed attempt at this file and set when to try it again; the count."""
        return await self._store.fetch_failed(digest, self._clock() + retry_in_ms)

    async def due(self, now: int, limit: int = 20) -> list[tuple[bytes, int, int]]:
        """Missing files whose next attempt is due at `now`, soonest first:
        (hash, size, failures so far).

        Ordered by when each is due, so files that keep failing (backed off) never
        stand in front of ones not yet tried.
        """
        return await self._store.due(now, limit)

    async def next_due_at(self) -> int | None:
        """When the next missing file is due to be tried (ms), or None if none is missing."""
        return await self._store.next_due_at()
