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
from node.accounts.permissions import GRANTS, Permission, require
from node.clock import Clock
from node.digits import is_digits
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import clean_text
from node.discussion.hooks import Hooks, report_notice
from node.store.messages import MessageStore
from node.store.moderation import ModerationStore
from node.wording import Term
from protocol.kinds.discussion import Report, ReportReason

# The code of conduct until the moderators write their own: a Term, so the pages show it
# in the reader's language (a hub's own text is shown as written).
DEFAULT_CONDUCT = Term("""\
**Our code of conduct**

- Be kind and assume good faith; argue with ideas, not people.
- No harassment, hate or threats, here or about anyone.
- Keep other people's personal details out of posts.
- Moderators may hide posts that break these rules, warn, or suspend posting.
""")
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
    def __init__(
        self, store: ModerationStore, clock: Clock, messages: MessageStore, hooks: Hooks
    ) -> None:
        self._store = store
        self._clock = clock
        self._messages = messages
        self._hooks = hooks

    async def conduct(self) -> str:
        text = await self._store.conduct()
        return DEFAULT_CONDUCT if text is None else text

    async def set_conduct(self, by: Member, text: object) -> None:
        require(by, Permission.MODERATE, NotAllowed)
        clean = clean_text(text, MAX_CONDUCT, Term("the code of conduct"))
        await self._store.set_conduct(clean, by.id, self._clock())

    # -- reports ---------------------------------------------------------------------

    async def report_post(self, by: Member, post_id: int, reason: object) -> None:
        await self._report(by, "post", post_id, reason)

    async def report_comment(self, by: Member, comment_id: bytes, reason: object) -> None:
        await self._report(by, "comment", comment_id, reason)

    async def _report(
        self, by: Member, what: Literal["post", "comment"], target: int | bytes, reason: object
    ) -> None:
        require(by, Permission.MEMBER, NotAllowed)
        clean = clean_text(reason, MAX_REASON, Term("the reason"))
        if not await self._store.add_report(what, target, clean, by.id, self._clock()):
            if what == "post":
                raise NotFound("There is no such post.")
            raise NotFound("There is no such comment.")
        await self._tell_moderators()

    async def _tell_moderators(self) -> None:
        for notice in report_notice(await self.moderator_ids(), "/moderation"):
            await self._hooks.notify(notice)

    async def moderator_ids(self) -> set[int]:
        roles = [r.value for r in GRANTS[Permission.MODERATE]]
        return await self._store.active_members_with_roles(roles, self._clock())

    async def open_reports(self) -> list[OpenReport]:
        return [
            OpenReport(
                id=r.id,
                reason=r.reason,
                created_at=r.created_at,
                from_hub=r.from_hub,
                post_id=r.post_id,
                topic_id=r.topic_id,
                comment_id=r.comment_id,
                subject=r.subject,
                author=r.author or "A former member",
                author_id=r.author_id,
                # A hidden comment's text is kept as evidence but shown to nobody.
                text=None if r.comment_hidden else r.text,
                origin=r.origin,
            )
            for r in await self._store.open_reports()
        ]

    async def resolve(self, by: Member, report_id: int, outcome: str) -> None:
        require(by, Permission.MODERATE, NotAllowed)
        if not await self._store.resolve_report(report_id, by.id, outcome, self._clock()):
            raise NotFound("That report is already dealt with.")

    # -- hiding ----------------------------------------------------------------------

    async def hide_post(self, by: Member, post_id: int) -> int:
        """Hide a post on this hub; its topic. Open reports of it are closed as hidden."""
        require(by, Permission.MODERATE, NotAllowed)
        topic_id = await self._store.hide_post(post_id, by.id, self._clock())
        if topic_id is None:
            raise NotFound("There is no such post.")
        await self._hooks.unindex(f"post:{post_id}")
        return topic_id

    async def hide_comment(self, by: Member, comment_id: bytes) -> bytes:
        """Hide a comment (from any hub) on this hub only; its subject."""
        require(by, Permission.MODERATE, NotAllowed)
        subject = await self._store.hide_comment(comment_id, by.id, self._clock())
        if subject is None:
            raise NotFound("There is no such comment.")
        await self._hooks.unindex(f"comment:{comment_id.hex()}")
        return subject

    async def report_to_origin(self, by: Member, comment_id: bytes, reason: str) -> None:
        """Tell the comment's origin hub, with a `report` naming no member (§5.20)."""
        require(by, Permission.MODERATE, NotAllowed)
        if reason not in REPORT_REASONS:
            raise DiscussionError("Choose one of the reasons listed.")
        origin = await self._store.comment_origin(comment_id)
        if origin is None:
            raise NotFound("There is no such comment.")
        if origin == self._messages.node_id:
            raise DiscussionError("That comment is from this hub: deal with it here.")
        await self._messages.append(
            "report",
            Report(to=origin, comment=comment_id, reason=reason),  # type: ignore[arg-type]
        )

    async def origin_hidden_count(self, origin: str) -> int:
        """How many of an origin's comments this hub's moderators have hidden."""
        return await self._store.origin_hidden_count(origin)

    # -- members ---------------------------------------------------------------------

    async def warn(self, by: Member, member_id: int, reason: object) -> None:
        """Warn a member, as `by`, who must outrank them (permissions.outranks)."""
        require(by, Permission.MODERATE, NotAllowed)
        clean = clean_text(reason, MAX_REASON, Term("the warning"))
        await self._check_member(member_id)
        now = self._clock()
        await self._store.add_warning(
            member_id,
            clean,
            by.id,
            now,
            check=lambda conn: _check_outranks_txn(conn, by, member_id, now, Term("warn")),
        )

    async def suspend(self, by: Member, member_id: int, days: object, reason: object) -> int:
        """Suspend a member from posting for `days`, as `by`, who must outrank them;
        when it ends (ms)."""
        require(by, Permission.MODERATE, NotAllowed)
        clean = clean_text(reason, MAX_REASON, Term("the reason"))
        if not isinstance(days, str) or not is_digits(days.strip()):
            raise DiscussionError("Give the number of days as a whole number.")
        count = int(days)
        if not 1 <= count <= MAX_SUSPEND_DAYS:
            raise DiscussionError("Suspend for 1 to %(most)s days.", most=MAX_SUSPEND_DAYS)
        await self._check_member(member_id)
        now = self._clock()
        until = now + count * 86_400_000
        await self._store.suspend(
            member_id,
            until,
            clean,
            by.id,
            now,
            check=lambda conn: _check_outranks_txn(conn, by, member_id, now, Term("suspend")),
        )
        return until

    async def lift_suspension(self, by: Member, member_id: int) -> None:
        """Lift a suspension early. Any moderator may: it silences nobody, so unlike
        warn and suspend it needs no rank over the member."""
        require(by, Permission.MODERATE, NotAllowed)
        await self._store.lift_suspension(member_id)

    async def _check_member(self, member_id: int) -> None:
        if not await self._store.member_exists(member_id):
            raise NotFound("There is no such member.")

    async def standing(self, member_id: int) -> tuple[list[tuple[str, int]], int | None]:
        """A member's warnings (reason, when) and the end of any suspension in force."""
        warnings = await self._store.warnings(member_id)
        return warnings, await self._store.suspended_until(member_id, self._clock())

    async def suspended(self) -> list[tuple[int, str, int, str]]:
        """(member id, name, until, reason) of members suspended from posting now."""
        rows = await self._store.suspended(self._clock())
        return [(m, name or "A former member", until, why) for m, name, until, why in rows]


async def _check_outranks_txn(
    conn: aiosqlite.Connection, by: Member, member_id: int, now: int, doing: str
) -> None:
    """NotAllowed (403) unless `by` moderates and outranks `member_id`'s roles."""
    require(by, Permission.MODERATE, NotAllowed)
    try:
        await check_outranks_txn(conn, by, member_id, now, doing, Permission.MODERATE)
    except AccountError as exc:
        raise NotAllowed(str(exc)) from exc
