"""Fork evidence only from the origin's key in force at that seq (PROTOCOL.md §6, §7).

A stranger must not be able to get a hub marked forked: a second message at a used
seq counts as evidence only if it verifies under the key the origin had in force
at that seq, with the key rules of §7 applied as at that seq.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, node_id_from_public_key
from node.store.database import Database
from node.store.messages import MessageStore
from node.store.outcomes import Status
from node.verifier import Verifier
from protocol import federation as wire
from protocol.codec import encode
from protocol.envelope import Message, create_message
from protocol.errors import MalformedPayload
from protocol.kinds.forks import ForkResolve
from protocol.kinds.hub import Announcement
from protocol.kinds.keys import KeyCommit, KeyRevoke, KeyRotate, rotation_statement
from tests.helpers import ManualClock, key_from

V_KEY = key_from(1)
SUCCESSOR = key_from(2)
FORGER = key_from(3)
NEXT = key_from(4)
V = node_id_from_public_key(V_KEY.public_key)


class Log:
    """V's log, written by hand so that tests can also write what V never would."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def write(self, key: SigningKey, kind: str, body: object, seq: int | None = None) -> Message:
        seq = len(self.messages) + 1 if seq is None else seq
        prev = self.messages[seq - 2].id if seq > 1 else None
        return create_message(key, kind, body, seq, prev, ManualClock()(), origin=V)

    def keep(self, message: Message) -> Message:
        self.messages.append(message)
        return message


def rotate(old: SigningKey, new: SigningKey, next_key: SigningKey | None = None) -> KeyRotate:
    return KeyRotate(
        new.public_key,
        new.sign(rotation_statement(V, old.public_key, new.public_key)),
        sha256(next_key.public_key) if next_key else None,
    )


async def _open(tmp_path: Path, key: SigningKey) -> AsyncIterator[MessageStore]:
    db = await Database.open(tmp_path / "hubnet.db")
    verifier = Verifier(1)
    yield MessageStore(db, key, ManualClock(), verifier)
    await verifier.aclose()
    await db.close()


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[MessageStore]:
    async for store in _open(tmp_path, key_from(9)):
        yield store


@pytest.fixture
async def v_itself(tmp_path: Path) -> AsyncIterator[MessageStore]:
    """V's own node: the forger aims at its id."""
    async for store in _open(tmp_path, V_KEY):
        yield store


async def offer(store: MessageStore, message: Message) -> tuple[Status, str | None]:
    outcome = (await store.ingest([message.wire])).outcomes[0]
    return outcome.status, outcome.reason


async def written(store: MessageStore, count: int, committed: bool = False) -> Log:
    log = Log()
    for n in range(count):
        message = log.keep(log.write(V_KEY, "announcement", Announcement(f"news {n}")))
        assert (await offer(store, message))[0] is Status.STORED
    if committed:
        commit = log.keep(log.write(V_KEY, "key.commit", KeyCommit(sha256(SUCCESSOR.public_key))))
        assert (await offer(store, commit))[0] is Status.STORED
    return log


async def test_forged_revocation_at_a_used_seq_is_refused_and_marks_nobody_forked(
    receiver: MessageStore,
) -> None:
    log = await written(receiver, 3)
    forged = log.write(FORGER, "key.revoke", KeyRevoke(FORGER.public_key), seq=2)
    status, reason = await offer(receiver, forged)
    assert status is Status.REFUSED
    assert reason is not None and reason.startswith("invalid:")
    assert await receiver.forked_origins() == {}
    assert await receiver.fork_evidence(V) == []
    assert len(await receiver.log(V)) == 3


async def test_forged_revocation_is_refused_when_the_origin_has_a_commitment(
    receiver: MessageStore,
) -> None:
    log = await written(receiver, 2, committed=True)
    for seq in (1, 2, 3):  # before, at and after the commitment
        forged = log.write(FORGER, "key.revoke", KeyRevoke(FORGER.public_key), seq=seq)
        status, reason = await offer(receiver, forged)
        assert status is Status.REFUSED, seq
        assert reason is not None and reason.startswith("invalid:")
    assert await receiver.forked_origins() == {}


async def test_forged_revocation_aimed_at_the_nodes_own_id_is_refused(
    v_itself: MessageStore,
) -> None:
    for n in range(3):
        await v_itself.append("announcement", Announcement(f"ours {n}"))
    log = Log()
    log.messages = await v_itself.log(V)
    forged = log.write(FORGER, "key.revoke", KeyRevoke(FORGER.public_key), seq=2)
    status, reason = await offer(v_itself, forged)
    assert status is Status.REFUSED
    assert reason is not None and reason.startswith("invalid:")
    assert await v_itself.forked_origins() == {}
    # The node still writes, and its log is whole.
    assert (await v_itself.append("announcement", Announcement("still here"))).seq == 4


async def test_a_second_message_signed_by_a_stranger_at_a_used_seq_is_not_evidence(
    receiver: MessageStore,
) -> None:
    log = await written(receiver, 3)
    stranger = log.write(FORGER, "announcement", Announcement("not V"), seq=2)
    assert (await offer(receiver, stranger))[0] is Status.REFUSED
    assert await receiver.forked_origins() == {}


async def test_a_real_fork_under_the_key_in_force_is_still_recorded(
    receiver: MessageStore,
) -> None:
    log = await written(receiver, 3)
    other = log.write(V_KEY, "announcement", Announcement("another history"), seq=2)
    assert (await offer(receiver, other))[0] is Status.FORK
    assert V in await receiver.forked_origins()
    [(evidence, kept)] = await receiver.fork_evidence(V)
    assert (evidence.id, kept) == (other.id, log.messages[1].id)


async def test_fork_evidence_is_checked_under_the_key_in_force_at_its_seq(
    receiver: MessageStore,
) -> None:
    # V rotates at seq 3: seqs 1-3 are V_KEY's, seqs 4 on are SUCCESSOR's.
    log = await written(receiver, 2)
    turn = log.keep(log.write(V_KEY, "key.rotate", rotate(V_KEY, SUCCESSOR)))
    assert (await offer(receiver, turn))[0] is Status.STORED
    after = log.keep(log.write(SUCCESSOR, "announcement", Announcement("new key")))
    assert (await offer(receiver, after))[0] is Status.STORED
    # The old key at a seq after the rotation is nobody's word: refused.
    stale = log.write(V_KEY, "announcement", Announcement("old key, late"), seq=4)
    assert (await offer(receiver, stale))[0] is Status.REFUSED
    # The new key at a seq before the rotation is not V's word there either.
    early = log.write(SUCCESSOR, "announcement", Announcement("new key, early"), seq=2)
    assert (await offer(receiver, early))[0] is Status.REFUSED
    assert await receiver.forked_origins() == {}
    # The key in force at each seq does prove a fork.
    real = log.write(V_KEY, "announcement", Announcement("old key, its own seq"), seq=2)
    assert (await offer(receiver, real))[0] is Status.FORK
    assert V in await receiver.forked_origins()


async def test_a_revocation_by_the_committed_successor_at_a_used_seq_is_a_fork(
    receiver: MessageStore,
) -> None:
    # Only the holder of the committed successor key can sign it: that is V's word.
    log = await written(receiver, 2, committed=True)
    log.keep(log.write(V_KEY, "announcement", Announcement("after commit")))
    assert (await offer(receiver, log.messages[-1]))[0] is Status.STORED
    revoke = log.write(SUCCESSOR, "key.revoke", KeyRevoke(SUCCESSOR.public_key), seq=4)
    assert (await offer(receiver, revoke))[0] is Status.FORK
    assert V in await receiver.forked_origins()


async def test_a_held_key_commit_is_checked_by_the_key_rules_when_released(
    receiver: MessageStore,
) -> None:
    log = await written(receiver, 1, committed=True)
    gap = log.keep(log.write(V_KEY, "announcement", Announcement("gap")))
    again = log.keep(log.write(V_KEY, "key.commit", KeyCommit(sha256(NEXT.public_key))))
    assert (await offer(receiver, again))[0] is Status.HELD
    assert (await offer(receiver, gap))[0] is Status.STORED
    head = await receiver.head(V)
    assert head is not None and head.seq == gap.seq  # the second commitment stayed out


async def test_key_state_at_a_past_seq_survives_a_restart(tmp_path: Path) -> None:
    log = Log()
    async for store in _open(tmp_path, key_from(9)):
        for n in range(2):
            await offer(store, log.keep(log.write(V_KEY, "announcement", Announcement(str(n)))))
        await offer(store, log.keep(log.write(V_KEY, "key.rotate", rotate(V_KEY, SUCCESSOR))))
        await offer(store, log.keep(log.write(SUCCESSOR, "announcement", Announcement("x"))))
    async for store in _open(tmp_path, key_from(9)):
        # After a restart the store still knows seq 2 was V_KEY's and seq 4 SUCCESSOR's.
        early = log.write(SUCCESSOR, "announcement", Announcement("early"), seq=2)
        assert (await offer(store, early))[0] is Status.REFUSED
        late = log.write(SUCCESSOR, "announcement", Announcement("late"), seq=4)
        assert (await offer(store, late))[0] is Status.FORK
        assert NodeId(V) in await store.forked_origins()


# -- PROTOCOL.md §6.1: a fork proof is checked by each receiver ---------------------


async def test_a_proof_of_a_real_fork_is_checked_and_quarantines_the_hub(
    receiver: MessageStore, tmp_path: Path
) -> None:
    log = await written(receiver, 3)
    other = log.write(V_KEY, "announcement", Announcement("another history"), seq=2)
    found: list[object] = []
    receiver.on_forked.append(found.extend)
    outcome = await receiver.check_fork_proof(log.messages[1].wire, other.wire)
    assert outcome.status is Status.FORK
    assert V in await receiver.forked_origins()
    assert [(f.origin, f.seq) for f in found] == [(V, 2)]  # type: ignore[attr-defined]
    # It serves the proof on: the message in its log, then the evidence.
    assert await receiver.fork_pairs(V, 16) == [(log.messages[1].wire, other.wire)]


async def test_a_proof_is_checked_even_by_a_node_holding_none_of_the_log(
    receiver: MessageStore,
) -> None:
    log = Log()
    first = log.keep(log.write(V_KEY, "announcement", Announcement("one")))
    second = log.write(V_KEY, "announcement", Announcement("two"), seq=1)
    assert (await receiver.check_fork_proof(first.wire, second.wire)).status is Status.FORK
    assert V in await receiver.forked_origins()
    assert len(await receiver.fork_pairs(V, 16)) == 2


@pytest.mark.parametrize("forgery", ["revoke", "stranger", "other-seq", "same"])
async def test_a_false_proof_is_refused_and_quarantines_nobody(
    receiver: MessageStore, forgery: str
) -> None:
    log = await written(receiver, 3)
    real = log.messages[1]
    if forgery == "revoke":
        fake = log.write(FORGER, "key.revoke", KeyRevoke(FORGER.public_key), seq=2)
    elif forgery == "stranger":
        fake = log.write(FORGER, "announcement", Announcement("not V"), seq=2)
    elif forgery == "other-seq":
        fake = log.messages[2]
    else:
        fake = real
    outcome = await receiver.check_fork_proof(real.wire, fake.wire)
    assert outcome.status is Status.REFUSED
    assert outcome.reason is not None and outcome.reason.startswith("invalid:")
    assert await receiver.forked_origins() == {}
    assert await receiver.fork_pairs(V, 16) == []


async def test_a_proof_against_the_nodes_own_id_is_checked_like_any_other(
    v_itself: MessageStore,
) -> None:
    for n in range(2):
        await v_itself.append("announcement", Announcement(f"ours {n}"))
    log = Log()
    log.messages = await v_itself.log(V)
    forged = log.write(FORGER, "key.revoke", KeyRevoke(FORGER.public_key), seq=2)
    assert (await v_itself.check_fork_proof(log.messages[1].wire, forged.wire)).status is (
        Status.REFUSED
    )
    assert await v_itself.forked_origins() == {}
    # A stale backup's branch, signed by V's own key, is a real fork of V.
    stale = log.write(V_KEY, "announcement", Announcement("from a stale backup"), seq=2)
    assert (await v_itself.check_fork_proof(log.messages[1].wire, stale.wire)).status is (
        Status.FORK
    )
    assert V in await v_itself.forked_origins()


# -- PROTOCOL.md §6.2: a forked hub's way back ----------------------------------------


class Forked:
    """V committed at seq 3, wrote 4-5 (branch A), then a stale copy wrote 4' (branch B)."""

    def __init__(self) -> None:
        self.a = Log()
        for n in range(2):
            self.a.keep(self.a.write(V_KEY, "announcement", Announcement(f"news {n}")))
        self.a.keep(self.a.write(V_KEY, "key.commit", KeyCommit(sha256(SUCCESSOR.public_key))))
        self.b = Log()
        self.b.messages = list(self.a.messages)
        self.a.keep(self.a.write(V_KEY, "announcement", Announcement("A4")))
        self.a.keep(self.a.write(V_KEY, "announcement", Announcement("A5")))
        self.stale = self.b.keep(self.b.write(V_KEY, "announcement", Announcement("stale B4")))

    def resolve(self, signer: SigningKey = SUCCESSOR, named: SigningKey = SUCCESSOR) -> Message:
        body = ForkResolve(4, self.stale.id, named.public_key, sha256(NEXT.public_key))
        return self.b.write(signer, "fork.resolve", body)


async def forked_receiver(store: MessageStore) -> Forked:
    forked = Forked()
    report = await store.ingest([m.wire for m in forked.a.messages])
    assert report.count(Status.STORED) == 5
    assert (await offer(store, forked.stale))[0] is Status.FORK
    assert V in await store.forked_origins()
    return forked


async def test_a_resolution_by_the_successor_restores_the_kept_branch(
    receiver: MessageStore,
) -> None:
    forked = await forked_receiver(receiver)
    resolve = forked.b.keep(forked.resolve())
    assert (await offer(receiver, resolve))[0] is Status.STORED
    assert await receiver.forked_origins() == {}
    assert [m.id for m in await receiver.log(V)] == [m.id for m in forked.b.messages]
    # The abandoned branch stays as evidence.
    evidence = {m.id for m, _ in await receiver.fork_evidence(V)}
    assert {m.id for m in forked.a.messages[3:]} <= evidence
    assert await receiver.key_in_force(V) == SUCCESSOR.public_key
    after = forked.b.keep(forked.b.write(SUCCESSOR, "announcement", Announcement("back")))
    assert (await offer(receiver, after))[0] is Status.STORED
    # The abandoned branch arriving late is old evidence, not a new fork.
    assert (await offer(receiver, forked.a.messages[4]))[0] is Status.FORK
    assert await receiver.forked_origins() == {}
    # The old key after the resolution is nobody's word.
    late = forked.b.write(V_KEY, "announcement", Announcement("old key"))
    assert (await offer(receiver, late))[0] is Status.REFUSED
    assert await receiver.forked_origins() == {}


@pytest.mark.parametrize("who", ["forger", "old-key"])
async def test_a_resolution_not_signed_by_the_committed_successor_is_refused(
    receiver: MessageStore, who: str
) -> None:
    forked = await forked_receiver(receiver)
    resolve = forked.resolve(FORGER, FORGER) if who == "forger" else forked.resolve(V_KEY)
    status, reason = await offer(receiver, resolve)
    assert status is Status.REFUSED
    assert reason is not None and reason.startswith("invalid:")
    assert V in await receiver.forked_origins()
    assert [m.id for m in await receiver.log(V)] == [m.id for m in forked.a.messages]


async def test_a_resolution_for_a_branch_not_yet_held_waits_for_it(
    receiver: MessageStore,
) -> None:
    forked = Forked()
    await receiver.ingest([m.wire for m in forked.a.messages])  # never saw the fork
    resolve = forked.b.keep(forked.resolve())
    assert (await offer(receiver, resolve))[0] is Status.HELD
    # Branch A left the log from seq 4; the kept message fills the gap and the
    # resolution is released after it.
    assert (await offer(receiver, forked.a.messages[3]))[0] is not Status.STORED
    assert (await offer(receiver, forked.stale))[0] is Status.STORED
    assert [m.id for m in await receiver.log(V)] == [m.id for m in forked.b.messages]
    assert await receiver.forked_origins() == {}


def test_fork_pairs_travel_as_pairs_of_envelopes_and_nothing_else() -> None:
    log = Log()
    a = log.write(V_KEY, "announcement", Announcement("a"))
    b = log.write(V_KEY, "announcement", Announcement("b"))
    assert wire.decode_fork_pairs(wire.encode_fork_pairs([(a.wire, b.wire)])) == [(a.wire, b.wire)]
    too_many = [(a.wire, b.wire)] * (wire.MAX_FORK_PAIRS + 1)
    for bad in (
        encode({"forks": [[a.wire]]}),
        encode({"forks": [[a.wire, "text"]]}),
        encode({"forks": "none"}),
        encode({"forks": [list(p) for p in too_many]}),
    ):
        with pytest.raises(MalformedPayload):
            wire.decode_fork_pairs(bad)
