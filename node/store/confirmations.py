"""SQL for links that confirm an application or a registration by email
(node/accounts/confirmations.py): only each link's SHA-256 is kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from node.store.database import Database


@dataclass(frozen=True, slots=True)
class TakenLink:
    kind: str  # "join" or "register"
    event: bytes | None
    details: dict[str, Any]  # the form's fields, as the link was made
    expires_at: int


class ConfirmationsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        token_hash: bytes,
        kind: str,
        email: str,
        event: bytes | None,
        details: dict[str, str | None],
        now: int,
        expires_at: int,
    ) -> None:
        """Keep a new link, removing expired ones (and the personal data they held)."""
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM confirmations WHERE expires_at <= ?", (now,))
            await conn.execute(
                "INSERT INTO confirmations (token_hash, kind, email, event, details, created_at,"
                " expires_at) VALUES (?, ?, seal('confirmations.email', ?), ?,"
                " seal('confirmations.details', ?), ?, ?)",
                (token_hash, kind, email, event, json.dumps(details), now, expires_at),
            )

    async def pending(self, token_hash: bytes, now: int) -> tuple[str, bytes | None] | None:
        """(kind, event) of a link that has not expired."""
        row = await self._db.fetchone(
            "SELECT kind, event FROM confirmations WHERE token_hash = ? AND expires_at > ?",
            (token_hash, now),
        )
        return (row[0], row[1]) if row else None

    async def take(self, token_hash: bytes) -> TakenLink | None:
        """Remove a link and return what it held: of concurrent requests, one gets it."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM confirmations WHERE token_hash = ? RETURNING kind, event,"
                " unseal('confirmations.details', details), expires_at",
                (token_hash,),
            )
            row = await cursor.fetchone()
            await cursor.close()
        return TakenLink(row[0], row[1], json.loads(row[2]), row[3]) if row else None

    async def event_title(self, event: bytes) -> str | None:
        """The title a registration link's email names the event by."""
        row = await self._db.fetchone("SELECT title FROM events WHERE id = ?", (event,))
        return str(row[0]) if row else None
