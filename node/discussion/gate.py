"""Who may post now: not suspended from discussions, and within the hourly limit.

Checked inside the write transaction that stores the post, so two posts sent at
once cannot both slip under the limit.
"""

from __future__ import annotations

import time

import aiosqlite

from node.discussion.errors import DiscussionError, RateLimited
from node.store.moderation import suspension_txn
from node.store.topics import post_times_since_txn
from node.wording import Moment, Span, Term

HOUR_MS = 3_600_000


def clean_text(text: object, most: int, what: Term) -> str:
    """Stripped text of 1..most characters, or a DiscussionError saying what is wrong;
    `what` is the text's name with its article ("the reply")."""
    if not isinstance(text, str) or not text.strip():
        raise DiscussionError("Write %(what)s first.", what=what)
    text = text.strip()
    if len(text) > most:
        raise DiscussionError(
            "Keep %(what)s to at most %(most)s characters; it has %(has)s.",
            what=what,
            most=f"{most:,}",
            has=f"{len(text):,}",
        )
    if "\x00" in text:
        raise DiscussionError("There is a character in %(what)s that cannot be stored.", what=what)
    return text


async def check_may_post_txn(
    conn: aiosqlite.Connection, member_id: int, now: int, per_hour: int
) -> None:
    ban = await suspension_txn(conn, member_id, now)
    if ban is not None:
        until = time.strftime("%d %b %Y, %H:%M UTC", time.gmtime(ban[0] / 1000))
        raise DiscussionError(
            "You are suspended from discussions until %(until)s. The moderators said: %(why)s",
            until=Moment(ban[0], until),
            why=ban[1],
        )
    recent = await post_times_since_txn(conn, member_id, now - HOUR_MS)
    if len(recent) >= per_hour:
        # The window frees up when the oldest post in it turns an hour old.
        wait_minutes = max(1, -(-(recent[-per_hour] + HOUR_MS - now) // 60_000))
        raise RateLimited(
            "You have posted %(posts)s times in the last hour, the most this hub allows. You"
            " can post again in %(wait)s; nothing you wrote before was lost.",
            posts=len(recent),
            wait=Span(
                wait_minutes * 60_000,
                f"{wait_minutes} minute{'s' if wait_minutes != 1 else ''}",
            ),
        )
