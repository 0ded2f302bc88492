"""Pre-rotation commitments and revocation (PROTOCOL.md §7.1, §7.2), against a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, node_id_from_public_key
from node.store.database import Database
from node.store.messages import MessageStore
from node.store.outcomes import KeyNotInForce, Status
from node.verifier import Verifier
from protocol.envelope import Message, create_message
from protocol.kinds.hub import Announcement
from protocol.kinds.keys import KeyCommit, KeyRevoke, KeyRotate, rotation_statement
from tests.helpers import ManualClock, key_from

OLD = key_from(1)
SUCCESSOR = key_from(2)
THIEF = key_from(3)
NEXT = key_from(4)
ORIGIN = node_id_from_public_key(OLD.public_key)


class Log:
    """The origin's side: writes its log by hand, so tests can also write bad messages."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def write(self, key: SigningKey, kind: str, body: object) -> Message:
        prev = self.messages[-1].id if self.messages else None
        return create_message(
            key, kind, body, len(self.messages) + 1, prev, ManualClock()(), origin=ORIGIN
        )

    def keep(self, message: Message) -> Message:
        self.messages.append(message)
        return message


def rotate(old: SigningKey, new: SigningKey, next_key: SigningKey | None = None) -> KeyRotate:
    return KeyRotate(
        new.public_key,
        new.sign(rotation_statement(ORIGIN, old.public_key, new.public_key)),
        sha256(next_key.public_key) if next_key else None,
    )


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[MessageStore]:
    db = await Database.open(tmp_path / "hubnet.db")
    verifier = Verifier(1)
    yield MessageStore(db, key_from(9), ManualClock(), verifier)
    await verifier.aclose()
    await db.close()


async def offer(store: MessageStore, message: Message) -> Status:
    report = await store.ingest([message.wire])
    return report.outcomes[0].status


async def committed_log(store: MessageStore) -> Log:
    log = Log()
    assert await offer(store, log.keep(log.write(OLD, "announcement", Announcement("hi")))) is (
        Status.STORED
    )
    commit = log.keep(log.write(OLD, "key.commit", KeyCommit(sha256(SUCCESSOR.public_key))))
    assert await offer(store, commit) is Status.STORED
    return log


async def test_with_a_commitment_a_rotation_to_another_key_is_refused(
    receiver: MessageStore,
) -> None:
    log = await committed_log(receiver)
    stolen = log.write(OLD, "key.rotate", rotate(OLD, THIEF))
    report = await receiver.ingest([stolen.wire])
    assert report.outcomes[0].status is Status.REFUSED
    assert "successor its origin committed to" in str(report.outcomes[0].reason)
    assert await receiver.key_in_force(ORIGIN) is None  # still the id's own key


async def test_a_second_commitment_is_refused_while_one_is_in_force(
    receiver: MessageStore,
) -> None:
    log = await committed_log(receiver)
    again = log.write(OLD, "key.commit", KeyCommit(sha256(THIEF.public_key)))
    assert await offer(receiver, again) is Status.REFUSED


async def test_rotation_to_the_committed_key_is_followed(receiver: MessageStore) -> None:
    log = await committed_log(receiver)
    assert await offer(receiver, log.keep(log.write(OLD, "key.rotate", rotate(OLD, SUCCESSOR))))
    assert await receiver.key_in_force(ORIGIN) == SUCCESSOR.public_key
    after = log.keep(log.write(SUCCESSOR, "announcement", Announcement("new key")))
    assert await offer(receiver, after) is Status.STORED


async def test_revocation_by_the_successor_takes_over_and_old_key_is_refused(
    receiver: MessageStore,
) -> None:
    log = await committed_log(receiver)
    body = KeyRevoke(SUCCESSOR.public_key, sha256(NEXT.public_key), "laptop stolen")
    revoke = log.keep(log.write(SUCCESSOR, "key.revoke", body))
    assert await offer(receiver, revoke) is Status.STORED
    assert await receiver.key_in_force(ORIGIN) == SUCCESSOR.public_key
    by_thief = log.write(OLD, "announcement", Announcement("from the thief"))
    assert await offer(receiver, by_thief) is Status.REFUSED
    by_owner = log.keep(log.write(SUCCESSOR, "announcement", Announcement("we are back")))
    assert await offer(receiver, by_owner) is Status.STORED


async def test_revocation_by_any_other_key_is_refused(receiver: MessageStore) -> None:
    log = await committed_log(receiver)
    # The thief signs a revoke naming their own key: the commitment does not match.
    forged = log.write(THIEF, "key.revoke", KeyRevoke(THIEF.public_key))
    assert await offer(receiver, forged) is Status.REFUSED
    # Naming the successor but signed by the stolen key: the signature does not match.
    unsigned = log.write(OLD, "key.revoke", KeyRevoke(SUCCESSOR.public_key))
    assert await offer(receiver, unsigned) is Status.REFUSED
    assert await receiver.key_in_force(ORIGIN) is None


async def test_revocation_without_a_commitment_is_refused(receiver: MessageStore) -> None:
    log = Log()
    log.keep(log.write(OLD, "announcement", Announcement("hi")))
    assert await offer(receiver, log.messages[0]) is Status.STORED
    revoke = log.write(SUCCESSOR, "key.revoke", KeyRevoke(SUCCESSOR.public_key))
    assert await offer(receiver, revoke) is Status.REFUSED


async def test_held_revocation_is_checked_when_released(receiver: MessageStore) -> None:
    log = await committed_log(receiver)
    receiver_head = len(log.messages)
    gap = log.keep(log.write(OLD, "announcement", Announcement("gap")))
    revoke = log.keep(log.write(SUCCESSOR, "key.revoke", KeyRevoke(SUCCESSOR.public_key)))
    assert await offer(receiver, revoke) is Status.HELD
    assert await offer(receiver, gap) is Status.STORED
    head = await receiver.head(ORIGIN)
    assert head is not None and head.seq == receiver_head + 2
    assert await receiver.key_in_force(ORIGIN) == SUCCESSOR.public_key


async def test_node_writing_with_a_replaced_key_is_told_to_restart(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "own.db")
    verifier = Verifier(1)
    try:
        store = MessageStore(db, OLD, ManualClock(), verifier)
        await store.append("key.commit", KeyCommit(sha256(SUCCESSOR.public_key)))
        await store.append("key.rotate", rotate(OLD, SUCCESSOR))
        with pytest.raises(KeyNotInForce, match="restart the node"):
            await store.append("announcement", Announcement("still the old key"))
        fresh = MessageStore(db, SUCCESSOR, ManualClock(), verifier, origin=NodeId(ORIGIN))
        assert (await fresh.append("announcement", Announcement("new"))).seq == 3
    finally:
        await verifier.aclose()
        await db.close()
