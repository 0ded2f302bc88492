"""SQL for moderation: the code of conduct, reports, hiding, warnings and suspensions.

The rules (who may moderate whom, what a reason must say) stay in
node/discussion/moderation.py; a check that must hold when a row is written runs
as a `TxnCheck` inside that write's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from node.store.database import Database
from node.store.topics import TxnCheck


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: int
    reason: str
    created_at: int
    from_hub: str | None
    post_id: int | None
    topic_id: int | None
    comment_id: bytes | None
    subject: bytes | None
    author: str | None  # the post's member's name, or the comment's display name
    author_id: int | None
    text: str | None  # None once the post is hidden or the text removed
    origin: str | None
    comment_hidden: bool


async def suspension_txn(
    conn: aiosqlite.Connection, member_id: int, now: int
) -> tuple[int, str] | None:
    """(until, reason) of the member's suspension from discussions in force at `now`."""
    async with conn.execute(
        "SELECT until, unseal('discussion_bans.reason', reason) FROM discussion_bans"
        " WHERE member_id = ? AND until > ?",
        (member_id, now),
    ) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


class ModerationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def conduct(self) -> str | None:
        row = await self._db.fetchone("SELECT text FROM conduct WHERE id = 1")
        return str(row[0]) if row else None

    async def set_conduct(self, text: str, moderator_id: int, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO conduct (id, text, updated_at, updated_by) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET text = excluded.text,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (text, now, moderator_id),
            )

    # -- reports ---------------------------------------------------------------------

    async def add_report(
        self,
        what: Literal["post", "comment"],
        target: int | bytes,
        reason: str,
        reporter_id: int,
        now: int,
    ) -> bool:
        """Record a report of a post or comment; False (nothing written) if there is none."""
        # Names from the Literal above, never from input: posts/post_id, comments/comment_id.
        async with self._db.write() as conn:
            async with conn.execute(f"SELECT 1 FROM {what}s WHERE id = ?", (target,)) as cursor:
                if await cursor.fetchone() is None:
                    return False
            await conn.execute(
                f"INSERT INTO reports ({what}_id, reason, reporter_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                (target, reason, reporter_id, now),
            )
        return True

    async def active_members_with_roles(self, roles: Sequence[str], now: int) -> set[int]:
        """Active members holding one of `roles` at `now`."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT r.member_id FROM member_roles r JOIN members m ON m.id = r.member_id"
            f" WHERE m.status = 'active' AND r.role IN ({','.join('?' * len(roles))})"
            " AND r.starts_at <= ? AND (r.ends_at IS NULL OR r.ends_at > ?)",
            (*roles, now, now),
        )
        return {r[0] for r in rows}

    async def open_reports(self) -> list[ReportRow]:
        rows = await self._db.fetchall(
            "SELECT r.id, r.reason, r.created_at, r.from_hub, r.post_id, p.topic_id,"
            " r.comment_id, c.subject, coalesce(unseal('members.name', pm.name), c.author),"
            " coalesce(p.member_id,"
            " a.member_id), CASE WHEN p.hidden_at IS NULL THEN coalesce(p.text, c.text) END,"
            " c.origin, c.hidden_at"
            " FROM reports r LEFT JOIN posts p ON p.id = r.post_id"
            " LEFT JOIN members pm ON pm.id = p.member_id"
            " LEFT JOIN comments c ON c.id = r.comment_id"
            " LEFT JOIN comment_authors a ON a.comment_id = r.comment_id"
            " WHERE r.resolved_at IS NULL ORDER BY r.created_at",
        )
        return [
            ReportRow(
                id=r[0],
                reason=r[1],
                created_at=r[2],
                from_hub=r[3],
                post_id=r[4],
                topic_id=r[5],
                comment_id=bytes(r[6]) if r[6] is not None else None,
                subject=bytes(r[7]) if r[7] is not None else None,
                author=r[8],
                author_id=r[9],
                text=r[10],
                origin=r[11],
                comment_hidden=r[12] is not None,
            )
            for r in rows
        ]

    async def resolve_report(
        self, report_id: int, moderator_id: int, outcome: str, now: int
    ) -> bool:
        """Close an open report; False if it is not open (or not there)."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = ?"
                " WHERE id = ? AND resolved_at IS NULL",
                (now, moderator_id, outcome, report_id),
            )
            return cursor.rowcount == 1

    # -- hiding ----------------------------------------------------------------------

    async def hide_post(self, post_id: int, moderator_id: int, now: int) -> int | None:
        """Hide a post and close its open reports as hidden; its topic, None if no post."""
        async with self._db.write() as conn:
            async with conn.execute("SELECT topic_id FROM posts WHERE id = ?", (post_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            await conn.execute(
                "UPDATE posts SET hidden_at = coalesce(hidden_at, ?), hidden_by = ? WHERE id = ?",
                (now, moderator_id, post_id),
            )
            await conn.execute(
                "UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = 'hidden'"
                " WHERE post_id = ? AND resolved_at IS NULL",
                (now, moderator_id, post_id),
            )
        return int(row[0])

    async def hide_comment(self, comment_id: bytes, moderator_id: int, now: int) -> bytes | None:
        """Hide a comment and close its open reports as hidden; its subject, None if none."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT subject FROM comments WHERE id = ?", (comment_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            await conn.execute(
                "UPDATE comments SET hidden_at = coalesce(hidden_at, ?), hidden_by = ?"
                " WHERE id = ?",
                (now, moderator_id, comment_id),
            )
            await conn.execute(
                "UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = 'hidden'"
                " WHERE comment_id = ? AND resolved_at IS NULL",
                (now, moderator_id, comment_id),
            )
        return bytes(row[0])

    async def comment_origin(self, comment_id: bytes) -> str | None:
        row = await self._db.fetchone("SELECT origin FROM comments WHERE id = ?", (comment_id,))
        return str(row[0]) if row else None

    async def origin_hidden_count(self, origin: str) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM comments WHERE origin = ? AND hidden_at IS NOT NULL", (origin,)
        )
        return int(row[0]) if row else 0

    # -- members ---------------------------------------------------------------------

    async def member_exists(self, member_id: int) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM members WHERE id = ?", (member_id,))
        return row is not None

    async def add_warning(
        self, member_id: int, reason: str, by_id: int, now: int, check: TxnCheck
    ) -> None:
        async with self._db.write() as conn:
            await check(conn)
            await conn.execute(
                "INSERT INTO warnings (member_id, reason, given_by, given_at)"
                " VALUES (?, seal('warnings.reason', ?), ?, ?)",
                (member_id, reason, by_id, now),
            )

    async def suspend(
        self, member_id: int, until: int, reason: str, by_id: int, now: int, check: TxnCheck
    ) -> None:
        """Suspend from posting until `until`, replacing any suspension already given."""
        async with self._db.write() as conn:
            await check(conn)
            await conn.execute(
                "INSERT INTO discussion_bans (member_id, until, reason, given_by, given_at)"
                " VALUES (?, ?, seal('discussion_bans.reason', ?), ?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET"
                " until = excluded.until, reason = excluded.reason,"
                " given_by = excluded.given_by, given_at = excluded.given_at",
                (member_id, until, reason, by_id, now),
            )

    async def lift_suspension(self, member_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM discussion_bans WHERE member_id = ?", (member_id,))

    async def warnings(self, member_id: int) -> list[tuple[str, int]]:
        """(reason, when) of the member's warnings, newest first."""
        rows = await self._db.fetchall(
            "SELECT unseal('warnings.reason', reason), given_at FROM warnings"
            " WHERE member_id = ? ORDER BY given_at DESC",
            (member_id,),
        )
        return [(r[0], r[1]) for r in rows]

    async def suspended_until(self, member_id: int, now: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT until FROM discussion_bans WHERE member_id = ? AND until > ?",
            (member_id, now),
        )
        return int(row[0]) if row else None

    async def suspended(self, now: int) -> list[tuple[int, str | None, int, str]]:
        """(member id, name, until, reason) of members suspended from posting at `now`."""
        rows = await self._db.fetchall(
            "SELECT b.member_id, unseal('members.name', m.name), b.until,"
            " unseal('discussion_bans.reason', b.reason) FROM discussion_bans b"
            " JOIN members m ON m.id = b.member_id WHERE b.until > ? ORDER BY b.until",
            (now,),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]
