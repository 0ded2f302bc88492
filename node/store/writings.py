"""SQL for what a member wrote or chose on this hub, for their data download: posts and
the topics they started, comments (with what they were on), their network name and
their budget proposals. On leaving, the network name goes; what they wrote stays,
shown as written by a former member (comments already sent keep the network name
they went with)."""

from __future__ import annotations

from typing import Any

import aiosqlite

from node.store.database import Database
from node.store.dates import iso_time


class Writings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def export_member_records(self, member_id: int) -> dict[str, Any]:
        db = self._db
        name = await db.fetchone("SELECT name FROM network_names WHERE member_id = ?", (member_id,))
        topics = await db.fetchall(
            "SELECT id, category, title, created_at FROM topics WHERE member_id = ? ORDER BY id",
            (member_id,),
        )
        posts = await db.fetchall(
            "SELECT p.topic_id, t.title, p.text, p.created_at, p.edited_at, p.deleted_at,"
            " p.hidden_at FROM posts p JOIN topics t ON t.id = p.topic_id"
            " WHERE p.member_id = ? ORDER BY p.id",
            (member_id,),
        )
        comments = await db.fetchall(
            "SELECT a.comment_id, c.subject, c.author, c.text, a.created_at, c.edited_at,"
            " c.deleted_at FROM comment_authors a LEFT JOIN comments c ON c.id = a.comment_id"
            " WHERE a.member_id = ? ORDER BY a.created_at, a.comment_id",
            (member_id,),
        )
        proposals = await db.fetchall(
            "SELECT r.title, p.title, p.description, p.cost, p.submitted_at"
            " FROM budget_proposals p JOIN budget_rounds r ON r.id = p.round_id"
            " WHERE p.proposed_by = ? ORDER BY p.id",
            (member_id,),
        )
        return {
            "network_name": name[0] if name else None,
            "topics_started": [
                {"topic": i, "category": c, "title": t, "created_at": iso_time(at)}
                for i, c, t, at in topics
            ],
            "posts": [
                {
                    "topic": topic,
                    "topic_title": title,
                    "text": text,
                    "created_at": iso_time(c),
                    "edited_at": iso_time(e),
                    "deleted_at": iso_time(d),
                    "hidden_at": iso_time(h),
                }
                for topic, title, text, c, e, d, h in posts
            ],
            "comments": [
                {
                    "comment": bytes(i).hex(),
                    "on": bytes(s).hex() if s is not None else None,
                    "as": author,
                    "text": text,
                    "created_at": iso_time(c),
                    "edited_at": iso_time(e),
                    "deleted_at": iso_time(d),
                }
                for i, s, author, text, c, e, d in comments
            ],
            "budget_proposals": [
                {
                    "round": r,
                    "title": t,
                    "description": d,
                    "cost_pence": cost,
                    "submitted_at": iso_time(at),
                }
                for r, t, d, cost, at in proposals
            ],
        }

    async def forget_member_txn(self, conn: aiosqlite.Connection, member_id: int) -> None:
        # The name is freed for others; comments that carried it keep it (they were sent).
        await conn.execute("DELETE FROM network_names WHERE member_id = ?", (member_id,))
