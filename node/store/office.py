"""SQL for running the hub from the browser (node/mail_setup.py, node/accounts/invitations.py,
node/setup_checklist.py): settings and open invitations kept as named `node_state` rows,
and the few facts the first-run checklist reads.

Settings are rows `mail.host`, `mail.port`…; an open invitation is a row
`invite:<hex SHA-256 of its token>` whose value is JSON (name, email, who made it,
when it expires). Only the token's hash is kept, as for reset links.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from node.store.accounts import NewAccount, add_account_txn
from node.store.database import Database

INVITE = "invite:"
FIRST_PASSWORD = "first-password"  # "<member id> <hash>" of the password set at first run


@dataclass(frozen=True, slots=True)
class InviteRow:
    digest: bytes
    name: str | None
    email: str | None
    created_by: int | None
    created_at: int
    expires_at: int


def _invite(name: str, value: str) -> InviteRow:
    data: dict[str, Any] = json.loads(value)
    return InviteRow(
        bytes.fromhex(name.removeprefix(INVITE)),
        data.get("name"),
        data.get("email"),
        data.get("by"),
        int(data["created_at"]),
        int(data["expires_at"]),
    )


class OfficeStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # What only a write can change, kept until the next one (Database.kept).
        self.kept = db.kept

    async def values(self, prefix: str) -> dict[str, str]:
        """Every node_state row whose name starts with `prefix`."""
        rows = await self._db.fetchall(
            "SELECT name, value FROM node_state WHERE substr(name, 1, ?) = ?",
            (len(prefix), prefix),
        )
        return {str(n): str(v) for n, v in rows}

    async def put(self, values: Mapping[str, str | None], now: int) -> None:
        """Set (or, for None, remove) named rows in one transaction."""
        async with self._db.write() as conn:
            for name, value in values.items():
                if value is None:
                    await conn.execute("DELETE FROM node_state WHERE name = ?", (name,))
                else:
                    await conn.execute(
                        "INSERT INTO node_state (name, value, set_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                        " set_at = excluded.set_at",
                        (name, value, now),
                    )

    # -- invitations --------------------------------------------------------------

    async def add_invite(
        self, digest: bytes, name: str | None, email: str | None, by: int, now: int, ends: int
    ) -> None:
        value = {"name": name, "email": email, "by": by, "created_at": now, "expires_at": ends}
        await self.put({INVITE + digest.hex(): json.dumps(value)}, now)

    async def open_invites(self, now: int) -> list[InviteRow]:
        rows = await self.values(INVITE)
        found = [_invite(n, v) for n, v in rows.items()]
        return sorted((i for i in found if i.expires_at > now), key=lambda i: i.created_at)

    async def invite(self, digest: bytes, now: int) -> InviteRow | None:
        row = await self._db.fetchone(
            "SELECT name, value FROM node_state WHERE name = ?", (INVITE + digest.hex(),)
        )
        found = _invite(row[0], row[1]) if row else None
        return found if found is not None and found.expires_at > now else None

    async def cancel_invite(self, digest: bytes) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM node_state WHERE name = ?", (INVITE + digest.hex(),)
            )
            return cursor.rowcount > 0

    async def accept_invite(self, digest: bytes, account: NewAccount, now: int) -> int | None:
        """Spend the invitation and make the active account in one transaction: the
        account's id, None if the invitation is unknown, spent or expired. Raises
        sqlite3.IntegrityError (nothing spent) if an account has the address."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT name, value FROM node_state WHERE name = ?", (INVITE + digest.hex(),)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or _invite(row[0], row[1]).expires_at <= now:
                return None
            await conn.execute("DELETE FROM node_state WHERE name = ?", (row[0],))
            return await add_account_txn(conn, account, now)

    async def forget_expired_invites(self, now: int) -> None:
        for row in await self.open_invites(0):
            if row.expires_at <= now:
                await self.cancel_invite(row.digest)

    # -- what the first-run checklist reads ----------------------------------------

    async def password_hash(self, member_id: int) -> str | None:
        row = await self._db.fetchone(
            "SELECT password_hash FROM members WHERE id = ?", (member_id,)
        )
        return str(row[0]) if row and row[0] is not None else None

    async def peer_count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM peers WHERE blocked = 0")
        return int(row[0]) if row else 0

    async def applications(self) -> int:
        # The organisers' badge on every page: kept until the next write.
        row = await self._db.kept(
            "applications",
            lambda: self._db.fetchone_inline(
                "SELECT count(*) FROM members WHERE status = 'applied'"
            ),
        )
        return int(row[0]) if row else 0


IntegrityError = sqlite3.IntegrityError
