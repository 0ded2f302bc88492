"""Who this node is: its key in force and its node id, which outlives key rotations.

A node id is derived from the node's first key (PROTOCOL.md §4.1). After a
rotation or revocation (§7) the node signs with another key but keeps its id, so
the id is then kept in `node.id` beside the key; without that file the id is the
key's own.
"""

from __future__ import annotations

import os
from pathlib import Path

from crypto.ed25519 import SigningKey
from crypto.errors import BadNodeId, KeyFileError
from crypto.keyfile import load_key
from crypto.nodeid import NodeId, node_id_from_public_key, parse_node_id
from node.errors import NodeError

KEY_FILE = "node.key"
NODE_ID_FILE = "node.id"


def load_identity(data_dir: Path) -> tuple[SigningKey, NodeId]:
    try:
        key = load_key(data_dir / KEY_FILE)
    except KeyFileError as exc:
        raise NodeError(f"{exc}; is {data_dir} a node? ('hubnet init' makes one)") from exc
    return key, load_node_id(data_dir, key)


def load_node_id(data_dir: Path, key: SigningKey) -> NodeId:
    path = data_dir / NODE_ID_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return node_id_from_public_key(key.public_key)
    except (OSError, UnicodeDecodeError) as exc:
        raise NodeError(f"cannot read {path}: {exc}") from exc
    try:
        return parse_node_id(text)
    except BadNodeId as exc:
        raise NodeError(f"{path} does not hold a node id: {exc}") from exc


def replace_key(data_dir: Path, node_id: NodeId, new_key: SigningKey) -> None:
    """Put `new_key` in force on disk, keeping the id; the old key is kept as node.key.old."""
    from crypto.keyfile import save_key

    (data_dir / NODE_ID_FILE).write_text(node_id + "\n", encoding="ascii")
    staged = data_dir / (KEY_FILE + ".new")
    staged.unlink(missing_ok=True)
    try:
        save_key(new_key, staged)
    except KeyFileError as exc:
        raise NodeError(str(exc)) from exc
    current = data_dir / KEY_FILE
    old = data_dir / (KEY_FILE + ".old")
    if current.exists():
        os.replace(current, old)
    os.replace(staged, current)
