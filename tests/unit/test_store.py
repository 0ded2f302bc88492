"""The message store against a real SQLite file: linking, holding, forks, refusals."""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.nodeid import node_id_from_public_key
from node.errors import StoreError, UnsupportedDatabaseVersion
from node.store.database import Database
from node.store.messages import MessageStore
from node.store.migrations import LATEST_VERSION
from node.store.outcomes import Status
from node.verifier import Verifier
from protocol.codec import decode, encode
from protocol.envelope import create_message, encode_envelope
from protocol.kinds.hub import Announcement
from protocol.kinds.keys import KeyRotate, rotation_statement
from protocol.log import Head
from tests.helpers import T0, ManualClock, chain, key_from, wires

A = key_from(1)
A_ID = node_id_from_public_key(A.public_key)


async def snapshot(db: Database) -> list[tuple[object, ...]]:
    rows = []
    for table in ("messages", "origins", "held", "forks"):
        async with db.reader.execute(f"SELECT * FROM {table} ORDER BY 1") as cursor:
            rows += [(table, *r) for r in await cursor.fetchall()]
    return rows


async def test_own_messages_get_consecutive_seqs_and_link(store: MessageStore) -> None:
    first = await store.append("announcement", Announcement(text="one"))
    second = await store.append("announcement", Announcement(text="two"))
    assert (first.seq, first.prev) == (1, None)
    assert (second.seq, second.prev) == (2, first.id)
    assert [m.id for m in await store.log(store.node_id)] == [first.id, second.id]


async def test_concurrent_appends_never_reuse_a_seq(store: MessageStore) -> None:
    made = await asyncio.gather(
        *(store.append("announcement", Announcement(text=str(i))) for i in range(40))
    )
    assert sorted(m.seq for m in made) == list(range(1, 41))
    log = await store.log(store.node_id, limit=100)
    assert all(b.prev == a.id for a, b in itertools.pairwise(log))


async def test_shuffled_batch_is_linked_and_stored(store: MessageStore) -> None:
    messages = chain(A, 30)
    batch = wires(messages)
    random.Random(1).shuffle(batch)
    report = await store.ingest(batch)
    assert report.count(Status.STORED) == 30
    assert (await store.heads())[A_ID] == Head(30, messages[-1].id)


async def test_same_bytes_again_is_a_harmless_duplicate(store: MessageStore) -> None:
    messages = chain(A, 3)
    await store.ingest(wires(messages))
    before = await snapshot(store._db)
    report = await store.ingest(wires(messages))
    assert [o.status for o in report.outcomes] == [Status.DUPLICATE] * 3
    assert await snapshot(store._db) == before


async def test_gap_is_held_until_filled(store: MessageStore) -> None:
    messages = chain(A, 10)
    report = await store.ingest(wires(messages[5:]))
    assert report.count(Status.HELD) == 5
    assert A_ID not in await store.heads()
    report = await store.ingest(wires(messages[:5]))
    assert report.count(Status.STORED) == 5 and report.released == 5
    assert (await store.heads())[A_ID].seq == 10
    assert await store.held_count() == 0


async def test_message_too_far_ahead_is_refused(store: MessageStore) -> None:
    far = chain(A, 60)[-1]  # the store holds at most 50 ahead
    report = await store.ingest([far.wire])
    assert report.outcomes[0].status is Status.REFUSED
    assert report.outcomes[0].reason.startswith("rate-limited:")
    assert await store.held_count() == 0


async def test_fork_is_recorded_with_both_messages(store: MessageStore) -> None:
    messages = chain(A, 3)
    await store.ingest(wires(messages))
    rival = chain(A, 1, start=2, prev=messages[0].id, text="another history")[0]
    report = await store.ingest([rival.wire])
    assert report.outcomes[0].status is Status.FORK
    assert A_ID in await store.forked_origins()
    [(evidence, kept)] = await store.fork_evidence(A_ID)
    assert evidence.id == rival.id and kept == messages[1].id
    assert (await store.get(messages[1].id)) is not None
    assert (await store.heads())[A_ID].seq == 3


async def test_broken_prev_is_refused_and_nothing_changes(store: MessageStore) -> None:
    messages = chain(A, 2)
    await store.ingest([messages[0].wire])
    before = await snapshot(store._db)
    stray = chain(A, 1, start=2, prev=messages[1].id)[0]  # prev names seq 2, not seq 1
    report = await store.ingest([stray.wire])
    assert report.outcomes[0].status is Status.REFUSED
    assert "prev" in report.outcomes[0].reason
    assert await snapshot(store._db) == before


async def test_forged_signature_is_refused(store: MessageStore) -> None:
    message = chain(A, 1)[0]
    forged = encode_envelope(message.payload, bytes(64))
    report = await store.ingest([forged])
    assert report.outcomes[0].status is Status.REFUSED
    assert report.outcomes[0].reason.startswith("invalid: signature")
    assert await store.count() == 0


async def test_origin_that_is_not_the_signer_is_refused(store: MessageStore) -> None:
    # B signs a payload claiming to come from A.
    b = key_from(2)
    payload = create_message(A, "announcement", Announcement(text="x"), 1, None, T0).payload
    report = await store.ingest([encode_envelope(payload, b.sign(payload))])
    assert report.outcomes[0].status is Status.REFUSED
    assert await store.count() == 0


async def test_future_message_is_refused(store: MessageStore, clock: ManualClock) -> None:
    late = create_message(A, "announcement", Announcement(text="x"), 1, None, T0 + 3_600_000)
    report = await store.ingest([late.wire])
    assert "future" in report.outcomes[0].reason
    clock.advance(3_600_000)
    assert (await store.ingest([late.wire])).outcomes[0].status is Status.STORED


async def test_key_rotation_hands_over_to_the_new_key(store: MessageStore) -> None:
    new = key_from(3)
    first = chain(A, 1)[0]
    statement = rotation_statement(A_ID, A.public_key, new.public_key)
    rotate = create_message(
        A, "key.rotate", KeyRotate(new.public_key, new.sign(statement)), 2, first.id, T0
    )
    after = create_message(
        new, "announcement", Announcement(text="new key"), 3, rotate.id, T0, origin=A_ID
    )
    report = await store.ingest(wires([first, rotate, after]))
    assert [o.status for o in report.outcomes] == [Status.STORED] * 3
    old_key_again = create_message(A, "announcement", Announcement(text="old key"), 4, after.id, T0)
    assert (await store.ingest([old_key_again.wire])).outcomes[0].status is Status.REFUSED


async def test_rotation_without_counter_signature_is_refused(store: MessageStore) -> None:
    first = chain(A, 1)[0]
    new = key_from(3)
    rotate = create_message(A, "key.rotate", KeyRotate(new.public_key, bytes(64)), 2, first.id, T0)
    report = await store.ingest(wires([first, rotate]))
    assert report.outcomes[1].status is Status.REFUSED
    assert "counter-signed" in report.outcomes[1].reason


async def test_unknown_kind_is_stored_and_served_as_opaque(store: MessageStore) -> None:
    message = create_message(A, "poll.open", {"question": "when?"}, 1, None, T0)
    assert (await store.ingest([message.wire])).outcomes[0].status is Status.STORED
    got = await store.get(message.id)
    assert got is not None and got.payload == message.payload and got.body == {"question": "when?"}


async def test_queries_by_kind_and_origin(store: MessageStore) -> None:
    await store.ingest(wires(chain(A, 3)))
    await store.append("announcement", Announcement(text="mine"))
    assert len(await store.recent(kind="announcement")) == 4
    assert [m.seq for m in await store.recent(origin=A_ID)] == [3, 2, 1]
    assert [m.seq for m in await store.log(A_ID, after_seq=1, limit=1)] == [2]


# -- the database file ---------------------------------------------------------


async def test_migrations_set_the_schema_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.db")
    await db.close()
    assert sqlite3.connect(tmp_path / "x.db").execute("PRAGMA user_version").fetchone() == (
        LATEST_VERSION,
    )


async def test_database_from_a_newer_hubnet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {LATEST_VERSION + 1}").connection.close()
    with pytest.raises(UnsupportedDatabaseVersion, match="upgrade hubnet"):
        await Database.open(path)


async def test_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="restore it from a backup"):
        await Database.open(path)


async def test_truncated_database_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "x.db"
    db = await Database.open(path)
    verifier = Verifier(1)
    await MessageStore(db, A, clock, verifier).ingest(wires(chain(A, 200, text="x" * 500)))
    await db.close()
    verifier.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="restore it from a backup"):
        await Database.open(path)


# -- property: any mix of valid, mutated and reordered input -----------------------

_CHAIN = chain(A, 12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations(range(12)),
    junk=st.lists(
        st.tuples(st.integers(0, 11), st.integers(0, 400), st.integers(0, 255)), max_size=8
    ),
)
async def test_any_arrival_order_with_junk_ends_with_the_whole_chain(
    tmp_path_factory: pytest.TempPathFactory, order: list[int], junk: list[tuple[int, int, int]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "x.db"
    db = await Database.open(path)
    verifier = Verifier(1)
    store = MessageStore(db, key_from(9), ManualClock(), verifier)
    try:
        batch = [_CHAIN[i].wire for i in order]
        for index, position, byte in junk:
            wire = bytearray(_CHAIN[index].wire)
            wire[position % len(wire)] = byte
            batch.insert(position % (len(batch) + 1), bytes(wire))
        for start in range(0, len(batch), 5):
            await store.ingest(batch[start : start + 5])
        heads = await store.heads()
        assert heads[A_ID] == Head(12, _CHAIN[-1].id)
        stored = await store.log(A_ID, limit=100)
        assert [m.payload for m in stored] == [m.payload for m in _CHAIN]
        assert await store.forked_origins() == {}
    finally:
        await db.close()
        verifier.close()


def test_codec_round_trip_of_stored_payloads() -> None:
    for message in _CHAIN:
        assert encode(decode(message.payload)) == message.payload


async def test_refused_message_from_a_new_origin_leaves_no_row(store: MessageStore) -> None:
    message = chain(A, 1)[0]
    await store.ingest([encode_envelope(message.payload, bytes(64))])
    assert await snapshot(store._db) == []


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_writer_cancelled_while_beginning_leaves_no_transaction_open(
    tmp_path: Path, turns: int
) -> None:
    # Shutdown cancels tasks wherever they are; one caught waiting for BEGIN once
    # left the connection inside a transaction, and every later write failed with
    # "cannot start a transaction within a transaction".
    db = await Database.open(tmp_path / "node.db")
    try:

        async def writer() -> None:
            async with db.write() as conn:
                await conn.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)")
                await conn.execute("INSERT INTO scratch VALUES (1)")
                await asyncio.sleep(3600)

        task = asyncio.create_task(writer())
        for _ in range(turns):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.write() as conn:
            await conn.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)")
            await conn.execute("INSERT INTO scratch VALUES (2)")
        assert await db.fetchall("SELECT n FROM scratch") == [(2,)]
    finally:
        await db.close()
