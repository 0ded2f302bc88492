"""Content-addressed files (fact sheets, leaflets, images) named by `resource` messages.

A file is stored under its SHA-256 in `files/` in the data directory, written to a
temporary name, synced and renamed, so a file that exists is always whole. The
`resources` table (filled in the same transaction that stores each `resource`
message) lists the files this node should hold; `stored_at` says which it does.
"""

from __future__ import annotations

import os
from pathlib import Path

from crypto.digest import sha256
from node.clock import Clock
from node.store.database import Database

FILES_DIR = "files"


class ResourceFiles:
    def __init__(self, data_dir: Path, db: Database, clock: Clock) -> None:
        self.root = data_dir / FILES_DIR
        self._db = db
        self._clock = clock

    def path(self, digest: bytes) -> Path:
        return self.root / digest.hex()

    def has(self, digest: bytes) -> bool:
        return self.path(digest).is_file()

    async def save(self, data: bytes, expected: bytes | None = None) -> bytes:
        """Store `data` under its hash (checked against `expected` if given)."""
        digest = sha256(data)
        if expected is not None and digest != expected:
            raise ValueError("file does not match the hash its resource message names")
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(digest)
        if not final.exists():
            tmp = final.with_suffix(".part")
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(final)
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE resources SET stored_at = ? WHERE hash = ? AND stored_at IS NULL",
                (self._clock(), digest),
            )
        return digest

    async def missing(self, limit: int = 20) -> list[tuple[bytes, int]]:
        """Files named by resource messages that this node does not hold yet: (hash, size)."""
        async with self._db.reader.execute(
            "SELECT hash, size FROM resources WHERE stored_at IS NULL ORDER BY rowid LIMIT ?",
            (limit,),
        ) as cursor:
            return [(bytes(h), int(s)) for h, s in await cursor.fetchall()]
