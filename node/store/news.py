"""SQL for the hub's news (node/news.py): announcements, their updates and withdrawals,
read from the log itself (no table of their own: the messages are the record)."""

from __future__ import annotations

import aiosqlite

from node.store.database import Database
from protocol.envelope import Message, parse_payload
from protocol.kinds.hub import AnnouncementWithdraw

# Updates and withdrawals read with the announcements: enough for every recent item.
_CHANGES = 1000


async def news_messages(db: Database, origin: str | None, limit: int) -> list[Message]:
    """The latest `limit` announcements (of `origin`, if given) and the latest updates
    and withdrawals, for protocol.news.current_news to resolve."""
    where = " AND origin = ?" if origin is not None else ""
    extra = (origin,) if origin is not None else ()
    rows = await db.fetchall(
        "SELECT payload, signature FROM messages WHERE kind = 'announcement'"
        f"{where} ORDER BY rowid DESC LIMIT ?",
        (*extra, limit),
    )
    rows += await db.fetchall(
        "SELECT payload, signature FROM messages"
        f" WHERE kind IN ('announcement.update', 'announcement.withdraw'){where}"
        " ORDER BY rowid DESC LIMIT ?",
        (*extra, _CHANGES),
    )
    return [parse_payload(p, s) for p, s in rows]


async def own_announcement_live_txn(
    conn: aiosqlite.Connection, origin: str, announcement: bytes
) -> bool:
    """Whether `announcement` is one of `origin`'s and not withdrawn, read inside the
    transaction that would publish a change to it."""
    async with conn.execute(
        "SELECT 1 FROM messages WHERE id = ? AND origin = ? AND kind = 'announcement'",
        (announcement, origin),
    ) as cursor:
        if await cursor.fetchone() is None:
            return False
    async with conn.execute(
        "SELECT payload, signature FROM messages"
        " WHERE origin = ? AND kind = 'announcement.withdraw'",
        (origin,),
    ) as cursor:
        rows = await cursor.fetchall()
    for payload, signature in rows:
        body = parse_payload(payload, signature).body
        if isinstance(body, AnnouncementWithdraw) and body.announcement == announcement:
            return False
    return True
