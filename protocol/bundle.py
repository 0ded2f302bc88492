"""Bundles: a hub's messages in one signed file, for exchange by USB stick (PROTOCOL.md §15).

A bundle is the magic bytes, then length-prefixed frames (a header, then each
message's envelope exactly as its origin signed it), then the exporting node's
Ed25519 signature over the SHA-256 of everything before it. The receiver checks
that signature before it reads a single message, so a damaged or altered file is
refused whole; each message is then checked as if a peer had pushed it.

Pure: bytes in, values out. Reading the file and signing belong to node/bundles.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from crypto.digest import sha256
from crypto.ed25519 import SIGNATURE_SIZE, verify
from crypto.nodeid import NodeId
from protocol.codec import decode, encode
from protocol.errors import MalformedPayload
from protocol.federation import BODY_LIMITS, node_id_value

MAGIC = b"HUBNET-BUNDLE\n"
VERSION = 1
# §15.1: what the signature covers, so it can never be taken for another signed thing.
SIGNING_CONTEXT = b"hubnet bundle v1\x00"
_LENGTH_BYTES = 4
# A frame longer than this is no envelope and no header: the file is damaged.
MAX_FRAME_BYTES = 1024 * 1024


class BundleRefused(MalformedPayload):
    """A bundle that is damaged, altered or not a bundle at all: nothing of it is read."""


@dataclass(frozen=True, slots=True)
class BundleHeader:
    """Who made the bundle, when, how many messages it holds, and what its hub holds.

    `heads` is the exporting hub's head seq for every origin it holds when it wrote
    the bundle, so a bundle written back for it (`--for`) leaves out what it has.
    """

    hub: NodeId
    created_at: int
    messages: int
    origins: int
    heads: tuple[tuple[NodeId, int], ...]

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "hub": self.hub,
            "created_at": self.created_at,
            "messages": self.messages,
            "origins": self.origins,
            "heads": [[origin, seq] for origin, seq in self.heads],
        }


def signing_input(unsigned: bytes) -> bytes:
    """What the exporter signs: the context and the digest of every byte before the signature."""
    return SIGNING_CONTEXT + sha256(unsigned)


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(_LENGTH_BYTES, "big") + data


def encode_unsigned(header: BundleHeader, envelopes: Sequence[bytes]) -> bytes:
    """The bundle before its signature; append `sign(signing_input(it))` to finish it."""
    if header.messages != len(envelopes):
        raise ValueError("the header must count the envelopes it precedes")
    return b"".join([MAGIC, _frame(encode(header.to_wire())), *(_frame(e) for e in envelopes)])


def _count(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise BundleRefused(f"bundle header: {what} must be a whole number")
    return value


def _header(data: bytes) -> BundleHeader:
    try:
        value = decode(data, BODY_LIMITS)
    except MalformedPayload as exc:
        raise BundleRefused(f"bundle header: {exc.message}") from exc
    fields = {"v", "hub", "created_at", "messages", "origins", "heads"}
    if not isinstance(value, dict) or set(value) != fields:
        raise BundleRefused(f"bundle header must be a map of exactly {', '.join(sorted(fields))}")
    if value["v"] != VERSION:
        raise BundleRefused(f"bundle format version {value['v']!r}; this node reads {VERSION}")
    heads = value["heads"]
    if not isinstance(heads, list) or not all(isinstance(h, list) and len(h) == 2 for h in heads):
        raise BundleRefused("bundle header: heads must be a list of [origin, seq]")
    return BundleHeader(
        hub=node_id_value(value["hub"], "bundle header: hub", BundleRefused),
        created_at=_count(value["created_at"], "created_at"),
        messages=_count(value["messages"], "messages"),
        origins=_count(value["origins"], "origins"),
        heads=tuple(
            (node_id_value(o, "bundle header: heads origin", BundleRefused), _count(s, "heads seq"))
            for o, s in heads
        ),
    )


def _frames(data: bytes, start: int, end: int) -> Iterator[bytes]:
    at = start
    while at < end:
        if end - at < _LENGTH_BYTES:
            raise BundleRefused("bundle ends inside a frame's length")
        size = int.from_bytes(data[at : at + _LENGTH_BYTES], "big")
        at += _LENGTH_BYTES
        if size > MAX_FRAME_BYTES or at + size > end:
            raise BundleRefused("bundle frame runs past the end of the file")
        yield data[at : at + size]
        at += size


def read_header(data: bytes) -> BundleHeader:
    """The header alone, unchecked: to learn whose key must have signed the bundle."""
    if not data.startswith(MAGIC):
        raise BundleRefused("not a hubnet bundle (it does not start with HUBNET-BUNDLE)")
    for frame in _frames(data, len(MAGIC), len(data) - SIGNATURE_SIZE):
        return _header(frame)
    raise BundleRefused("bundle has no header")


def parse_unverified(data: bytes) -> tuple[BundleHeader, list[bytes]]:
    """The header and envelopes, without checking the signature: for looking inside a
    bundle (and for tests that alter one). Never store what this returns."""
    if len(data) < len(MAGIC) + SIGNATURE_SIZE or not data.startswith(MAGIC):
        raise BundleRefused("not a hubnet bundle (it does not start with HUBNET-BUNDLE)")
    frames = list(_frames(data, len(MAGIC), len(data) - SIGNATURE_SIZE))
    if not frames:
        raise BundleRefused("bundle has no header")
    header = _header(frames[0])
    envelopes = frames[1:]
    if len(envelopes) != header.messages:
        raise BundleRefused(
            f"bundle header counts {header.messages} messages but {len(envelopes)} follow"
        )
    return header, envelopes


def open_bundle(data: bytes, signer: bytes) -> tuple[BundleHeader, list[bytes]]:
    """The header and envelopes of a bundle signed by `signer`; BundleRefused otherwise.

    §15.2: the signature is checked first, over the whole file, then the framing and
    the header's count. The envelopes are returned as bytes: the receiver opens and
    checks each one as it does a push.
    """
    if len(data) < len(MAGIC) + SIGNATURE_SIZE or not data.startswith(MAGIC):
        raise BundleRefused("not a hubnet bundle (it does not start with HUBNET-BUNDLE)")
    unsigned, signature = data[:-SIGNATURE_SIZE], data[-SIGNATURE_SIZE:]
    if not verify(signer, signing_input(unsigned), signature):
        raise BundleRefused(
            "the bundle's signature does not match its contents: it was damaged or altered"
        )
    return parse_unverified(data)
