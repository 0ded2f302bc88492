"""Node ids: self-certifying names derived from a node's Ed25519 public key.

Like an onion v3 address: base32 (RFC 4648 alphabet, lower case, no padding) of
public key (32 bytes) || checksum (2 bytes) || version (1 byte), 56 characters,
safe in URLs and file names. The checksum catches typing and copying mistakes;
the key itself makes the id unforgeable.
"""

from __future__ import annotations

import base64
import functools
from typing import NewType

from crypto.digest import sha256
from crypto.ed25519 import PUBLIC_KEY_SIZE, check_public_key
from crypto.errors import BadNodeId, BadPublicKey

NodeId = NewType("NodeId", str)

NODE_ID_VERSION = 1
NODE_ID_LENGTH = 56
_CHECKSUM_PREFIX = b"hubnet node id"


def _checksum(public_key: bytes, version: int) -> bytes:
    return sha256(_CHECKSUM_PREFIX + public_key + bytes([version]))[:2]


@functools.lru_cache(maxsize=256)
def node_id_from_public_key(public_key: bytes) -> NodeId:
    """The node id for a public key. The key must be valid (see check_public_key)."""
    check_public_key(public_key)
    raw = public_key + _checksum(public_key, NODE_ID_VERSION) + bytes([NODE_ID_VERSION])
    return NodeId(base64.b32encode(raw).decode("ascii").lower())


@functools.lru_cache(maxsize=4096)
def public_key_from_node_id(node_id: str) -> bytes:
    """The public key inside a node id; BadNodeId if the id is malformed.

    Cached: every incoming message names its origin, and the curve check costs
    tens of microseconds, more than verifying the signature's share of a batch.
    """
    if len(node_id) != NODE_ID_LENGTH:
        raise BadNodeId(f"node id must be {NODE_ID_LENGTH} characters, got {len(node_id)}")
    if node_id != node_id.lower():
        raise BadNodeId("node id must be lower case")
    try:
        raw = base64.b32decode(node_id.upper())
    except ValueError as exc:
        raise BadNodeId("node id is not base32") from exc
    if len(raw) != PUBLIC_KEY_SIZE + 3:  # "=" padding decodes to fewer bytes
        raise BadNodeId("node id is not base32 without padding")
    key, checksum, version = raw[:PUBLIC_KEY_SIZE], raw[32:34], raw[34]
    if version != NODE_ID_VERSION:
        raise BadNodeId(f"unknown node id version {version}")
    if checksum != _checksum(key, version):
        raise BadNodeId("node id checksum does not match (mistyped?)")
    try:
        check_public_key(key)
    except BadPublicKey as exc:
        raise BadNodeId(f"node id holds an unusable key: {exc}") from exc
    return key


def parse_node_id(text: str) -> NodeId:
    """Validate `text` as a node id and return it typed."""
    public_key_from_node_id(text)
    return NodeId(text)
