"""Test vectors for docs/PROTOCOL.md §8, built deterministically from fixed seeds.

`python -m tests.vectors` prints the vectors as the Markdown of §8; paste it there.
tests/unit/test_vectors.py reads them back from docs/PROTOCOL.md and checks every
one against the code, so the document and the code cannot drift apart.

A vector is a fenced block with the info string `vector`, holding `name: value`
lines; a long value continues on the following lines indented by two spaces.
Hex values may be wrapped anywhere: ignore whitespace inside them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from protocol.codec import decode, encode
from protocol.envelope import Message, create_message, encode_envelope
from protocol.kinds.keys import rotation_statement
from protocol.kinds.network import NetworkFound, network_id
from protocol.limits import DEFAULT_LIMITS
from protocol.schema import dump

Vector = dict[str, str]

SEED_A = bytes([0x01]) * 32
SEED_B = bytes([0x02]) * 32
KEY_A = SigningKey(SEED_A)
KEY_B = SigningKey(SEED_B)
NODE_A = node_id_from_public_key(KEY_A.public_key)
NODE_B = node_id_from_public_key(KEY_B.public_key)
# §8.6: origin C commits to successor key D, forks, and resolves its fork with D.
KEY_C = SigningKey(bytes([0x03]) * 32)
KEY_D = SigningKey(bytes([0x04]) * 32)
NODE_C = node_id_from_public_key(KEY_C.public_key)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, in milliseconds as payload ts is
MINUTE = 60_000
NOW = T0 + 10 * MINUTE  # the receiver's clock for the refused vectors
EVENT_STARTS = 1_768_501_800  # 2026-01-15T18:30:00Z, in seconds as body times are

HEX_WIDTH = 64  # hex characters per line


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    vectors: list[Vector]


# --- formatting ----------------------------------------------------------------------


def diagnostic(value: Any, indent: int = 0) -> str:
    """A readable rendering of a decoded value: JSON, with bin as h'hex'."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        items = [
            f"{pad}  {json.dumps(k, ensure_ascii=False)}: {diagnostic(v, indent + 2)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[" + ", ".join(diagnostic(v, indent) for v in value) + "]"
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    return json.dumps(value, ensure_ascii=False)


def _wrap_hex(data: bytes) -> str:
    text = data.hex()
    if len(text) <= HEX_WIDTH:
        return text
    return "\n".join(text[i : i + HEX_WIDTH] for i in range(0, len(text), HEX_WIDTH))


def _block(vector: Vector) -> str:
    lines = ["```vector"]
    for name, value in vector.items():
        if "\n" in value or len(value) > HEX_WIDTH:
            lines.append(f"{name}:")
            lines.extend(f"  {line}" for line in value.split("\n"))
        else:
            lines.append(f"{name}: {value}")
    lines.append("```")
    return "\n".join(lines)


def parse(markdown: str) -> list[Vector]:
    """Every `vector` block in a Markdown text, in order."""
    vectors = []
    for body in re.findall(r"^```vector\n(.*?)^```$", markdown, flags=re.M | re.S):
        vector: Vector = {}
        name = ""
        for line in body.splitlines():
            if line.startswith("  ") and name:
                sep = "\n" if vector[name] else ""
                vector[name] += sep + line[2:]
            else:
                name, _, value = line.partition(":")
                vector[name] = value.strip()
        vectors.append(vector)
    return vectors


def unhex(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


# --- the vectors ---------------------------------------------------------------------


def _key_vector(name: str, key: SigningKey) -> Vector:
    return {
        "vector": name,
        "seed": key.seed.hex(),
        "public-key": key.public_key.hex(),
        "node-id": node_id_from_public_key(key.public_key),
    }


def _message_vector(name: str, signer: str, message: Message) -> Vector:
    return {
        "vector": name,
        "signer": signer,
        "origin": message.origin,
        "kind": message.kind,
        "seq": str(message.seq),
        "prev": message.prev.hex() if message.prev else "(absent)",
        "ts": str(message.created_at),
        "decoded": diagnostic(decode(message.payload)),
        "payload": _wrap_hex(message.payload),
        "id": message.id.hex(),
        "signature": _wrap_hex(message.signature),
        "envelope": _wrap_hex(message.wire),
    }


def messages() -> dict[str, Message]:
    """Origin A's log (a key rotation to key B at seq 4), and one unknown kind from B."""
    a1 = create_message(
        KEY_A,
        "announcement",
        {"title": "Hello, network", "text": "Leeds Hub is on the network."},
        seq=1,
        prev=None,
        created_at=T0,
    )
    a2 = create_message(
        KEY_A,
        "hub.profile",
        {
            "name": "Leeds Hub",
            "url": "https://leeds.example.org",
            "region": "Yorkshire",
            "lat": 53_800_755,
            "lon": -1_549_077,
        },
        seq=2,
        prev=a1.id,
        created_at=T0 + MINUTE,
    )
    a3 = create_message(
        KEY_A,
        "event",
        {
            "title": "Housing rights workshop",
            "starts": EVENT_STARTS,
            "ends": EVENT_STARTS + 2 * 3600,
            "timezone": "Europe/London",
            "type": "training",
            "visibility": "public",
            "place": "Community Centre, 1 High Street, Leeds",
            "speakers": ["Ana Díaz"],
        },
        seq=3,
        prev=a2.id,
        created_at=T0 + 2 * MINUTE,
    )
    statement = rotation_statement(NODE_A, KEY_A.public_key, KEY_B.public_key)
    a4 = create_message(
        KEY_A,
        "key.rotate",
        {"new_key": KEY_B.public_key, "new_key_signature": KEY_B.sign(statement)},
        seq=4,
        prev=a3.id,
        created_at=T0 + 3 * MINUTE,
    )
    a5 = create_message(
        KEY_B,
        "announcement",
        {"text": "Our node has a new key."},
        seq=5,
        prev=a4.id,
        created_at=T0 + 4 * MINUTE,
        origin=NODE_A,
    )
    b1 = create_message(
        KEY_B,
        "poll.open",
        {"question": "Which evening suits?", "options": ["Tue", "Thu"], "closes": 1_768_000_000},
        seq=1,
        prev=None,
        created_at=T0 + 5 * MINUTE,
    )
    b2 = create_message(
        KEY_B,
        "network.found",
        NETWORK_STATEMENT,
        seq=2,
        prev=b1.id,
        created_at=T0 + 6 * MINUTE,
    )
    b3 = create_message(
        KEY_B,
        "network.witness",
        {
            "network": network_id(NETWORK_STATEMENT),
            "origins": sorted([NODE_A, NODE_B]),
            "seqs": [5, 2] if NODE_A < NODE_B else [2, 5],
            "ids": [a5.id, b2.id] if NODE_A < NODE_B else [b2.id, a5.id],
        },
        seq=3,
        prev=b2.id,
        created_at=T0 + 7 * MINUTE,
    )
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a5": a5, "b1": b1, "b2": b2, "b3": b3}


def endorsement_messages(b5: Message) -> dict[str, Message]:
    """Origin B records an organisation's endorsement of the charter, then withdraws it
    (after b5, §8.7: one log for B across the vectors, no two messages at one seq)."""
    b6 = create_message(
        KEY_B,
        "charter.endorse",
        {
            "network": network_id(NETWORK_STATEMENT),
            "organisation": "Leeds Tenants' Union",
            "kind": "union",
            "date": "2026-01-01",
            "website": "https://tenants.example.org",
            "statement": "We endorse the network's charter.",
        },
        seq=6,
        prev=b5.id,
        created_at=T0 + 15 * MINUTE,
    )
    b7 = create_message(
        KEY_B,
        "charter.endorse.withdraw",
        {"endorsement": b6.id, "reason": "Recorded in error."},
        seq=7,
        prev=b6.id,
        created_at=T0 + 16 * MINUTE,
    )
    return {"b6": b6, "b7": b7}


def fork_messages(a5: Message) -> dict[str, Message]:
    """Origin C's forked log and its resolution; A's proof of the fork (§6.1, §6.2)."""
    c1 = create_message(
        KEY_C,
        "key.commit",
        {"next_key_digest": sha256(KEY_D.public_key)},
        seq=1,
        prev=None,
        created_at=T0 + 6 * MINUTE,
    )
    c2 = create_message(
        KEY_C,
        "announcement",
        {"text": "We meet on Tuesday."},
        seq=2,
        prev=c1.id,
        created_at=T0 + 7 * MINUTE,
    )
    c2x = create_message(
        KEY_C,
        "announcement",
        {"text": "We meet on Thursday."},
        seq=2,
        prev=c1.id,
        created_at=T0 + 8 * MINUTE,
    )
    a6 = create_message(
        KEY_B,
        "fork.proof",
        {"hub": NODE_C, "seq": 2, "first": c2.id, "second": c2x.id},
        seq=6,
        prev=a5.id,
        created_at=T0 + 9 * MINUTE,
        origin=NODE_A,
    )
    c3 = create_message(
        KEY_D,
        "fork.resolve",
        {
            "seq": 2,
            "keep": c2x.id,
            "new_key": KEY_D.public_key,
            "reason": "We restored an old backup.",
        },
        seq=3,
        prev=c2x.id,
        created_at=T0 + 10 * MINUTE,
        origin=NODE_C,
    )
    return {"c1": c1, "c2": c2, "c2x": c2x, "a6": a6, "c3": c3}


def across_hubs(a6: Message, b3: Message, a3: Message) -> dict[str, Message]:
    """A speaker request from B to A (a7 is A's offer), A's answer, and B's count of
    its members coming to A's event a3 (§5.18, §5.39 to §5.41)."""
    a7 = create_message(
        KEY_B,
        "speaker.offer",
        {"topics": ["housing law"], "area": "West Yorkshire"},
        seq=7,
        prev=a6.id,
        created_at=T0 + 11 * MINUTE,
        origin=NODE_A,
    )
    b4 = create_message(
        KEY_B,
        "speaker.request",
        {
            "to": NODE_A,
            "offer": a7.id,
            "topic": "housing law",
            "starts": EVENT_STARTS + 7 * 86_400,
            "timezone": "Europe/London",
            "place": "Riverside Community Centre",
            "message": "A public meeting on renters' rights.",
        },
        seq=4,
        prev=b3.id,
        created_at=T0 + 12 * MINUTE,
    )
    a8 = create_message(
        KEY_B,
        "speaker.answer",
        {"to": NODE_B, "request": b4.id, "answer": "accept", "message": "Glad to come."},
        seq=8,
        prev=a7.id,
        created_at=T0 + 13 * MINUTE,
        origin=NODE_A,
    )
    b5 = create_message(
        KEY_B,
        "event.attendance",
        {"event": a3.id, "count": 3},
        seq=5,
        prev=b4.id,
        created_at=T0 + 14 * MINUTE,
    )
    return {"a7": a7, "b4": b4, "a8": a8, "b5": b5}


def _signed(payload: bytes, key: SigningKey = KEY_A) -> bytes:
    return encode_envelope(payload, key.sign(payload))


def _payload(**changes: Any) -> bytes:
    """A seq-1 announcement from A, changed; a change to None removes a field."""
    value: dict[str, Any] = {
        "v": 1,
        "kind": "announcement",
        "origin": NODE_A,
        "seq": 1,
        "ts": T0,
        "body": {"text": "hi"},
    }
    value.update(changes)
    return encode({k: v for k, v in value.items() if v is not None or k == "prev"})


def _small_order_node_id() -> str:
    import base64

    key = bytes(32)  # y = 0: a point of order 4
    checksum = sha256(b"hubnet node id" + key + b"\x01")[:2]
    return base64.b32encode(key + checksum + b"\x01").decode().lower()


def _refused(name: str, about: str, check: str, data: bytes, error: str, reason: str) -> Vector:
    vector = {"vector": name, "about": about, "check": check}
    if check == "open":
        vector["now-ms"] = str(NOW)
    vector.update({"input": _wrap_hex(data), "error": error, "reason": reason})
    return vector


def refused() -> list[Vector]:
    a1 = messages()["a1"]
    flipped = bytearray(a1.signature)
    flipped[0] ^= 0x01
    non_minimal = _payload().replace(b"\xa3seq\x01", b"\xa3seq\xcc\x01")
    return [
        _refused(
            "refused-duplicate-key",
            'a map repeats the key "a"',
            "decode",
            bytes.fromhex("82a16101a16102"),
            "MalformedPayload",
            "map repeats the key",
        ),
        _refused(
            "refused-unsorted-keys",
            'map keys "b", "a" out of order',
            "decode",
            bytes.fromhex("82a16201a16102"),
            "MalformedPayload",
            "map keys are not in canonical (sorted) order",
        ),
        _refused(
            "refused-non-minimal-int",
            "5 as uint 8 instead of a positive fixint",
            "decode",
            bytes.fromhex("cc05"),
            "MalformedPayload",
            "non-minimal encoding",
        ),
        _refused(
            "refused-non-minimal-str",
            '"a" as str 8 instead of a fixstr',
            "decode",
            bytes.fromhex("d90161"),
            "MalformedPayload",
            "non-minimal encoding",
        ),
        _refused(
            "refused-float",
            "1.5 as float 64",
            "decode",
            bytes.fromhex("cb3ff8000000000000"),
            "MalformedPayload",
            "floating-point numbers are not allowed",
        ),
        _refused(
            "refused-timestamp-ext",
            "a msgpack timestamp (extension type -1)",
            "decode",
            bytes.fromhex("d6ff00000000"),
            "MalformedPayload",
            "extension types are not allowed",
        ),
        _refused(
            "refused-invalid-utf8",
            "str whose bytes are not UTF-8",
            "decode",
            bytes.fromhex("a2fffe"),
            "MalformedPayload",
            "text is not valid UTF-8",
        ),
        _refused(
            "refused-bin-key",
            "a map key that is bin, not str",
            "decode",
            bytes.fromhex("81c4016101"),
            "MalformedPayload",
            "is not text",
        ),
        _refused(
            "refused-trailing-bytes",
            "nil followed by another nil",
            "decode",
            bytes.fromhex("c0c0"),
            "MalformedPayload",
            "trailing bytes",
        ),
        _refused(
            "refused-too-deep",
            "arrays nested 9 deep",
            "decode",
            b"\x91" * (DEFAULT_LIMITS.max_depth + 1) + b"\x00",
            "MalformedPayload",
            "nesting deeper than 8 levels",
        ),
        _refused(
            "refused-bad-signature",
            "message a1 with the signature's first bit flipped",
            "open",
            encode_envelope(a1.payload, bytes(flipped)),
            "BadSignature",
            "signature does not verify",
        ),
        _refused(
            "refused-wrong-signer",
            "message a1's payload signed by key B, not A",
            "open",
            _signed(a1.payload, KEY_B),
            "BadSignature",
            "signature does not verify",
        ),
        _refused(
            "refused-non-canonical-payload",
            "signed payload with seq 1 as uint 8 (cc 01)",
            "open",
            _signed(non_minimal),
            "MalformedPayload",
            "non-minimal encoding",
        ),
        _refused(
            "refused-seq-1-with-prev",
            "seq 1 with prev present (as nil)",
            "open",
            _signed(_payload(prev=None)),
            "SchemaViolation",
            "has no prev",
        ),
        _refused(
            "refused-seq-2-without-prev",
            "seq 2 with no prev",
            "open",
            _signed(_payload(seq=2)),
            "SchemaViolation",
            "prev must be the 32-byte id",
        ),
        _refused(
            "refused-unknown-field",
            'a payload field "sig" that v1 does not define',
            "open",
            _signed(_payload(sig=b"")),
            "SchemaViolation",
            "payload has unknown fields: sig",
        ),
        _refused(
            "refused-bad-kind-name",
            'kind "Announcement" (upper case)',
            "open",
            _signed(_payload(kind="Announcement")),
            "SchemaViolation",
            "is not a valid kind name",
        ),
        _refused(
            "refused-body-rule",
            "hub.profile with lat but no lon",
            "open",
            _signed(
                _payload(kind="hub.profile", body={"name": "X", "url": "https://x.org", "lat": 1})
            ),
            "SchemaViolation",
            "lat and lon must be given together",
        ),
        _refused(
            "refused-small-order-origin",
            "origin is a well-formed id of a small-order key (y = 0)",
            "open",
            _signed(_payload(origin=_small_order_node_id())),
            "SchemaViolation",
            "small order",
        ),
        _refused(
            "refused-future",
            "ts 10 minutes and 1 ms after now-ms",
            "open",
            _signed(_payload(ts=NOW + DEFAULT_LIMITS.max_future_ms + 1)),
            "TooFarInFuture",
            "in the future",
        ),
        _refused(
            "refused-envelope-trailing",
            "message a1's envelope with one byte more",
            "open",
            a1.wire + b"\x00",
            "MalformedPayload",
            "trailing bytes",
        ),
    ]


NETWORK_STATEMENT = NetworkFound(
    name="Northern Hubs",
    charter=sha256(b"We organise together, openly, with no top table."),
    founders=tuple(sorted([NODE_A, NODE_B])),
    sponsors_needed=2,
    regions=("North East", "Yorkshire and The Humber"),
)


def sections() -> list[Section]:
    m = messages()
    founding = {
        **_message_vector("message-b2", "key-b", m["b2"]),
        "body": _wrap_hex(encode(dump(NETWORK_STATEMENT))),
        "network-id": network_id(NETWORK_STATEMENT).hex(),
    }
    f = fork_messages(m["a5"])
    x = across_hubs(f["a6"], m["b3"], m["a3"])
    e = endorsement_messages(x["b5"])
    a4 = m["a4"]
    body = decode(a4.payload)["body"]
    rotation = _message_vector("message-a4", "key-a", a4)
    rotation = {
        **{k: rotation[k] for k in ("vector", "signer", "origin", "kind", "seq", "prev", "ts")},
        "old-key": KEY_A.public_key.hex(),
        "new-key": body["new_key"].hex(),
        "statement": _wrap_hex(rotation_statement(NODE_A, KEY_A.public_key, body["new_key"])),
        "new-key-signature": _wrap_hex(body["new_key_signature"]),
        **{k: rotation[k] for k in ("decoded", "payload", "id", "signature", "envelope")},
    }
    return [
        Section(
            "8.1 Keys",
            "Seeds are Ed25519 private keys (RFC 8032 §5.1.5); the public key and the node\n"
            "id follow from them.",
            [_key_vector("key-a", KEY_A), _key_vector("key-b", KEY_B)],
        ),
        Section(
            "8.2 A log",
            "The first three messages of key A's log. Each opens with `now-ms` equal to its\n"
            "`ts`; each `prev` is the `id` before it. `decoded` is the payload for reading\n"
            "(JSON, with bin as `h'hex'`); `payload` is what is signed.",
            [
                _message_vector("message-a1", "key-a", m["a1"]),
                _message_vector("message-a2", "key-a", m["a2"]),
                _message_vector("message-a3", "key-a", m["a3"]),
            ],
        ),
        Section(
            "8.3 Key rotation",
            "Message a4 (signed by key A) hands origin A over to key B; `statement` is what\n"
            "key B signs (§7). Message a5 keeps origin A but is signed by key B, and\n"
            "verifies only under the key in force.",
            [rotation, _message_vector("message-a5", "key-b", m["a5"])],
        ),
        Section(
            "8.4 A kind this version does not define",
            "Accepted, stored and relayed with its body uninterpreted (§5.42).",
            [_message_vector("message-b1", "key-b", m["b1"])],
        ),
        Section(
            "8.5 A network",
            "Message b2 is B's signature on a founding statement naming A and B (§14.1);\n"
            "`body` is the statement's canonical encoding and `network-id` its SHA-256.\n"
            "Message b3 is a witness (§14.4): B held A's log to seq 5 (message a5) and its\n"
            "own to seq 2 (b2), so it covers a1 to a5 and b1 to b2.",
            [founding, _message_vector("message-b3", "key-b", m["b3"])],
        ),
        Section(
            "8.6 Forks: proof and resolution",
            "Origin C commits to key D (c1), then signs two messages at seq 2 (c2, c2x): a\n"
            "fork (§6). Origin A, whose key in force is key B since a4, tells the network\n"
            "(a6, §6.1). C keeps c2x: c3 is signed by key D, whose SHA-256 is the\n"
            "commitment in force at seq 2, and appended after c2x (§6.2).",
            [
                _key_vector("key-c", KEY_C),
                _key_vector("key-d", KEY_D),
                _message_vector("message-c1", "key-c", f["c1"]),
                _message_vector("message-c2", "key-c", f["c2"]),
                _message_vector("message-c2x", "key-c", f["c2x"]),
                _message_vector("message-a6", "key-b", f["a6"]),
                _message_vector("message-c3", "key-d", f["c3"]),
            ],
        ),
        Section(
            "8.7 Across hubs: a speaker request and a count of who is coming",
            "A offers a speaker (a7, signed by key B, A's key since a4). B asks A for them\n"
            "(b4, §5.39): no one's name is in it. A answers (a8, §5.40), naming b4. B says\n"
            "three of its members are coming to A's event a3 (b5, §5.41).",
            [
                _message_vector("message-a7", "key-b", x["a7"]),
                _message_vector("message-b4", "key-b", x["b4"]),
                _message_vector("message-a8", "key-b", x["a8"]),
                _message_vector("message-b5", "key-b", x["b5"]),
            ],
        ),
        Section(
            "8.8 A charter endorsement and its withdrawal",
            "Origin B records that an organisation endorses the charter of the network\n"
            "founded in §8.5 (b6, §5.35), then withdraws it (b7, §5.36).",
            [
                _message_vector("message-b6", "key-b", e["b6"]),
                _message_vector("message-b7", "key-b", e["b7"]),
            ],
        ),
        Section(
            "8.9 Refused input",
            "`check: decode` vectors are given to the canonical decoder (§2); `check: open`\n"
            "vectors are whole envelopes, opened at `now-ms`. `error` names the class of\n"
            "refusal and `reason` a phrase from this implementation's message. Every\n"
            "signature here is valid unless the vector says otherwise, so the refusal\n"
            "comes from the rule named.",
            refused(),
        ),
    ]


def render() -> str:
    parts = []
    for section in sections():
        parts.append(f"### {section.title}\n\n{section.intro}\n")
        parts.extend(_block(v) + "\n" for v in section.vectors)
    return "\n".join(parts)


def all_vectors() -> list[Vector]:
    return [v for s in sections() for v in s.vectors]


if __name__ == "__main__":
    print(render(), end="")
