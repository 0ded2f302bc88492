"""A message and the caller's own rows commit together (MessageStore.append's check
and then), against a real SQLite file."""

from __future__ import annotations

import asyncio

import aiosqlite
import pytest

from node.store.database import Database
from node.store.messages import MessageStore
from protocol.envelope import Message
from protocol.kinds.hub import Announcement


class Refused(Exception):
    pass


async def _note(conn: aiosqlite.Connection, name: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO node_state (name, value, set_at) VALUES (?, ?, 0)", (name, value)
    )


async def _noted(db: Database, name: str) -> list[str]:
    rows = await db.fetchall("SELECT value FROM node_state WHERE name = ?", (name,))
    return [row[0] for row in rows]


async def test_the_callers_rows_are_written_with_the_message(
    store: MessageStore, db: Database
) -> None:
    async def then(conn: aiosqlite.Connection, message: Message) -> None:
        await _note(conn, "published", message.id.hex())

    message = await store.append("announcement", Announcement(text="one"), then=then)
    assert await _noted(db, "published") == [message.id.hex()]
    assert [m.id for m in await store.log(store.node_id)] == [message.id]


async def test_rows_that_fail_take_the_message_with_them(store: MessageStore, db: Database) -> None:
    async def then(conn: aiosqlite.Connection, message: Message) -> None:
        await _note(conn, "half", "written")
        raise Refused("the caller's rows could not be written")

    with pytest.raises(Refused):
        await store.append("announcement", Announcement(text="lost"), then=then)
    assert await store.log(store.node_id) == []
    assert await _noted(db, "half") == []
    # The seq was not used up: the next message is still the first.
    assert (await store.append("announcement", Announcement(text="next"))).seq == 1


async def test_a_check_that_refuses_writes_nothing(store: MessageStore, db: Database) -> None:
    async def check(conn: aiosqlite.Connection) -> None:
        raise Refused("already done")

    with pytest.raises(Refused):
        await store.append("announcement", Announcement(text="no"), check=check)
    assert await store.log(store.node_id) == []


async def test_a_check_inside_the_transaction_lets_only_one_of_many_publish(
    store: MessageStore, db: Database
) -> None:
    # As an organiser double-submitting would: each request checks "not yet
    # published" and publishes; only one may.
    async def check(conn: aiosqlite.Connection) -> None:
        async with conn.execute("SELECT 1 FROM node_state WHERE name = 'once'") as cursor:
            if await cursor.fetchone():
                raise Refused("already published")

    async def then(conn: aiosqlite.Connection, message: Message) -> None:
        await _note(conn, "once", message.id.hex())

    results = await asyncio.gather(
        *(
            store.append("announcement", Announcement(text=str(n)), check=check, then=then)
            for n in range(8)
        ),
        return_exceptions=True,
    )
    published = [r for r in results if isinstance(r, Message)]
    assert len(published) == 1
    assert all(isinstance(r, Refused) for r in results if not isinstance(r, Message))
    assert [m.id for m in await store.log(store.node_id)] == [published[0].id]
