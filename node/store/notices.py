"""SQL for notices to members and the email queues (node/notices.py).

Two queues: `email_outbox` holds email to members (the address is read when it is
sent, so a member who left gets none), `email_to_address` email to an address that
may be no member's (confirmation links).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

from node.store.database import Database

Queue = Literal["email_outbox", "email_to_address"]


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    text: str
    link: str | None
    created_at: int
    read: bool


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    id: int
    to: str | None  # None: a member who left, or has no address
    name: str | None
    subject: str
    body: str
    attempts: int
    active: bool  # to an address, or a member still active


@dataclass(frozen=True, slots=True)
class MemberEmail:
    """An email queued with notices: the same subject and body for each member."""

    subject: str
    body: str


async def forget_member_txn(conn: aiosqlite.Connection, member_id: int) -> None:
    """A member who leaves: their notices and queued email go."""
    await conn.execute("DELETE FROM notices WHERE member_id = ?", (member_id,))
    await conn.execute("DELETE FROM email_outbox WHERE member_id = ?", (member_id,))


async def add_notices_txn(
    conn: aiosqlite.Connection,
    member_ids: Sequence[int],
    text: str,
    link: str | None,
    now: int,
    email: MemberEmail | None,
) -> None:
    """A notice for each member and, with `email`, an email to each who is active and
    has an address, inside the caller's transaction. Both are sealed, to the node's
    public key while the hub is locked (node/store/sealing.py): a notice raised by a
    message from another hub never stops that message being stored."""
    await conn.executemany(
        "INSERT INTO notices (member_id, text, link, created_at)"
        " VALUES (?, seal('notices.text', ?), ?, ?)",
        [(m, text, link, now) for m in member_ids],
    )
    if email is not None:
        await conn.executemany(
            "INSERT INTO email_outbox (member_id, subject, body, created_at, next_attempt)"
            " SELECT id, seal('email_outbox.subject', ?), seal('email_outbox.body', ?), ?, ?"
            " FROM members WHERE id = ? AND status = 'active'"
            " AND email IS NOT NULL",
            [(email.subject, email.body, now, now, m) for m in member_ids],
        )


# A notice's text and email in a language (a member's, or None: the hub's).
Composer = Callable[[str | None], tuple[str, MemberEmail | None]]


async def add_in_languages_txn(
    conn: aiosqlite.Connection,
    member_ids: Sequence[int],
    link: str | None,
    now: int,
    compose: Composer,
) -> None:
    """A notice (and email) for each member in their own language (members.language),
    `compose` making the words once for each language among them."""
    # Only the members who chose a language: few rows, whatever the number told.
    rows = await conn.execute_fetchall(
        "SELECT id, language FROM members WHERE language IS NOT NULL"
    )
    chosen: dict[int, str | None] = {int(r[0]): r[1] for r in rows}
    by_language: dict[str | None, list[int]] = defaultdict(list)
    for member_id in member_ids:
        by_language[chosen.get(member_id)].append(member_id)
    for language, ids in by_language.items():
        text, email = compose(language)
        await add_notices_txn(conn, ids, text, link, now, email)


class NoticesStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, member_ids: Sequence[int], link: str | None, now: int, compose: Composer
    ) -> None:
        """A notice for each member and an email to each who is active and has an
        address (if `compose` makes one), in their language, in one transaction."""
        async with self._db.write() as conn:
            await add_in_languages_txn(conn, member_ids, link, now, compose)

    async def add_once(
        self,
        keys: Sequence[str],
        member_ids: Sequence[int],
        link: str | None,
        now: int,
        compose: Composer,
    ) -> bool:
        """Like `add`, unless a notice under the first of `keys` was given before: the keys
        are recorded (in `node_state`) in the same transaction, so a notice goes once,
        even across a restart. Whether it went now."""
        async with self._db.write() as conn:
            for i, key in enumerate(keys):
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO node_state (name, value, set_at) VALUES (?, 'sent', ?)",
                    (f"notice:{key}", now),
                )
                if i == 0 and cursor.rowcount != 1:
                    return False  # given before: nothing written
            await add_in_languages_txn(conn, member_ids, link, now, compose)
            return True

    async def sent(self, key: str) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM node_state WHERE name = ?", (f"notice:{key}",))
        return row is not None

    async def active_members_with_roles(self, roles: Sequence[str], now: int) -> list[int]:
        """Active members holding one of `roles` at `now`."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT r.member_id FROM member_roles r JOIN members m ON m.id = r.member_id"
            f" WHERE m.status = 'active' AND r.role IN ({','.join('?' * len(roles))})"
            " AND r.starts_at <= ? AND (r.ends_at IS NULL OR r.ends_at > ?) ORDER BY r.member_id",
            (*roles, now, now),
        )
        return [int(r[0]) for r in rows]

    async def active_members(self) -> list[int]:
        return [
            r[0] for r in await self._db.fetchall("SELECT id FROM members WHERE status = 'active'")
        ]

    async def unread_count(self, member_id: int, reminder_suffix: str) -> tuple[int, set[str]]:
        """How many of the member's notices are unread, and the links of the reminders
        among them (links ending in `reminder_suffix`), in one read."""
        # The badge on every page: kept until the next write (Database.kept).
        row = await self._db.kept(
            ("unread", member_id, reminder_suffix),
            lambda: self._db.fetchone_inline(
                "SELECT count(*), group_concat(CASE WHEN substr(link, -?2) = ?3 THEN link END,"
                " char(10)) FROM notices WHERE member_id = ?1 AND read_at IS NULL",
                (member_id, len(reminder_suffix), reminder_suffix),
            ),
        )
        if not row:
            return 0, set()
        return int(row[0]), set(row[1].split("\n")) if row[1] else set()

    async def unread(self, member_id: int, limit: int) -> list[Notice]:
        rows = await self._db.fetchall(
            "SELECT id, unseal('notices.text', text), link, created_at FROM notices"
            " WHERE member_id = ? AND read_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ?",
            (member_id, limit),
        )
        return [Notice(r[0], r[1], r[2], r[3], False) for r in rows]

    async def recent(self, member_id: int, limit: int) -> list[Notice]:
        rows = await self._db.fetchall(
            "SELECT id, unseal('notices.text', text), link, created_at, read_at FROM notices"
            " WHERE member_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (member_id, limit),
        )
        return [Notice(r[0], r[1], r[2], r[3], r[4] is not None) for r in rows]

    async def mark_read(self, member_id: int, notice_id: int | None, now: int) -> int:
        """Mark one notice (or, with None, all) of this member read; how many changed."""
        sql = "UPDATE notices SET read_at = ? WHERE member_id = ? AND read_at IS NULL"
        params: tuple[int, ...] = (now, member_id)
        if notice_id is not None:
            sql += " AND id = ?"
            params += (notice_id,)
        async with self._db.write() as conn:
            cursor = await conn.execute(sql, params)
            return int(cursor.rowcount)

    async def open(self, member_id: int, notice_id: int, now: int) -> Notice | None:
        """This member's notice `notice_id`, marked read (None if it is not theirs)."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE notices SET read_at = ? WHERE id = ? AND member_id = ? AND read_at IS NULL",
                (now, notice_id, member_id),
            )
            rows = await conn.execute_fetchall(
                "SELECT id, unseal('notices.text', text), link, created_at FROM notices"
                " WHERE id = ? AND member_id = ?",
                (notice_id, member_id),
            )
        return next((Notice(r[0], r[1], r[2], r[3], True) for r in rows), None)

    async def export_member_records(self, member_id: int) -> dict[str, Any]:
        """The member's notices, for their data download."""
        notices = [
            {"text": t, "link": link, "created_at_ms": c, "read_at_ms": r}
            for t, link, c, r in await self._db.fetchall(
                "SELECT unseal('notices.text', text), link, created_at, read_at FROM notices"
                " WHERE member_id = ? ORDER BY id",
                (member_id,),
            )
        ]
        return {"notices": notices}

    async def forget_member_txn(self, conn: aiosqlite.Connection, member_id: int) -> None:
        await forget_member_txn(conn, member_id)

    # -- email ------------------------------------------------------------------

    async def queue_to_address(self, address: str, subject: str, body: str, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO email_to_address (address, subject, body, created_at, next_attempt)"
                " VALUES (seal('email_to_address.address', ?), seal('email_to_address.subject', ?),"
                " seal('email_to_address.body', ?), ?, ?)",
                (address, subject, body, now, now),
            )

    async def due_to_members(self, now: int, limit: int) -> list[QueuedEmail]:
        rows = await self._db.fetchall(
            "SELECT o.id, unseal('email_outbox.subject', o.subject),"
            " unseal('email_outbox.body', o.body), o.attempts, unseal('members.email', m.email),"
            " unseal('members.name', m.name), m.status"
            " FROM email_outbox o JOIN members m ON m.id = o.member_id"
            " WHERE o.next_attempt <= ? ORDER BY o.next_attempt, o.id LIMIT ?",
            (now, limit),
        )
        return [
            QueuedEmail(i, email, name, subject, body, attempts, status == "active")
            for i, subject, body, attempts, email, name, status in rows
        ]

    async def due_to_addresses(self, now: int, limit: int) -> list[QueuedEmail]:
        rows = await self._db.fetchall(
            "SELECT id, unseal('email_to_address.address', address),"
            " unseal('email_to_address.subject', subject), unseal('email_to_address.body', body),"
            " attempts FROM email_to_address"
            " WHERE next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
            (now, limit),
        )
        return [
            QueuedEmail(i, address, None, subject, body, attempts, True)
            for i, address, subject, body, attempts in rows
        ]

    async def remove(self, queue: Queue, email_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(f"DELETE FROM {queue} WHERE id = ?", (email_id,))

    async def retry_later(
        self, queue: Queue, email_id: int, attempts: int, next_attempt: int, error: str
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                f"UPDATE {queue} SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
                (attempts, next_attempt, error, email_id),
            )

    async def queued(self) -> int:
        row = await self._db.fetchone(
            "SELECT (SELECT count(*) FROM email_outbox) + (SELECT count(*) FROM email_to_address)"
        )
        return int(row[0]) if row else 0
