"""Key histories (protocol/keys.py, PROTOCOL.md §7): the key in force at every seq of a log.

The store keeps each origin's key state as messages arrive, a batch at a time; the
pure rule folds the same log in one go. They must agree however the log is split.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.digest import sha256
from crypto.nodeid import NodeId
from node.store.database import Database
from node.store.messages import MessageStore, Status
from node.verifier import Verifier
from protocol.envelope import Message, MessageId, create_message
from protocol.keys import (
    KeyHistory,
    KeyRuleBroken,
    KeyState,
    extend_history,
    initial_key_state,
    key_history,
    key_step,
    signed_in_force,
    state_at,
)
from protocol.kinds.hub import Announcement
from protocol.kinds.keys import KeyCommit, KeyRevoke, KeyRotate, rotation_statement
from tests.helpers import T0, ManualClock, key_from
from tests.unit.test_key_state import ACTIONS, KEYS, ORIGIN, key_named


def valid_log(actions: list[tuple[str, int, int | None]]) -> list[Message]:
    """The origin's chained log for the actions the rules allow (others are skipped)."""
    log: list[Message] = []
    state = initial_key_state(ORIGIN)
    for what, index, next_index in actions:
        new = KEYS[index]
        after = sha256(KEYS[next_index].public_key) if next_index is not None else None
        signer, kind, body = key_named(state.public_key), "announcement", Announcement("news")
        if what == "commit":
            kind, body = "key.commit", KeyCommit(sha256(new.public_key))
        elif what == "rotate":
            statement = rotation_statement(ORIGIN, state.public_key, new.public_key)
            kind, body = "key.rotate", KeyRotate(new.public_key, new.sign(statement), after)
        elif what == "revoke":
            signer, kind, body = new, "key.revoke", KeyRevoke(new.public_key, after)
        prev = MessageId(log[-1].id) if log else None
        message = create_message(signer, kind, body, len(log) + 1, prev, T0, origin=ORIGIN)
        try:
            state = key_step(state, message).after
        except KeyRuleBroken:
            continue
        log.append(message)
    return log


def folded(log: list[Message], seq: int) -> KeyState:
    """The state in force at `seq`, stated plainly: every message before it, in order."""
    state = initial_key_state(ORIGIN)
    for message in log:
        if message.seq < seq:
            state = key_step(state, message).after
    return state


@settings(max_examples=60, deadline=None)
@given(st.lists(ACTIONS, max_size=14), st.data())
def test_the_key_history_does_not_depend_on_how_the_log_is_split(
    actions: list[tuple[str, int, int | None]], data: st.DataObject
) -> None:
    log = valid_log(actions)
    whole = key_history(ORIGIN, log)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(log)), max_size=4)))
    history: KeyHistory = ()
    for start, end in zip([0, *cuts], [*cuts, len(log)], strict=True):
        history = extend_history(ORIGIN, history, log[start:end])
    assert history == whole
    # Only key messages matter: the history from them alone is the same.
    assert key_history(ORIGIN, [m for m in log if m.kind.startswith("key.")]) == whole
    for seq in range(1, len(log) + 2):
        assert state_at(ORIGIN, whole, seq) == folded(log, seq)
    assert all(signed_in_force(m, whole) for m in log)


def test_nothing_verifies_under_a_history_that_broke_the_rules() -> None:
    log = valid_log([("announce", 0, None)])
    assert signed_in_force(log[0], ()) and not signed_in_force(log[0], None)


async def _stored_after_batches(log: list[Message], batches: list[list[Message]]) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "hubnet.db")
        verifier = Verifier(1)
        try:
            store = MessageStore(db, key_from(9), ManualClock(), verifier)
            for batch in batches:
                await store.ingest([m.wire for m in batch])
            # PROTOCOL.md §6: a message that arrived ahead of a rotation it depends on is
            # refused (held messages are checked against the key in force now); the next
            # pull sends it again, in one batch with whatever is still missing.
            report = await store.ingest([m.wire for m in log])
            assert {o.status for o in report.outcomes} <= {Status.STORED, Status.DUPLICATE}
            rows = await db.fetchall(
                "SELECT from_seq, public_key, next_key_digest FROM key_history"
                " WHERE origin = ? ORDER BY from_seq",
                (ORIGIN,),
            )
            head = await store.head(ORIGIN)
            in_force = await db.fetchone(
                "SELECT public_key, next_key_digest FROM origins WHERE origin = ?", (ORIGIN,)
            )
        finally:
            await verifier.aclose()
            await db.close()
    history = tuple(
        (seq, KeyState(bytes(k), None if d is None else bytes(d))) for seq, k, d in rows
    )
    state = (
        None
        if in_force is None
        else KeyState(bytes(in_force[0]), in_force[1] and bytes(in_force[1]))
    )
    return history, head.seq if head else 0, state


@settings(max_examples=15, deadline=None)
@given(st.lists(ACTIONS, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_the_store_keeps_the_key_history_the_rules_give_whatever_the_batches(
    actions: list[tuple[str, int, int | None]], rng: random.Random
) -> None:
    log = valid_log([("announce", 0, None), *actions])
    shuffled = list(log)
    rng.shuffle(shuffled)  # out of order: some are held, then released, some refused
    cuts = sorted(rng.sample(range(len(log) + 1), k=min(3, len(log) + 1)))
    batches = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(log)], strict=True)]
    history, head, state = asyncio.run(_stored_after_batches(log, [b for b in batches if b]))
    assert head == len(log)
    expected = key_history(NodeId(ORIGIN), log)
    assert history == expected
    assert state == (expected[-1][1] if expected else initial_key_state(ORIGIN))
