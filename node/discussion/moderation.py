"""Moderation: the hub's code of conduct, reports, hiding, warnings and suspensions.

Hiding is local: a hidden post or comment is kept (moderators may need it as
evidence) but its text is shown to nobody. A remote comment can also be
reported to the hub it came from with a `report` message that names no member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosqlite

from node.accounts.members import AccountError, Member, check_outranks_txn
from node.accounts.permissions import GRANTS, Permission
from node.clock import Clock
from node.digits import is_digits
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import clean_text
from node.discussion.hooks import Hooks, report_notice
from node.store.database import Database
from node.store.messages import MessageStore
from protocol.kinds.discussion import Report, ReportReason

DEFAULT_CONDUCT = """\
**Our code of conduct**

- Be kind and assume good faith; argue with ideas, not people.
- No harassment, hate or threats, here or about anyone.
- Keep other people's personal details out of posts.
- Moderators may hide posts that break these rules, warn, or suspend posting.
"""
REPORT_REASONS: tuple[str, ...] = ReportReason.__args__  # type: ignore[attr-defined]
MAX_CONDUCT = 10_000
MAX_REASON = 500
MAX_SUSPEND_DAYS = 365


@dataclass(frozen=True, slots=True)
class OpenReport:
    id: int
    reason: str
    created_at: int
    from_hub: str | None  # set for a report another hub sent about our comment
    post_id: int | None
    topic_id: int | None
    comment_id: bytes | None
    subject: bytes | None  # the message the reported comment discusses
    author: str  # a member's name for a post, a display name for a comment
    author_id: int | None  # the local member, if the author is one of ours
    text: str | None  # what was reported, unless already removed
    origin: str | None  # the reported comment's origin


class Moderation:
    def __init__(self, db: Database, clock: Clock, messages: MessageStore, hooks: Hooks) -> None:
        self._db = db
        self._clock = clock
        self._messages = messages
        self._hooks = hooks

    async def conduct(self) -> str:
        row = await self._db.fetchone("SELECT text FROM conduct WHERE id = 1")
        return str(row[0]) if row else DEFAULT_CONDUCT

    async def set_conduct(self, moderator_id: int, text: object) -> None:
        clean = clean_text(text, MAX_CONDUCT, "code of conduct")
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO conduct (id, text, updated_at, updated_by) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET text = excluded.text,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (clean, self._clock(), moderator_id),
            )

    # -- reports ---------------------------------------------------------------------

    async def report_post(self, member_id: int, post_id: int, reason: object) -> None:
        await self._report(member_id, "post", post_id, reason)

    async def report_comment(self, member_id: int, comment_id: bytes, reason: object) -> None:
        await self._report(member_id, "comment", comment_id, reason)

    async def _report(
        self, member_id: int, what: Literal["post", "comment"], target: int | bytes, reason: object
    ) -> None:
        clean = clean_text(reason, MAX_REASON, "reason")
        # Names from the Literal above, never from input: posts/post_id, comments/comment_id.
        async with self._db.write() as conn:
            async with conn.execute(f"SELECT 1 FROM {what}s WHERE id = ?", (target,)) as cursor:
                if await cursor.fetchone() is None:
                    raise NotFound(f"There is no such {what}.")
            await conn.execute(
                f"INSERT INTO reports ({what}_id, reason, reporter_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                (target, clean, member_id, self._clock()),
            )
        await self._tell_moderators()

    async def _tell_moderators(self) -> None:
        for notice in report_notice(await self.moderator_ids(), "/moderation"):
            await self._hooks.notify(notice)

    async def moderator_ids(self) -> set[int]:
        roles = [r.value for r in GRANTS[Permission.MODERATE]]
        now = self._clock()
        rows = await self._db.fetchall(
            "SELECT DISTINCT r.member_id FROM member_roles r JOIN members m ON m.id = r.member_id"
            f" WHERE m.status = 'active' AND r.role IN ({','.join('?' * len(roles))})"
            " AND r.starts_at <= ? AND (r.ends_at IS NULL OR r.ends_at > ?)",
            (*roles, now, now),
        )
        return {r[0] for r in rows}

    async def open_reports(self) -> list[OpenReport]:
        rows = await self._db.fetchall(
            "SELECT r.id, r.reason, r.created_at, r.from_hub, r.post_id, p.topic_id,"
            " r.comment_id, c.subject, coalesce(pm.name, c.author), coalesce(p.member_id,"
            " a.member_id), CASE WHEN p.hidden_at IS NULL THEN coalesce(p.text, c.text) END,"
            " c.origin, c.hidden_at"
            " FROM reports r LEFT JOIN posts p ON p.id = r.post_id"
            " LEFT JOIN members pm ON pm.id = p.member_id"
            " LEFT JOIN comments c ON c.id = r.comment_id"
            " LEFT JOIN comment_authors a ON a.comment_id = r.comment_id"
            " WHERE r.resolved_at IS NULL ORDER BY r.created_at",
        )
        return [
            OpenReport(
                id=r[0],
                reason=r[1],
                created_at=r[2],
                from_hub=r[3],
                post_id=r[4],
                topic_id=r[5],
                comment_id=bytes(r[6]) if r[6] is not None else None,
                subject=bytes(r[7]) if r[7] is not None else None,
                author=r[8] or "A former member",
                author_id=r[9],
                text=r[10] if r[12] is None else None,
                origin=r[11],
            )
            for r in rows
        ]

    async def resolve(self, moderator_id: int, report_id: int, outcome: str) -> None:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = ?"
                " WHERE id = ? AND resolved_at IS NULL",
                (self._clock(), moderator_id, outcome, report_id),
            )
            if cursor.rowcount != 1:
                raise NotFound("That report is already dealt with.")

    # -- hiding ----------------------------------------------------------------------

    async def hide_post(self, moderator_id: int, post_id: int) -> int:
        """Hide a post on this hub; its topic. Open reports of it are closed as hidden."""
        now = self._clock()
        async with self._db.write() as conn:
            async with conn.execute("SELECT topic_id FROM posts WHERE id = ?", (post_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                raise NotFound("There is no such post.")
            await conn.execute(
                "UPDATE posts SET hidden_at = coalesce(hidden_at, ?), hidden_by = ? WHERE id = ?",
                (now, moderator_id, post_id),
            )
            await conn.execute(
                "UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = 'hidden'"
                " WHERE post_id = ? AND resolved_at IS NULL",
                (now, moderator_id, post_id),
            )
        await self._hooks.unindex(f"post:{post_id}")
        return int(row[0])

    async def hide_comment(self, moderator_id: int, comment_id: bytes) -> bytes:
        """Hide a comment (from any hub) on this hub only; its subject."""
        now = self._clock()
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT subject FROM comments WHERE id = ?", (comment_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise NotFound("There is no such comment.")
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
        await self._hooks.unindex(f"comment:{comment_id.hex()}")
        return bytes(row[0])

    async def report_to_origin(self, comment_id: bytes, reason: str) -> None:
        """Tell the comment's origin hub, with a `report` naming no member (§5.20)."""
        if reason not in REPORT_REASONS:
            raise DiscussionError("Choose one of the reasons listed.")
        row = await self._db.fetchone("SELECT origin FROM comments WHERE id = ?", (comment_id,))
        if row is None:
            raise NotFound("There is no such comment.")
        if row[0] == self._messages.node_id:
            raise DiscussionError("That comment is from this hub: deal with it here.")
        await self._messages.append(
            "report",
            Report(to=str(row[0]), comment=comment_id, reason=reason),  # type: ignore[arg-type]
        )

    async def origin_hidden_count(self, origin: str) -> int:
        """How many of an origin's comments this hub's moderators have hidden."""
        row = await self._db.fetchone(
            "SELECT count(*) FROM comments WHERE origin = ? AND hidden_at IS NOT NULL", (origin,)
        )
        return int(row[0]) if row else 0

    # -- members ---------------------------------------------------------------------

    async def warn(self, by: Member, member_id: int, reason: object) -> None:
        """Warn a member, as `by`, who must outrank them (permissions.outranks)."""
        clean = clean_text(reason, MAX_REASON, "warning")
        await self._check_member(member_id)
        async with self._db.write() as conn:
            await _check_outranks_txn(conn, by, member_id, self._clock(), "warn")
            await conn.execute(
                "INSERT INTO warnings (member_id, reason, given_by, given_at) VALUES (?, ?, ?, ?)",
                (member_id, clean, by.id, self._clock()),
            )

    async def suspend(self, by: Member, member_id: int, days: object, reason: object) -> int:
        """Suspend a member from posting for `days`, as `by`, who must outrank them;
        when it ends (ms)."""
        clean = clean_text(reason, MAX_REASON, "reason")
        if not isinstance(days, str) or not is_digits(days.strip()):
            raise DiscussionError("Give the number of days as a whole number.")
        count = int(days)
        if not 1 <= count <= MAX_SUSPEND_DAYS:
            raise DiscussionError(f"Suspend for 1 to {MAX_SUSPEND_DAYS} days.")
        await self._check_member(member_id)
        now = self._clock()
        until = now + count * 86_400_000
        async with self._db.write() as conn:
            await _check_outranks_txn(conn, by, member_id, now, "suspend")
            await conn.execute(
                "INSERT INTO discussion_bans (member_id, until, reason, given_by, given_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
                " until = excluded.until, reason = excluded.reason,"
                " given_by = excluded.given_by, given_at = excluded.given_at",
                (member_id, until, clean, by.id, now),
            )
        return until

    async def lift_suspension(self, member_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM discussion_bans WHERE member_id = ?", (member_id,))

    async def _check_member(self, member_id: int) -> None:
        row = await self._db.fetchone("SELECT 1 FROM members WHERE id = ?", (member_id,))
        if row is None:
            raise NotFound("There is no such member.")

    async def standing(self, member_id: int) -> tuple[list[tuple[str, int]], int | None]:
        """A member's warnings (reason, when) and the end of any suspension in force."""
        warnings = await self._db.fetchall(
            "SELECT reason, given_at FROM warnings WHERE member_id = ? ORDER BY given_at DESC",
            (member_id,),
        )
        ban = await self._db.fetchone(
            "SELECT until FROM discussion_bans WHERE member_id = ? AND until > ?",
            (member_id, self._clock()),
        )
        return [(r[0], r[1]) for r in warnings], (int(ban[0]) if ban else None)

    async def suspended(self) -> list[tuple[int, str, int, str]]:
        """(member id, name, until, reason) of members suspended from posting now."""
        rows = await self._db.fetchall(
            "SELECT b.member_id, m.name, b.until, b.reason FROM discussion_bans b"
            " JOIN members m ON m.id = b.member_id WHERE b.until > ? ORDER BY b.until",
            (self._clock(),),
        )
        return [(r[0], r[1] or "A former member", r[2], r[3]) for r in rows]


async def _check_outranks_txn(
    conn: aiosqlite.Connection, by: Member, member_id: int, now: int, doing: str
) -> None:
    """NotAllowed (403) unless `by` moderates and outranks `member_id`'s roles."""
    if not by.can(Permission.MODERATE):
        raise NotAllowed("Only the hub's moderators can do that.")
    try:
        await check_outranks_txn(conn, by, member_id, now, doing, Permission.MODERATE)
    except AccountError as exc:
        raise NotAllowed(str(exc)) from exc
