"""SQL for working groups: the groups, who is in each, and their task lists.

Who may take or finish a task is decided by node/discussion/groups.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.store.database import Database


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: int
    name: str
    purpose: str
    subject: bytes | None
    topic_id: int


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    text: str
    taken_by: int | None
    taker: str | None
    done: bool


class GroupsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_group(
        self,
        name: str,
        purpose: str,
        subject: bytes | None,
        topic_id: int,
        member_id: int,
        now: int,
    ) -> int:
        """A new group whose first member is the one who started it; its id."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO working_groups (name, purpose, subject, topic_id, created_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (name, purpose, subject, topic_id, member_id, now),
            )
            group_id = cursor.lastrowid
            assert group_id is not None
            await conn.execute(
                "INSERT INTO group_members (group_id, member_id, joined_at) VALUES (?, ?, ?)",
                (group_id, member_id, now),
            )
        return group_id

    async def groups(self) -> list[tuple[int, str, int]]:
        """(id, name, member count) of every group, newest first."""
        rows = await self._db.fetchall(
            "SELECT g.id, g.name, (SELECT count(*) FROM group_members WHERE group_id = g.id)"
            " FROM working_groups g ORDER BY g.created_at DESC"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def groups_of(self, member_id: int) -> set[int]:
        rows = await self._db.fetchall(
            "SELECT group_id FROM group_members WHERE member_id = ?", (member_id,)
        )
        return {r[0] for r in rows}

    async def group_of_topic(self, topic_id: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT id FROM working_groups WHERE topic_id = ?", (topic_id,)
        )
        return int(row[0]) if row else None

    async def group(self, group_id: int) -> GroupRow | None:
        row = await self._db.fetchone(
            "SELECT id, name, purpose, subject, topic_id FROM working_groups WHERE id = ?",
            (group_id,),
        )
        if row is None:
            return None
        return GroupRow(
            row[0], row[1], row[2], bytes(row[3]) if row[3] is not None else None, row[4]
        )

    async def members(self, group_id: int) -> list[tuple[int, str | None]]:
        """(member id, name) of the group's members in the order they joined."""
        rows = await self._db.fetchall(
            "SELECT m.id, unseal('members.name', m.name)"
            " FROM group_members g JOIN members m ON m.id = g.member_id"
            " WHERE g.group_id = ? ORDER BY g.joined_at",
            (group_id,),
        )
        return [(r[0], r[1]) for r in rows]

    async def join(self, group_id: int, member_id: int, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO group_members (group_id, member_id, joined_at)"
                " VALUES (?, ?, ?)",
                (group_id, member_id, now),
            )

    async def leave(self, group_id: int, member_id: int) -> None:
        """Leave; open tasks the member had taken go back on the list."""
        async with self._db.write() as conn:
            await conn.execute(
                "DELETE FROM group_members WHERE group_id = ? AND member_id = ?",
                (group_id, member_id),
            )
            await conn.execute(
                "UPDATE group_tasks SET taken_by = NULL WHERE group_id = ? AND taken_by = ?"
                " AND done_at IS NULL",
                (group_id, member_id),
            )

    async def is_member(self, group_id: int, member_id: int) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM group_members WHERE group_id = ? AND member_id = ?",
            (group_id, member_id),
        )
        return row is not None

    async def tasks(self, group_id: int) -> list[Task]:
        rows = await self._db.fetchall(
            "SELECT t.id, t.text, t.taken_by, unseal('members.name', m.name),"
            " t.done_at FROM group_tasks t"
            " LEFT JOIN members m ON m.id = t.taken_by WHERE t.group_id = ? ORDER BY t.id",
            (group_id,),
        )
        return [Task(r[0], r[1], r[2], r[3], r[4] is not None) for r in rows]

    async def add_task(self, group_id: int, text: str, member_id: int, now: int) -> int:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO group_tasks (group_id, text, created_by, created_at)"
                " VALUES (?, ?, ?, ?)",
                (group_id, text, member_id, now),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def task(self, task_id: int) -> tuple[int, int | None, bool] | None:
        """(group id, who took it, whether done) of a task."""
        row = await self._db.fetchone(
            "SELECT group_id, taken_by, done_at FROM group_tasks WHERE id = ?", (task_id,)
        )
        return (int(row[0]), row[1], row[2] is not None) if row else None

    async def take_task(self, task_id: int, member_id: int) -> bool:
        """Take a task nobody has taken; False if someone had (nothing written)."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE group_tasks SET taken_by = ? WHERE id = ? AND taken_by IS NULL",
                (member_id, task_id),
            )
            return cursor.rowcount == 1

    async def finish_task(self, task_id: int, now: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE group_tasks SET done_at = coalesce(done_at, ?) WHERE id = ?",
                (now, task_id),
            )
