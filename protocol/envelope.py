"""Signed messages: the envelope and the payload inside it (PROTOCOL.md §4).

On the wire a message is the canonical msgpack array [payload, signature]: the
payload is the canonical msgpack map the origin signed, carried as bin so that
it is verified and stored exactly as sent; the signature is Ed25519 over those
payload bytes. A message's id is SHA-256(payload).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NewType

from crypto.digest import sha256
from crypto.ed25519 import SIGNATURE_SIZE, SigningKey, verify
from crypto.errors import BadNodeId
from crypto.nodeid import NodeId, node_id_from_public_key, public_key_from_node_id
from protocol import PROTOCOL_VERSION
from protocol.codec import decode, encode
from protocol.errors import (
    BadSignature,
    LocalProtocolError,
    MalformedPayload,
    RemoteProtocolError,
    SchemaViolation,
    TooFarInFuture,
)
from protocol.kinds import KIND_NAME, parse_body
from protocol.limits import DEFAULT_LIMITS, Limits
from protocol.schema import dump

MessageId = NewType("MessageId", bytes)

MAX_SEQ = 2**53  # stays exact in every language's numbers
_PAYLOAD_KEYS = {"v", "kind", "origin", "seq", "prev", "ts", "body"}


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded, well-formed message. `payload` and `signature` are the bytes as sent."""

    id: MessageId
    payload: bytes
    signature: bytes
    version: int
    kind: str
    origin: NodeId
    seq: int
    prev: MessageId | None
    created_at: int  # milliseconds since the Unix epoch, UTC
    body: Any  # the kind's dataclass, or kinds.Opaque for kinds this node does not know

    @property
    def wire(self) -> bytes:
        """The envelope as sent between nodes."""
        return encode_envelope(self.payload, self.signature)

    def signed_by(self, public_key: bytes) -> bool:
        return verify(public_key, self.payload, self.signature)


def encode_envelope(payload: bytes, signature: bytes) -> bytes:
    return encode([payload, signature])


def decode_envelope(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, bytes]:
    """Split envelope bytes into (payload, signature), refusing anything else.

    The envelope has one fixed shape, so it is read directly: 0x92 (array of 2),
    the payload as bin 8, bin 16 or bin 32 (the shortest form that fits), then the
    signature as bin 8 of 64 bytes, and nothing after.
    """
    size = len(data)
    if size > limits.max_envelope_bytes:
        raise MalformedPayload(f"message is {size} bytes, over {limits.max_envelope_bytes}")
    if size < 4 or data[0] != 0x92:
        raise MalformedPayload("message must be an array of [payload bin, signature bin]")
    if data[1] == 0xC4:
        length, start = data[2], 3
    elif data[1] == 0xC5 and size >= 4:
        length, start = int.from_bytes(data[2:4], "big"), 4
        if length <= 0xFF:
            raise MalformedPayload("payload length is not in its shortest form")
    elif data[1] == 0xC6 and size >= 6:
        # bin 32: only a payload of exactly max_payload_bytes (64 KiB) needs it.
        length, start = int.from_bytes(data[2:6], "big"), 6
        if length <= 0xFFFF:
            raise MalformedPayload("payload length is not in its shortest form")
    else:
        raise MalformedPayload("message must be an array of [payload bin, signature bin]")
    end = start + length
    if length > limits.max_payload_bytes:
        raise MalformedPayload(f"payload is {length} bytes, over {limits.max_payload_bytes}")
    if data[end : end + 2] != b"\xc4\x40":
        raise MalformedPayload(f"signature must be a {SIGNATURE_SIZE}-byte bin")
    if size < end + 2 + SIGNATURE_SIZE:
        raise MalformedPayload("message is truncated")
    if size > end + 2 + SIGNATURE_SIZE:
        raise MalformedPayload("trailing bytes after the message")
    return data[start:end], data[end + 2 :]


def _field(payload: dict[str, Any], name: str, tp: type) -> Any:
    value = payload.get(name)
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise SchemaViolation(f"payload field {name!r} is missing or has the wrong type")
    return value


def parse_payload(payload: bytes, signature: bytes, limits: Limits = DEFAULT_LIMITS) -> Message:
    """Decode and validate a payload (not its signature: see `open_message`)."""
    value = decode(payload, limits)
    if not isinstance(value, dict):
        raise SchemaViolation("payload must be a map")
    extra = set(value) - _PAYLOAD_KEYS
    if extra:
        raise SchemaViolation(f"payload has unknown fields: {', '.join(sorted(extra))}")
    version = _field(value, "v", int)
    if version < 1:
        raise SchemaViolation(f"protocol version {version} does not exist")
    kind = _field(value, "kind", str)
    if not 1 <= len(kind) <= KIND_NAME.max_len or not _kind_ok(kind):
        raise SchemaViolation(f"kind {kind[:64]!r} is not a valid kind name")
    origin_text = _field(value, "origin", str)
    try:
        public_key_from_node_id(origin_text)
    except BadNodeId as exc:
        raise SchemaViolation(f"origin is not a valid node id: {exc}") from exc
    seq = _field(value, "seq", int)
    if not 1 <= seq <= MAX_SEQ:
        raise SchemaViolation(f"seq must be between 1 and {MAX_SEQ}")
    prev = value.get("prev")
    if seq == 1 and "prev" in value:  # absent, not nil: one encoding per message
        raise SchemaViolation("the first message of a log (seq 1) has no prev")
    if seq > 1 and (not isinstance(prev, bytes) or len(prev) != 32):
        raise SchemaViolation("prev must be the 32-byte id of the origin's previous message")
    created_at = _field(value, "ts", int)
    if not 0 <= created_at <= MAX_SEQ:
        raise SchemaViolation("ts must be milliseconds since the Unix epoch")
    body = parse_body(kind, version, _field(value, "body", dict))
    return Message(
        id=MessageId(sha256(payload)),
        payload=payload,
        signature=signature,
        version=version,
        kind=kind,
        origin=NodeId(origin_text),
        seq=seq,
        prev=MessageId(prev) if prev is not None else None,
        created_at=created_at,
        body=body,
    )


_KIND_RE = re.compile(KIND_NAME.pattern or "")


def _kind_ok(kind: str) -> bool:
    return _KIND_RE.fullmatch(kind) is not None


def open_message(
    data: bytes,
    now_ms: int,
    signer: bytes | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Message:
    """Decode envelope bytes into a verified Message, or raise RemoteProtocolError.

    `signer` is the origin's key in force (after rotations); by default the key
    inside the origin's node id.
    """
    payload, signature = decode_envelope(data, limits)
    message = parse_payload(payload, signature, limits)
    check_message(message, now_ms, signer, limits)
    return message


def check_message(
    message: Message, now_ms: int, signer: bytes | None = None, limits: Limits = DEFAULT_LIMITS
) -> None:
    """The checks after parsing: the clock, then the signature (the costly part)."""
    check_time(message, now_ms, limits)
    key = signer if signer is not None else public_key_from_node_id(message.origin)
    if not message.signed_by(key):
        raise BadSignature(f"signature does not verify under the key of {message.origin}")


def check_time(message: Message, now_ms: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a message created further in the future than clocks can drift."""
    if message.created_at > now_ms + limits.max_future_ms:
        raise TooFarInFuture(
            f"created {message.created_at - now_ms} ms in the future; clocks may differ by "
            f"at most {limits.max_future_ms} ms"
        )


def create_message(
    key: SigningKey,
    kind: str,
    body: Any,
    seq: int,
    prev: MessageId | None,
    created_at: int,
    origin: NodeId | None = None,
) -> Message:
    """Build, encode once and sign a message; LocalProtocolError if it would be invalid.

    `origin` defaults to the node id of `key`; after a key rotation it is the
    node's original id while `key` is the new key.
    """
    body_map = body if isinstance(body, dict) else dump(body)
    payload_map: dict[str, Any] = {
        "v": PROTOCOL_VERSION,
        "kind": kind,
        "origin": origin or node_id_from_public_key(key.public_key),
        "seq": seq,
        "ts": created_at,
        "body": body_map,
    }
    if prev is not None:
        payload_map["prev"] = bytes(prev)
    payload = encode(payload_map)
    signature = key.sign(payload)
    try:
        return parse_payload(payload, signature)
    except RemoteProtocolError as exc:
        raise LocalProtocolError(f"refusing to sign an invalid {kind}: {exc.message}") from exc
