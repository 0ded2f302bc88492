"""Working groups: members organise around a campaign, an event or a task, unasked.

A group is local to its hub: its members, thread and task list stay on this
node. A group started around a network campaign or event links that message's
network thread (/discuss/{id}), where members of every hub talk; the group
itself does not federate (docs/ARCHITECTURE.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.discussion.errors import DiscussionError, NotAllowed, NotFound
from node.discussion.gate import clean_text
from node.discussion.topics import Topics
from node.store.groups import GroupsStore, Task
from node.wording import Term

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


class Groups:
    def __init__(self, store: GroupsStore, clock: Clock, topics: Topics) -> None:
        self._store = store
        self._clock = clock
        self._topics = topics

    async def start(
        self, by: Member, name: object, purpose: object, subject: bytes | None = None
    ) -> int:
        require(by, Permission.MEMBER, NotAllowed)
        clean_name = clean_text(name, MAX_NAME, Term("the group's name"))
        clean_purpose = clean_text(purpose, MAX_PURPOSE, Term("the group's purpose"))
        # The group's thread is a topic of its own; posting there is rate-limited as anywhere.
        topic_id = await self._topics.start(by, "working-groups", clean_name, clean_purpose)
        return await self._store.add_group(
            clean_name, clean_purpose, subject, topic_id, by.id, self._clock()
        )

    async def all(self) -> list[tuple[int, str, int, bool]]:
        """(id, name, member count) for every group, and False (whether the reader is in
        it: the page marks that from `of_member`)."""
        return [(gid, name, count, False) for gid, name, count in await self._store.groups()]

    async def of_member(self, member_id: int) -> set[int]:
        return await self._store.groups_of(member_id)

    async def for_topic(self, topic_id: int) -> int | None:
        return await self._store.group_of_topic(topic_id)

    async def get(self, group_id: int) -> Group:
        row = await self._store.group(group_id)
        if row is None:
            raise NotFound("There is no such working group.")
        members = await self._store.members(group_id)
        return Group(
            row.id,
            row.name,
            row.purpose,
            row.subject,
            row.topic_id,
            [(m, name or "A former member") for m, name in members],
        )

    async def join(self, by: Member, group_id: int) -> None:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        await self.get(group_id)
        await self._store.join(group_id, member_id, self._clock())

    async def leave(self, by: Member, group_id: int) -> None:
        """Leave freely; tasks the member had taken go back on the list."""
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        await self._store.leave(group_id, member_id)

    async def _check_in_group(self, member_id: int, group_id: int) -> None:
        if not await self._store.is_member(group_id, member_id):
            raise NotAllowed("Join the group first.")

    async def tasks(self, group_id: int) -> list[Task]:
        return await self._store.tasks(group_id)

    async def add_task(self, by: Member, group_id: int, text: object) -> int:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        clean = clean_text(text, MAX_TASK, Term("the task"))
        await self._check_in_group(member_id, group_id)
        return await self._store.add_task(group_id, clean, member_id, self._clock())

    async def task_group(self, task_id: int) -> tuple[int, int | None, bool]:
        task = await self._store.task(task_id)
        if task is None:
            raise NotFound("There is no such task.")
        return task

    async def take(self, by: Member, task_id: int) -> int:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        group_id, taken_by, done = await self.task_group(task_id)
        await self._check_in_group(member_id, group_id)
        if done:
            raise DiscussionError("That task is already done.")
        if not await self._store.take_task(task_id, member_id) and taken_by != member_id:
            raise DiscussionError("Someone else has taken that task.")
        return group_id

    async def done(self, by: Member, task_id: int) -> int:
        require(by, Permission.MEMBER, NotAllowed)
        member_id = by.id
        group_id, taken_by, _ = await self.task_group(task_id)
        await self._check_in_group(member_id, group_id)
        if taken_by != member_id:
            raise NotAllowed("Only the person who took a task marks it done.")
        await self._store.finish_task(task_id, self._clock())
        return group_id
