"""The pure key rules of PROTOCOL.md §7 (protocol/keys.py), over random key message sequences."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from protocol.envelope import Message, create_message
from protocol.keys import KeyRuleBroken, KeyState, held_signer, initial_key_state, key_step
from protocol.kinds.hub import Announcement
from protocol.kinds.keys import KeyCommit, KeyRevoke, KeyRotate, rotation_statement
from tests.helpers import T0, key_from

KEYS = [key_from(n) for n in range(1, 9)]  # KEYS[0] is the id's key
THIEF = key_from(20)
ORIGIN = node_id_from_public_key(KEYS[0].public_key)


def message(signer: SigningKey, kind: str, body: object, seq: int = 2) -> Message:
    # The rules look at the body, the origin and (for rotation) the state; seq and
    # prev do not matter to them.
    return create_message(signer, kind, body, seq, b"\x00" * 32, T0, origin=ORIGIN)


def rotation(old: bytes, new: SigningKey, next_key: SigningKey | None) -> KeyRotate:
    return KeyRotate(
        new.public_key,
        new.sign(rotation_statement(ORIGIN, old, new.public_key)),
        sha256(next_key.public_key) if next_key else None,
    )


def key_named(public_key: bytes) -> SigningKey:
    return next(k for k in [*KEYS, THIEF] if k.public_key == public_key)


# An action: (what, key index, next key index or None)
ACTIONS = st.tuples(
    st.sampled_from(["announce", "commit", "rotate", "revoke"]),
    st.integers(0, len(KEYS) - 1),
    st.none() | st.integers(0, len(KEYS) - 1),
)


@dataclass
class Model:
    """What §7 says, stated as plainly as possible, to check the code against."""

    key: bytes
    digest: bytes | None = None

    def allows(self, what: str, new: bytes) -> bool:
        if what == "commit":
            return self.digest is None
        if what == "revoke":
            return self.digest is not None and sha256(new) == self.digest
        if what == "rotate":
            return self.digest is None or sha256(new) == self.digest
        return True


def build(state: KeyState, what: str, index: int, next_index: int | None) -> Message:
    """The message an owner holding every key would write for an action."""
    signer = key_named(state.public_key)
    new = KEYS[index]
    after = KEYS[next_index] if next_index is not None else None
    if what == "commit":
        return message(signer, "key.commit", KeyCommit(sha256(new.public_key)))
    if what == "rotate":
        return message(signer, "key.rotate", rotation(state.public_key, new, after))
    if what == "revoke":
        body = KeyRevoke(new.public_key, sha256(after.public_key) if after else None)
        return message(new, "key.revoke", body)
    return message(signer, "announcement", Announcement("news"))


@settings(max_examples=60, deadline=None)
@given(st.lists(ACTIONS, max_size=12))
def test_key_step_follows_the_rules_over_any_sequence(
    actions: list[tuple[str, int, int | None]],
) -> None:
    state = initial_key_state(ORIGIN)
    model = Model(KEYS[0].public_key)
    for what, index, next_index in actions:
        msg = build(state, what, index, next_index)
        new = KEYS[index].public_key
        if not model.allows(what, new):
            with pytest.raises(KeyRuleBroken):
                key_step(state, msg)
            continue
        step = key_step(state, msg)
        # The signer is the key in force, except for a revocation: its committed successor.
        assert step.signer == (new if what == "revoke" else state.public_key)
        assert msg.signed_by(step.signer)
        next_digest = sha256(KEYS[next_index].public_key) if next_index is not None else None
        if what == "commit":
            model.digest = sha256(new)
        elif what in ("rotate", "revoke"):
            model.key, model.digest = new, next_digest
        assert step.after == KeyState(model.key, model.digest)
        state = step.after


@settings(max_examples=60, deadline=None)
@given(st.lists(ACTIONS, max_size=8), st.sampled_from(["commit", "rotate", "revoke", "claim"]))
def test_a_thief_with_the_key_in_force_cannot_take_a_committed_log(
    actions: list[tuple[str, int, int | None]], attack: str
) -> None:
    state = initial_key_state(ORIGIN)
    for what, index, next_index in actions:
        try:
            state = key_step(state, build(state, what, index, next_index)).after
        except KeyRuleBroken:
            continue
    if state.next_key_digest is None:
        return  # §7.1: with no commitment the key in force may rotate anywhere
    holder = key_named(state.public_key)  # stolen
    if attack == "commit":
        attempt = message(holder, "key.commit", KeyCommit(sha256(THIEF.public_key)))
    elif attack == "rotate":
        attempt = message(holder, "key.rotate", rotation(state.public_key, THIEF, THIEF))
    elif attack == "revoke":
        attempt = message(THIEF, "key.revoke", KeyRevoke(THIEF.public_key))
    else:  # a revocation naming the successor but signed by the stolen key
        attempt = message(holder, "key.revoke", KeyRevoke(THIEF.public_key))
    with pytest.raises(KeyRuleBroken):
        key_step(state, attempt)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(KEYS) - 1), st.none() | st.integers(0, len(KEYS) - 1))
def test_a_revocation_is_verified_only_under_the_committed_key(
    named: int, committed: int | None
) -> None:
    digest = sha256(KEYS[committed].public_key) if committed is not None else None
    state = KeyState(KEYS[0].public_key, digest)
    revoke = message(KEYS[named], "key.revoke", KeyRevoke(KEYS[named].public_key))
    if digest is None or sha256(KEYS[named].public_key) != digest:
        with pytest.raises(KeyRuleBroken):
            key_step(state, revoke)
    else:
        assert sha256(key_step(state, revoke).signer) == digest


@settings(max_examples=30, deadline=None)
@given(st.integers(0, len(KEYS) - 1), st.none() | st.binary(min_size=32, max_size=32))
def test_an_ordinary_message_is_signed_by_the_key_in_force_and_changes_nothing(
    index: int, digest: bytes | None
) -> None:
    state = KeyState(KEYS[index].public_key, digest)
    step = key_step(state, message(KEYS[index], "announcement", Announcement("hi")))
    assert step.signer == state.public_key
    assert step.after == state
    assert held_signer(state, message(KEYS[index], "announcement", Announcement("x"))) == (
        state.public_key
    )


def test_a_rotation_without_the_new_keys_counter_signature_is_refused() -> None:
    state = initial_key_state(ORIGIN)
    body = KeyRotate(KEYS[1].public_key, KEYS[2].sign(b"something else"))
    with pytest.raises(KeyRuleBroken, match="counter-signed"):
        key_step(state, message(KEYS[0], "key.rotate", body))


def test_a_revocation_naming_an_unusable_key_is_refused() -> None:
    bad = bytes(32)  # of small order (PROTOCOL.md §4.2)
    state = KeyState(KEYS[0].public_key, sha256(bad))
    revoke = message(KEYS[1], "key.revoke", KeyRevoke(bad))
    with pytest.raises(KeyRuleBroken, match="unusable"):
        key_step(state, revoke)
