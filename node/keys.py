"""Key management for a node's organisers: commit to a successor, rotate, revoke.

PROTOCOL.md §7: a node commits in advance to a successor key kept offline
(`key.commit`), rotates with the old key's signature and the new key's
counter-signature (`key.rotate`), and, when its key is lost or stolen, hands
over to the committed successor with a message only the successor can sign
(`key.revoke`). The node id never changes (node/identity.py).

Each operation writes the key files it will need *before* the message that puts
them in force, so a crash in between leaves a key on disk, never a log whose
key in force no file holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.errors import KeyFileError
from crypto.keyfile import load_key, save_key
from crypto.nodeid import NodeId
from node.errors import NodeError
from node.identity import KEY_FILE, replace_key
from node.node import Node
from node.store import operations
from node.store.messages import MessageStore
from protocol.errors import ProtocolError
from protocol.kinds.forks import ForkResolve
from protocol.kinds.keys import KeyCommit, KeyRevoke, KeyRotate, rotation_statement


@dataclass(frozen=True, slots=True)
class KeyChange:
    seq: int
    new_public_key: bytes | None
    successor_file: Path | None


async def commitment(node: Node) -> bytes | None:
    return await operations.key_commitment(node.db, node.node_id)


def _new_successor(path: Path) -> SigningKey:
    """A fresh key saved to `path` (0600, never overwriting), to be kept offline."""
    key = SigningKey.generate()
    try:
        save_key(key, path)
    except KeyFileError as exc:
        raise NodeError(str(exc)) from exc
    return key


def _load_successor(path: Path, committed: bytes | None) -> SigningKey:
    try:
        key = load_key(path)
    except KeyFileError as exc:
        raise NodeError(str(exc)) from exc
    if committed is not None and sha256(key.public_key) != committed:
        raise NodeError(f"{path} is not the successor key this node committed to")
    return key


async def _append(store: MessageStore, kind: str, body: object) -> int:
    try:
        message = await store.append(kind, body)
    except ProtocolError as exc:
        raise NodeError(f"{kind} refused: {exc.message}") from exc
    return message.seq


async def commit(node: Node, successor_out: Path) -> KeyChange:
    if await commitment(node) is not None:
        raise NodeError(
            "this node has committed to a successor key already; 'hubnet key rotate' "
            "with that key makes a new commitment"
        )
    successor = _new_successor(successor_out)
    seq = await _append(node.messages, "key.commit", KeyCommit(sha256(successor.public_key)))
    return KeyChange(seq, None, successor_out)


async def rotate(node: Node, successor_in: Path | None, successor_out: Path) -> KeyChange:
    """Hand over to the committed successor (or, with no commitment, to a new key)."""
    committed = await commitment(node)
    if committed is not None and successor_in is None:
        raise NodeError("this node committed to a successor key: give it with --successor-key FILE")
    new_key = _load_successor(successor_in, committed) if successor_in else SigningKey.generate()
    statement = rotation_statement(node.node_id, node.key.public_key, new_key.public_key)
    next_successor = _new_successor(successor_out)
    body = KeyRotate(
        new_key=new_key.public_key,
        new_key_signature=new_key.sign(statement),
        next_key_digest=sha256(next_successor.public_key),
    )
    _stage(node.config.data_dir, new_key)
    seq = await _append(node.messages, "key.rotate", body)
    replace_key(node.config.data_dir, node.node_id, new_key)
    return KeyChange(seq, new_key.public_key, successor_out)


async def revoke(
    node: Node, successor_in: Path, successor_out: Path, reason: str | None
) -> KeyChange:
    """Put the committed successor in force without the key in force's signature."""
    committed = await commitment(node)
    if committed is None:
        raise NodeError(
            "this node never committed to a successor key, so its key cannot be revoked; "
            "see 'Key compromise' in docs/OPERATIONS.md"
        )
    successor = _load_successor(successor_in, committed)
    next_successor = _new_successor(successor_out)
    body = KeyRevoke(
        new_key=successor.public_key,
        next_key_digest=sha256(next_successor.public_key),
        reason=reason,
    )
    # Signed by the successor: the store checks it against the commitment (§7.2).
    store = MessageStore(node.db, successor, node.clock, node.verifier, origin=NodeId(node.node_id))
    _stage(node.config.data_dir, successor)
    seq = await _append(store, "key.revoke", body)
    replace_key(node.config.data_dir, node.node_id, successor)
    return KeyChange(seq, successor.public_key, successor_out)


async def resolve_fork(
    node: Node, successor_in: Path, successor_out: Path, seq: int | None, reason: str | None
) -> KeyChange:
    """Say which branch of a forked log is this node's own (PROTOCOL.md §6.2).

    The branch is the one this node holds: `fork.resolve` names its message at the
    forked seq and is appended after it, signed like key.revoke by the committed
    successor, which it puts in force.
    """
    committed = await commitment(node)
    if committed is None:
        raise NodeError(
            "this node never committed to a successor key, so it cannot resolve a fork; "
            "see 'Restore' in docs/OPERATIONS.md"
        )
    if seq is None:
        seq = await operations.first_forked_seq(node.db, node.node_id)
        if seq is None:
            raise NodeError(
                "this node holds no evidence that its own log forked; if a peer shows one, "
                "give the seq with --seq"
            )
    kept = await node.messages.log(node.node_id, after_seq=seq - 1, limit=1)
    if not kept or kept[0].seq != seq:
        raise NodeError(f"this node holds no message of its own at seq {seq}")
    successor = _load_successor(successor_in, committed)
    next_successor = _new_successor(successor_out)
    body = ForkResolve(
        seq=seq,
        keep=kept[0].id,
        new_key=successor.public_key,
        next_key_digest=sha256(next_successor.public_key),
        reason=reason,
    )
    store = MessageStore(node.db, successor, node.clock, node.verifier, origin=NodeId(node.node_id))
    _stage(node.config.data_dir, successor)
    written = await _append(store, "fork.resolve", body)
    replace_key(node.config.data_dir, node.node_id, successor)
    return KeyChange(written, successor.public_key, successor_out)


def _stage(data_dir: Path, key: SigningKey) -> None:
    """Write the incoming key beside node.key first (see the module docstring)."""
    staged = data_dir / (KEY_FILE + ".new")
    staged.unlink(missing_ok=True)
    try:
        save_key(key, staged)
    except KeyFileError as exc:
        raise NodeError(str(exc)) from exc
