"""Key rules (PROTOCOL.md §7; §6.2 for `fork.resolve`) as pure functions: which key
signs a message, and what key state holds after it.

An origin's key state is the key in force and the commitment in force (§7.1). It
starts as the key inside the node id with no commitment, and only the origin's own
key messages change it, in seq order. `key_step` is the one place a node decides
both who must have signed a message and what the message does to the state; the
store applies it at every placement (append, release of a held message, and fork
detection against the state in force at the fork's seq), so a message cannot be
judged by one rule in one place and another rule elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crypto.digest import sha256
from crypto.ed25519 import check_public_key, verify
from crypto.errors import BadPublicKey
from crypto.nodeid import public_key_from_node_id
from protocol.envelope import Message
from protocol.errors import BadSignature
from protocol.kinds.forks import ForkResolve
from protocol.kinds.keys import KeyCommit, KeyRevoke, KeyRotate, rotation_statement

# Kinds that may change an origin's key state: §7, and §6.2 for fork.resolve. Any other
# message leaves the state as it was, so an origin's key history is theirs alone.
KEY_KINDS = ("key.commit", "key.rotate", "key.revoke", "fork.resolve")
# Kinds signed by the committed successor rather than the key in force (§6.2, §7.2).
SUCCESSOR_KINDS = ("key.revoke", "fork.resolve")


class KeyRuleBroken(BadSignature):
    """A key.commit, key.rotate or key.revoke that breaks the rules of PROTOCOL.md §7."""


@dataclass(frozen=True, slots=True)
class KeyState:
    """An origin's key in force and its commitment in force (§7.1), if any."""

    public_key: bytes
    next_key_digest: bytes | None = None


@dataclass(frozen=True, slots=True)
class KeyStep:
    """What one message means for its origin's keys.

    `signer` is the only key the message may be verified under; `after` is the key
    state in force for the next seq once the message is in the log.
    """

    signer: bytes
    after: KeyState


# An origin's key history: (from_seq, the state in force for messages at from_seq and
# after, until the next entry), in ascending from_seq. Empty: the id's key throughout.
KeyHistory = tuple[tuple[int, KeyState], ...]


def initial_key_state(origin: str) -> KeyState:
    """§7: until a key message, the key in force is the one inside the node id."""
    return KeyState(public_key_from_node_id(origin))


def key_step(state: KeyState, message: Message) -> KeyStep:
    """The signer `message` must verify under and the key state after it.

    `state` is the key state in force at `message.seq` (before the message). Raises
    KeyRuleBroken (a RemoteProtocolError, reason `invalid:`) when the message
    breaks a rule of §7; the caller still has to verify the signature under
    `signer`.
    """
    body = message.body
    if isinstance(body, KeyRevoke | ForkResolve):
        # §7.2, §6.2: signed by the committed successor, so the successor must be the
        # key the origin committed to before this seq. The key such a message names
        # is never trusted by itself: anyone can name their own key.
        _check_successor(state, body.new_key, message.kind, required=True)
        return KeyStep(body.new_key, KeyState(body.new_key, body.next_key_digest))
    if isinstance(body, KeyRotate):
        # §7, §7.1: the new key counter-signs, and is the committed one if any.
        _check_successor(state, body.new_key, "key.rotate", required=False)
        statement = rotation_statement(message.origin, state.public_key, body.new_key)
        if not verify(body.new_key, statement, body.new_key_signature):
            raise KeyRuleBroken("key.rotate is not counter-signed by the new key")
        return KeyStep(state.public_key, KeyState(body.new_key, body.next_key_digest))
    if isinstance(body, KeyCommit):
        # §7.1: a commitment in force is replaced only by revealing its key.
        if state.next_key_digest is not None:
            raise KeyRuleBroken(
                f"key.commit for {message.origin}, which has a commitment in force already"
            )
        return KeyStep(state.public_key, KeyState(state.public_key, body.next_key_digest))
    return KeyStep(state.public_key, state)


def _check_successor(state: KeyState, new_key: bytes, kind: str, required: bool) -> None:
    if state.next_key_digest is None:
        if required:
            raise KeyRuleBroken(f"{kind} for an origin that committed to no successor key")
    elif sha256(new_key) != state.next_key_digest:
        raise KeyRuleBroken(f"{kind} names a key other than the successor its origin committed to")
    try:
        check_public_key(new_key)
    except BadPublicKey as exc:
        raise KeyRuleBroken(f"{kind} names an unusable key: {exc}") from exc


def held_signer(state: KeyState, message: Message) -> bytes:
    """The key a message that skips ahead of the head is checked under before it is held.

    The state at its seq is not known yet (the gap may rotate the key), so this is
    only a filter against junk: the key in force now, or for a revocation the key
    it names. PROTOCOL.md §6: `key_step` judges it in full when it is released.
    """
    if isinstance(message.body, KeyRevoke | ForkResolve):
        return message.body.new_key
    return state.public_key


def state_at(origin: str, history: KeyHistory, seq: int) -> KeyState:
    """The key state in force at `seq` of the origin's log, from its key history."""
    found = initial_key_state(origin)
    for from_seq, state in history:
        if from_seq > seq:
            break
        found = state
    return found


def extend_history(origin: str, history: KeyHistory, messages: Iterable[Message]) -> KeyHistory:
    """The key history after the origin's next messages, given in seq order.

    Each message is judged by `key_step` against the state in force before it, as the
    store judges it on append, and a change of state starts an entry at the next seq.
    Messages of other kinds than KEY_KINDS may be given or left out: they change
    nothing. Raises KeyRuleBroken if one breaks §7 (a log this node stored never does).
    """
    entries = list(history)
    state = entries[-1][1] if entries else initial_key_state(origin)
    for message in messages:
        if message.origin != origin:
            raise ValueError(f"a message of {message.origin} in the key history of {origin}")
        after = key_step(state, message).after
        if after != state:
            entries.append((message.seq + 1, after))
            state = after
    return tuple(entries)


def key_history(origin: str, messages: Iterable[Message]) -> KeyHistory:
    """The origin's key history from its log (or only its key messages), in seq order."""
    return extend_history(origin, (), messages)


def signed_in_force(message: Message, history: KeyHistory | None) -> bool:
    """Whether `message` verifies under the key its origin's history puts in force at its seq.

    None for a history stands for one that broke the rules: nothing verifies under it.
    """
    if history is None:
        return False
    try:
        signer = key_step(state_at(message.origin, history, message.seq), message).signer
    except KeyRuleBroken:
        return False
    return message.signed_by(signer)
