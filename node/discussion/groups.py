"""Working groups: members organise around a campaign, an event or a task, unasked.

A group is local to its hub: its members, thread and task list stay on this
node. A group started around a network campaign or event links that message's
network thread (/discuss/{id}), where members of every hub talk; the group
itself does not federate (docs/ARCHITECTURE.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.clock import Clock
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import clean_text
from node.discussion.topics import Topics
from node.store.database import Database

MAX_NAME = 100
MAX_PURPOSE = 4000
MAX_TASK = 300


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    name: str
    purpose: str
    subject: bytes | None
    topic_id: int
    members: list[tuple[int, str]]  # (member id, name)


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    text: str
    taken_by: int | None
    taker: str | None
    done: bool


class Groups:
    def __init__(self, db: Database, clock: Clock, topics: Topics) -> None:
        self._db = db
        self._clock = clock
        self._topics = topics

    async def start(
        self, member_id: int, name: object, purpose: object, subject: bytes | None = None
    ) -> int:
        clean_name = clean_text(name, MAX_NAME, "group's name")
        clean_purpose = clean_text(purpose, MAX_PURPOSE, "group's purpose")
        # The group's thread is a topic of its own; posting there is rate-limited as anywhere.
        topic_id = await self._topics.start(member_id, "working-groups", clean_name, clean_purpose)
        now = self._clock()
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO working_groups (name, purpose, subject, topic_id, created_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (clean_name, clean_purpose, subject, topic_id, member_id, now),
            )
            group_id = cursor.lastrowid
            assert group_id is not None
            await conn.execute(
                "INSERT INTO group_members (group_id, member_id, joined_at) VALUES (?, ?, ?)",
                (group_id, member_id, now),
            )
        return group_id

    async def all(self) -> list[tuple[int, str, int, bool]]:
        """(id, name, member count, whether `member_id` is in it) for every group."""
        rows = await self._db.fetchall(
            "SELECT g.id, g.name, (SELECT count(*) FROM group_members WHERE group_id = g.id)"
            " FROM working_groups g ORDER BY g.created_at DESC"
        )
        return [(r[0], r[1], r[2], False) for r in rows]

    async def of_member(self, member_id: int) -> set[int]:
        rows = await self._db.fetchall(
            "SELECT group_id FROM group_members WHERE member_id = ?", (member_id,)
        )
        return {r[0] for r in rows}

    async def for_topic(self, topic_id: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT id FROM working_groups WHERE topic_id = ?", (topic_id,)
        )
        return int(row[0]) if row else None

    async def get(self, group_id: int) -> Group:
        row = await self._db.fetchone(
            "SELECT id, name, purpose, subject, topic_id FROM working_groups WHERE id = ?",
            (group_id,),
        )
        if row is None:
            raise NotFound("There is no such working group.")
        members = await self._db.fetchall(
            "SELECT m.id, m.name FROM group_members g JOIN members m ON m.id = g.member_id"
            " WHERE g.group_id = ? ORDER BY g.joined_at",
            (group_id,),
        )
        return Group(
            row[0],
            row[1],
            row[2],
            bytes(row[3]) if row[3] is not None else None,
            row[4],
            [(m[0], m[1] or "A former member") for m in members],
        )

    async def join(self, member_id: int, group_id: int) -> None:
        await self.get(group_id)
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO group_members (group_id, member_id, joined_at)"
                " VALUES (?, ?, ?)",
                (group_id, member_id, self._clock()),
            )

    async def leave(self, member_id: int, group_id: int) -> None:
        """Leave freely; tasks the member had taken go back on the list."""
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

    async def _check_in_group(self, member_id: int, group_id: int) -> None:
        row = await self._db.fetchone(
            "SELECT 1 FROM group_members WHERE group_id = ? AND member_id = ?",
            (group_id, member_id),
        )
        if row is None:
            raise NotAllowed("Join the group first.")

    async def tasks(self, group_id: int) -> list[Task]:
        rows = await self._db.fetchall(
            "SELECT t.id, t.text, t.taken_by, m.name, t.done_at FROM group_tasks t"
            " LEFT JOIN members m ON m.id = t.taken_by WHERE t.group_id = ? ORDER BY t.id",
            (group_id,),
        )
        return [Task(r[0], r[1], r[2], r[3], r[4] is not None) for r in rows]

    async def add_task(self, member_id: int, group_id: int, text: object) -> int:
        clean = clean_text(text, MAX_TASK, "task")
        await self._check_in_group(member_id, group_id)
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO group_tasks (group_id, text, created_by, created_at)"
                " VALUES (?, ?, ?, ?)",
                (group_id, clean, member_id, self._clock()),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def task_group(self, task_id: int) -> tuple[int, int | None, bool]:
        row = await self._db.fetchone(
            "SELECT group_id, taken_by, done_at FROM group_tasks WHERE id = ?", (task_id,)
        )
        if row is None:
            raise NotFound("There is no such task.")
        return int(row[0]), row[1], row[2] is not None

    async def take(self, member_id: int, task_id: int) -> int:
        group_id, taken_by, done = await self.task_group(task_id)
        await self._check_in_group(member_id, group_id)
        if done:
            raise DiscussionError("That task is already done.")
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE group_tasks SET taken_by = ? WHERE id = ? AND taken_by IS NULL",
                (member_id, task_id),
            )
            if cursor.rowcount != 1 and taken_by != member_id:
                raise DiscussionError("Someone else has taken that task.")
        return group_id

    async def done(self, member_id: int, task_id: int) -> int:
        group_id, taken_by, _ = await self.task_group(task_id)
        await self._check_in_group(member_id, group_id)
        if taken_by != member_id:
            raise NotAllowed("Only the person who took a task marks it done.")
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE group_tasks SET done_at = coalesce(done_at, ?) WHERE id = ?",
                (self._clock(), task_id),
            )
        return group_id
