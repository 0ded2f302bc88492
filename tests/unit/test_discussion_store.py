"""The discussion and sign-up stores against a real SQLite file: a check handed to a
write runs inside its transaction, so writes sent at once cannot both pass it."""

from __future__ import annotations

import asyncio

import aiosqlite
import pytest

from node.discussion.errors import DiscussionError, RateLimited
from node.discussion.gate import check_may_post_txn
from node.store.attendance import AttendanceStore, SignUpEvent
from node.store.database import Database
from node.store.groups import GroupsStore
from node.store.moderation import ModerationStore
from node.store.topics import TopicsStore
from tests.helpers import T0

EVENT = b"e" * 32


async def add_member(db: Database, member_id: int) -> None:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO members (id, email, name, status, charter_version, charter_signed_at,"
            " privacy_version, privacy_accepted_at, applied_at)"
            " VALUES (?, seal('members.email', ?), seal('members.name', ?), 'active', '1', 0,"
            " '1', 0, 0)",
            (member_id, f"m{member_id}@example.org", f"Member {member_id}"),
        )


async def add_event(db: Database, capacity: int | None) -> None:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO events (id, origin, federated, version_seq, title, starts, ends,"
            " timezone, type, visibility, capacity, created_at, updated_at)"
            " VALUES (?, 'here', 1, 1, 'Meeting', 0, 4102444800, 'UTC', 'meeting', 'public',"
            " ?, 0, 0)",
            (EVENT, capacity),
        )


async def count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


def open_here(event: SignUpEvent | None) -> None:
    if event is None or event.origin != "here":
        raise DiscussionError("not open")


async def test_a_refused_check_leaves_no_topic_post_or_read_marker(db: Database) -> None:
    await add_member(db, 1)

    async def refuse(conn: aiosqlite.Connection) -> None:
        raise DiscussionError("no")

    with pytest.raises(DiscussionError):
        await TopicsStore(db).add_topic(
            "general", "Title", 1, "Text", lambda t: f"topic:{t}", T0, check=refuse
        )
    assert [await count(db, t) for t in ("topics", "posts", "discussion_reads")] == [0, 0, 0]


async def test_topics_started_at_once_cannot_both_slip_under_the_hourly_limit(
    db: Database,
) -> None:
    await add_member(db, 1)
    store = TopicsStore(db)
    outcomes = await asyncio.gather(
        *(
            store.add_topic(
                "general",
                f"Title {i}",
                1,
                "Text",
                lambda t: f"topic:{t}",
                T0,
                check=lambda conn: check_may_post_txn(conn, 1, T0, 1),
            )
            for i in range(3)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(o, tuple) for o in outcomes) == 1
    assert sum(isinstance(o, RateLimited) for o in outcomes) == 2
    assert await count(db, "posts") == 1


async def test_a_suspension_stops_posting_until_it_ends(db: Database) -> None:
    await add_member(db, 1)
    await add_member(db, 2)
    moderation, topics = ModerationStore(db), TopicsStore(db)

    async def allow(conn: aiosqlite.Connection) -> None:
        pass

    await moderation.suspend(1, T0 + 1000, "Spam", 2, T0, check=allow)
    with pytest.raises(DiscussionError, match=r"suspended .* The moderators said: Spam"):
        await topics.add_post(1, 1, "Hi", "topic:1", T0, lambda c: check_may_post_txn(c, 1, T0, 9))
    assert await moderation.suspended_until(1, T0) == T0 + 1000
    assert await moderation.suspended_until(1, T0 + 1000) is None
    assert await count(db, "posts") == 0


async def test_the_last_place_goes_to_one_sign_up_only(db: Database) -> None:
    for member_id in (1, 2, 3):
        await add_member(db, member_id)
    await add_event(db, capacity=2)
    store = AttendanceStore(db)
    outcomes = await asyncio.gather(
        store.add_rsvp(EVENT, 1, T0, open_here),
        store.add_rsvp(EVENT, 2, T0, open_here),
        store.add_registration(EVENT, "Jo", "jo@example.net", T0, open_here),
        store.add_rsvp(EVENT, 3, T0, open_here),
    )
    assert sorted(outcomes) == ["added", "added", "full", "full"]
    assert await count(db, "rsvps") + await count(db, "registrations") == 2
    assert not await store.has_place(EVENT, open_here)
    assert await store.add_rsvp(EVENT, 1, T0, open_here) == "already"


async def test_a_refused_event_check_writes_no_sign_up(db: Database) -> None:
    await add_member(db, 1)
    store = AttendanceStore(db)
    with pytest.raises(DiscussionError):
        await store.add_rsvp(EVENT, 1, T0, open_here)  # no such event
    assert await count(db, "rsvps") == 0


async def test_only_one_of_two_members_takes_a_task(db: Database) -> None:
    await add_member(db, 1)
    await add_member(db, 2)
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO topics (id, category, title, member_id, created_at, last_post_at)"
            " VALUES (1, 'working-groups', 'Group', 1, 0, 0)"
        )
    store = GroupsStore(db)
    group_id = await store.add_group("Group", "Purpose", None, 1, 1, T0)
    await store.join(group_id, 2, T0)
    task_id = await store.add_task(group_id, "Print leaflets", 1, T0)
    taken = await asyncio.gather(store.take_task(task_id, 1), store.take_task(task_id, 2))
    assert sorted(taken) == [False, True]
    # Leaving hands an open task back.
    taker = 1 if taken[0] else 2
    await store.leave(group_id, taker)
    assert (await store.tasks(group_id))[0].taken_by is None
