"""protocol.envelope: building, signing and opening messages (PROTOCOL.md §4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key, public_key_from_node_id
from protocol.codec import decode, encode
from protocol.envelope import (
    MAX_SEQ,
    Message,
    MessageId,
    create_message,
    decode_envelope,
    encode_envelope,
    open_message,
)
from protocol.errors import (
    BadSignature,
    LocalProtocolError,
    MalformedPayload,
    RemoteProtocolError,
    SchemaViolation,
    TooFarInFuture,
)
from protocol.kinds import Opaque
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import Announcement, HubProfile
from protocol.limits import DEFAULT_LIMITS
from tests.helpers import mutate, mutations

KEY_A = SigningKey(b"\x01" * 32)
KEY_B = SigningKey(b"\x02" * 32)
NODE_A = node_id_from_public_key(KEY_A.public_key)
NODE_B = node_id_from_public_key(KEY_B.public_key)
T = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms
PREV = MessageId(bytes(range(32)))

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def payload_map(**changes: Any) -> dict[str, Any]:
    """A valid payload map for a seq-2 announcement from A; changes of None remove a field."""
    value: dict[str, Any] = {
        "v": 1,
        "kind": "announcement",
        "origin": NODE_A,
        "seq": 2,
        "prev": bytes(PREV),
        "ts": T,
        "body": {"text": "hello"},
    }
    value.update(changes)
    return {k: v for k, v in value.items() if v is not None}


def signed(value: dict[str, Any], key: SigningKey = KEY_A) -> bytes:
    """Envelope bytes for a payload map, signed by `key` whatever the map says."""
    payload = encode(value)
    return encode_envelope(payload, key.sign(payload))


def signed_bytes(payload: bytes, key: SigningKey = KEY_A) -> bytes:
    return encode_envelope(payload, key.sign(payload))


def open_(data: bytes, **kwargs: Any) -> Message:
    return open_message(data, now_ms=T, **kwargs)


# --- round trip --------------------------------------------------------------------


def test_created_message_opens_to_the_same_message() -> None:
    message = create_message(KEY_A, "announcement", Announcement(text="hi"), 1, None, T)
    opened = open_(message.wire)
    assert opened == message
    assert opened.body == Announcement(text="hi")
    assert opened.origin == NODE_A
    assert opened.seq == 1
    assert opened.prev is None
    assert opened.created_at == T
    assert opened.version == 1
    assert opened.kind == "announcement"


def test_message_id_is_sha256_of_the_payload_bytes() -> None:
    message = create_message(KEY_A, "announcement", {"text": "hi"}, 1, None, T)
    assert message.id == sha256(message.payload)
    assert message.signed_by(KEY_A.public_key)
    assert not message.signed_by(KEY_B.public_key)


def test_payload_is_the_canonical_map() -> None:
    message = create_message(KEY_A, "announcement", {"text": "hi"}, 2, PREV, T)
    assert decode(message.payload) == {
        "body": {"text": "hi"},
        "kind": "announcement",
        "origin": NODE_A,
        "prev": bytes(PREV),
        "seq": 2,
        "ts": T,
        "v": 1,
    }
    assert list(decode(message.payload)) == ["body", "kind", "origin", "prev", "seq", "ts", "v"]


def test_wire_is_an_array_of_payload_and_signature() -> None:
    message = create_message(KEY_A, "announcement", {"text": "hi"}, 1, None, T)
    assert decode(message.wire, DEFAULT_LIMITS.__class__(max_bin_bytes=65536)) == [
        message.payload,
        message.signature,
    ]
    assert decode_envelope(message.wire) == (message.payload, message.signature)


def test_dataclass_and_dict_bodies_sign_the_same_bytes() -> None:
    a = create_message(KEY_A, "hub.profile", HubProfile(name="N", url="https://n.org"), 1, None, T)
    b = create_message(KEY_A, "hub.profile", {"url": "https://n.org", "name": "N"}, 1, None, T)
    assert a.payload == b.payload
    assert a.id == b.id


def test_message_after_rotation_opens_with_the_key_in_force() -> None:
    message = create_message(KEY_B, "announcement", {"text": "new key"}, 5, PREV, T, origin=NODE_A)
    assert message.origin == NODE_A
    assert open_(message.wire, signer=KEY_B.public_key) == message
    with pytest.raises(BadSignature):
        open_(message.wire)
    with pytest.raises(BadSignature):
        open_(message.wire, signer=KEY_A.public_key)


# --- refusals ----------------------------------------------------------------------


def test_forged_signature_is_refused() -> None:
    message = create_message(KEY_A, "announcement", {"text": "hi"}, 1, None, T)
    forged = bytearray(message.signature)
    forged[10] ^= 0x04
    with pytest.raises(BadSignature, match=f"does not verify under the key of {NODE_A}"):
        open_(encode_envelope(message.payload, bytes(forged)))


def test_changed_payload_is_refused() -> None:
    message = create_message(KEY_A, "announcement", {"text": "hi"}, 1, None, T)
    other = encode(payload_map(seq=1, prev=None, body={"text": "ho"}))
    with pytest.raises(BadSignature):
        open_(encode_envelope(other, message.signature))


def test_payload_naming_another_origin_is_refused() -> None:
    # B signs a message claiming to come from A.
    with pytest.raises(BadSignature, match=NODE_A):
        open_(signed(payload_map(origin=NODE_A), key=KEY_B))


def test_signature_of_all_zeros_is_refused() -> None:
    with pytest.raises(BadSignature):
        open_(encode_envelope(encode(payload_map()), bytes(64)))


@pytest.mark.parametrize("prev", [bytes(PREV), None, b"", b"x"])
def test_seq_1_with_prev_is_refused(prev: bytes | None) -> None:
    value = payload_map(seq=1)
    value["prev"] = prev  # even nil: prev is absent at seq 1
    with pytest.raises(SchemaViolation, match=r"seq 1\) has no prev"):
        open_(signed(value))


@pytest.mark.parametrize("prev", ["missing", b"\x00" * 31, b"\x00" * 33, "x" * 32])
def test_seq_2_without_a_32_byte_prev_is_refused(prev: Any) -> None:
    value = payload_map(seq=2)
    if prev == "missing":
        del value["prev"]
    else:
        value["prev"] = prev
    with pytest.raises(SchemaViolation, match="prev must be the 32-byte id"):
        open_(signed(value))


def test_nil_prev_after_seq_1_is_refused() -> None:
    value = payload_map(seq=3)
    value["prev"] = None
    with pytest.raises(SchemaViolation, match="prev must be the 32-byte id"):
        open_(signed(value))


@pytest.mark.parametrize("field", ["sig", "id", "V", "extra"])
def test_unknown_payload_field_is_refused(field: str) -> None:
    with pytest.raises(SchemaViolation, match=f"payload has unknown fields: {field}"):
        open_(signed(payload_map(**{field: 1})))


def test_unknown_payload_field_is_refused_at_newer_versions_too() -> None:
    with pytest.raises(SchemaViolation, match="unknown fields: extra"):
        open_(signed(payload_map(v=2, extra=1)))


@pytest.mark.parametrize("field", ["v", "kind", "origin", "seq", "ts", "body"])
def test_missing_payload_field_is_refused(field: str) -> None:
    with pytest.raises(SchemaViolation, match=f"payload field '{field}' is missing"):
        open_(signed(payload_map(**{field: None})))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("v", True),
        ("v", "1"),
        ("kind", b"announcement"),
        ("origin", NODE_A.encode()),
        ("seq", True),
        ("seq", "2"),
        ("ts", b"\x00"),
        ("body", ["text", "hi"]),
        ("body", "hi"),
    ],
)
def test_payload_field_of_the_wrong_type_is_refused(field: str, value: Any) -> None:
    with pytest.raises(SchemaViolation, match=f"payload field '{field}' is missing or has"):
        open_(signed(payload_map(**{field: value})))


@pytest.mark.parametrize("version", [0, -1])
def test_version_below_1_is_refused(version: int) -> None:
    with pytest.raises(SchemaViolation, match=f"protocol version {version} does not exist"):
        open_(signed(payload_map(v=version)))


@pytest.mark.parametrize("seq", [0, -1, MAX_SEQ + 1])
def test_seq_out_of_range_is_refused(seq: int) -> None:
    with pytest.raises(SchemaViolation, match="seq must be between 1 and"):
        open_(signed(payload_map(seq=seq)))


def test_seq_at_its_maximum_is_accepted() -> None:
    assert open_(signed(payload_map(seq=MAX_SEQ))).seq == MAX_SEQ


@pytest.mark.parametrize("ts", [-1, MAX_SEQ + 1])
def test_ts_out_of_range_is_refused(ts: int) -> None:
    with pytest.raises(SchemaViolation, match="ts must be milliseconds"):
        open_(signed(payload_map(ts=ts)))


def test_ts_too_far_in_the_future_is_refused() -> None:
    limit = DEFAULT_LIMITS.max_future_ms
    data = signed(payload_map(ts=T + limit + 1))
    with pytest.raises(TooFarInFuture, match=f"created {limit + 1} ms in the future"):
        open_message(data, now_ms=T)
    # The same bytes are fine once the receiver's clock has caught up.
    assert open_message(data, now_ms=T + 1).created_at == T + limit + 1


def test_ts_at_the_future_limit_is_accepted() -> None:
    data = signed(payload_map(ts=T + DEFAULT_LIMITS.max_future_ms))
    open_message(data, now_ms=T)


def test_old_ts_is_accepted() -> None:
    open_message(signed(payload_map(ts=0)), now_ms=T)


@pytest.mark.parametrize(
    "kind",
    [
        "",
        "Event",
        "event.",
        ".event",
        "1event",
        "event..update",
        "event update",
        "event_update",
        "événement",
        "event/update",
        "-event",
        "a" * 65,
    ],
)
def test_bad_kind_name_is_refused(kind: str) -> None:
    with pytest.raises(SchemaViolation, match="is not a valid kind name"):
        open_(signed(payload_map(kind=kind)))


@pytest.mark.parametrize("kind", ["poll.open", "a", "a" * 64, "x-1.y-2.z", "hub.profile-v2"])
def test_unknown_kind_is_accepted_with_an_opaque_body(kind: str) -> None:
    body = {"question": "Which day?", "options": ["Mon", "Tue"], "n": -3, "raw": b"\x01"}
    message = open_(signed(payload_map(kind=kind, body=body)))
    assert message.kind == kind
    assert isinstance(message.body, Opaque)
    assert message.body == body


def test_newer_version_is_accepted_with_an_opaque_body() -> None:
    body = {"title": 5, "new_field": True}  # not a valid v1 event
    message = open_(signed(payload_map(v=2, kind="event", body=body)))
    assert message.version == 2
    assert isinstance(message.body, Opaque)
    assert message.body == body


def test_known_kind_with_an_invalid_body_is_refused() -> None:
    with pytest.raises(SchemaViolation, match=r"announcement body\.text is required"):
        open_(signed(payload_map(body={"title": "no text"})))


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("a" * 56, "origin is not a valid node id"),
        (NODE_A.upper(), "lower case"),
        (NODE_A[:-1], "must be 56 characters"),
        (NODE_A[:-6] + "======", "base32"),
    ],
)
def test_bad_origin_is_refused(origin: str, message: str) -> None:
    with pytest.raises(SchemaViolation, match=message):
        open_(signed(payload_map(origin=origin)))


def test_payload_that_is_not_a_map_is_refused() -> None:
    with pytest.raises(SchemaViolation, match="payload must be a map"):
        open_(signed_bytes(encode([1, 2])))


def test_non_canonical_payload_is_refused_even_when_signed() -> None:
    # The same map with seq as uint8 instead of a fixint: signed, but not canonical.
    payload = encode(payload_map(seq=7))
    non_canonical = payload.replace(b"\xa3seq\x07", b"\xa3seq\xcc\x07")
    assert non_canonical != payload
    with pytest.raises(MalformedPayload, match="non-minimal"):
        open_(signed_bytes(non_canonical))


def test_payload_with_unsorted_keys_is_refused_even_when_signed() -> None:
    import msgpack

    payload = msgpack.packb({"v": 1, **payload_map()}, use_bin_type=True)
    with pytest.raises(MalformedPayload, match="sorted"):
        open_(signed_bytes(payload))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x90",
        b"\x91\xc4\x00",
        b"\x93\xc4\x00\xc4\x00\xc4\x00",
        b"\x82\xa1a\x01\xa1b\x02",
        b"\x92\xa1a\xc4\x40" + bytes(64),
    ],
    ids=["empty", "empty-array", "one-item", "three-items", "map", "text-payload"],
)
def test_envelope_of_the_wrong_shape_is_refused(data: bytes) -> None:
    with pytest.raises(MalformedPayload):
        open_(data)


@pytest.mark.parametrize("size", [0, 63, 65])
def test_signature_of_the_wrong_length_is_refused(size: int) -> None:
    with pytest.raises(MalformedPayload, match="signature must be"):
        open_(encode_envelope(encode(payload_map()), b"\x00" * size))


def test_envelope_with_trailing_bytes_is_refused() -> None:
    with pytest.raises(MalformedPayload, match="trailing bytes"):
        open_(signed(payload_map()) + b"\x00")


def test_truncated_envelope_is_refused() -> None:
    with pytest.raises(MalformedPayload):
        open_(signed(payload_map())[:-1])


@pytest.mark.parametrize(("prefix", "width"), [(b"\xc5", 2), (b"\xc6", 4)], ids=["bin16", "bin32"])
def test_envelope_with_non_minimal_payload_length_is_refused(prefix: bytes, width: int) -> None:
    payload = encode(payload_map())
    assert len(payload) < 256
    sig = KEY_A.sign(payload)
    data = b"\x92" + prefix + len(payload).to_bytes(width, "big") + payload + b"\xc4\x40" + sig
    with pytest.raises(MalformedPayload, match="shortest form"):
        open_(data)


def test_envelope_with_bin32_for_a_bin16_payload_is_refused() -> None:
    payload = encode(payload_map(body={"text": "x" * 1000}))
    assert 256 <= len(payload) < 65536
    sig = KEY_A.sign(payload)
    data = b"\x92\xc6" + len(payload).to_bytes(4, "big") + payload + b"\xc4\x40" + sig
    with pytest.raises(MalformedPayload, match="shortest form"):
        open_(data)


def test_oversize_envelope_is_refused() -> None:
    limit = DEFAULT_LIMITS.max_envelope_bytes
    with pytest.raises(MalformedPayload, match=f"over {limit}"):
        open_(b"\x92" + b"\x00" * limit)


def test_oversize_payload_is_refused() -> None:
    value = payload_map(body={"text": "x" * 30000, "title": "y" * 30000, "z": "z" * 6000})
    with pytest.raises(MalformedPayload, match="bytes, over"):
        open_(signed(value))


def test_payload_at_the_size_limit_opens() -> None:
    # Fill an opaque body so the payload is exactly max_payload_bytes long.
    size = DEFAULT_LIMITS.max_payload_bytes
    value = payload_map(kind="big.blob", body={"a": "x" * 30000, "b": "y" * 30000, "c": ""})
    filler = size - len(encode(value))
    value["body"]["c"] = "z" * (filler - 2)  # str16 header is 3 bytes, fixstr was 1
    payload = encode(value)
    assert len(payload) == size
    message = open_(signed_bytes(payload))
    assert message.payload == payload


# --- create_message ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("announcement", {}, "announcement body.text is required"),
        ("announcement", {"text": "hi", "colour": "red"}, "unknown fields: colour"),
        ("announcement", {"text": ""}, "must be 1 to 8000 characters"),
        ("hub.profile", HubProfile(name="N", url="https://n.org", lat=1), "lat and lon"),
        ("event", Announcement(text="hi"), "event body has unknown fields: text"),
        ("Bad Kind", {"text": "hi"}, "not a valid kind name"),
    ],
)
def test_create_message_refuses_invalid_bodies(kind: str, body: Any, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message) as info:
        create_message(KEY_A, kind, body, 1, None, T)
    assert not isinstance(info.value, RemoteProtocolError)


def test_create_message_refuses_an_invalid_event() -> None:
    event = EventDetails(
        title="t",
        starts=10,
        ends=5,
        timezone="UTC",
        type="social",
        visibility="public",
        place="here",
    )
    with pytest.raises(LocalProtocolError, match="ends must not be before starts"):
        create_message(KEY_A, "event", event, 1, None, T)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": 1.5}, "float cannot be encoded"),
        ({"text": "hi", 1: "x"}, "is not text"),
    ],
)
def test_create_message_refuses_values_with_no_encoding(body: Any, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        create_message(KEY_A, "announcement", body, 1, None, T)


@pytest.mark.parametrize(
    ("seq", "prev", "message"),
    [
        (1, PREV, "has no prev"),
        (2, None, "prev must be the 32-byte id"),
        (0, None, "seq must be between"),
    ],
)
def test_create_message_refuses_a_broken_position(
    seq: int, prev: MessageId | None, message: str
) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        create_message(KEY_A, "announcement", {"text": "hi"}, seq, prev, T)


def test_create_message_refuses_an_oversize_payload() -> None:
    body = {"text": "x" * 8000}
    with pytest.raises(LocalProtocolError, match="over 65536"):
        create_message(KEY_A, "big.blob", {**body, "a": "x" * 30000, "b": "y" * 30000}, 1, None, T)


def test_create_message_never_mutates_a_dict_body() -> None:
    body: dict[str, Any] = {"title": "z first", "text": "hello", "nested": {"b": [2, 1], "a": 0}}
    before = copy.deepcopy(body)
    order = list(body)
    create_message(KEY_A, "some.future-kind", body, 1, None, T)
    assert body == before
    assert list(body) == order
    assert list(body["nested"]) == ["b", "a"]


def test_create_message_never_mutates_a_refused_dict_body() -> None:
    body: dict[str, Any] = {"text": "hello", "colour": "red"}
    before = copy.deepcopy(body)
    with pytest.raises(LocalProtocolError):
        create_message(KEY_A, "announcement", body, 1, None, T)
    assert body == before


def test_create_message_is_deterministic() -> None:
    a = create_message(KEY_A, "announcement", {"text": "hi"}, 1, None, T)
    b = create_message(KEY_A, "announcement", {"text": "hi"}, 1, None, T)
    assert a.wire == b.wire


# --- properties --------------------------------------------------------------------

_SAMPLES = [
    create_message(KEY_A, "announcement", {"text": "hi", "title": "T"}, 1, None, T).wire,
    create_message(
        KEY_B,
        "hub.profile",
        {"name": "B", "url": "https://b.org", "lat": 1, "lon": -2},
        2,
        PREV,
        T,
    ).wire,
    create_message(KEY_A, "poll.open", {"q": "?", "o": [1, 2, 3]}, 3, PREV, T).wire,
    create_message(KEY_B, "motion.second", {"motion": bytes(PREV)}, 9, PREV, T).wire,
]

_mutations = mutations(3)


def _open_or_refuse(data: bytes) -> None:
    try:
        message = open_message(data, now_ms=T)
    except RemoteProtocolError:
        return
    # Opened: it must be exactly what its origin signed.
    assert message.signed_by(public_key_from_node_id(message.origin))
    assert message.id == sha256(message.payload)
    assert message.wire == data


@PROPERTY
@given(st.sampled_from(_SAMPLES), _mutations)
def test_mutated_envelope_is_refused_or_verifies(
    data: bytes, steps: list[tuple[str, int, int]]
) -> None:
    _open_or_refuse(mutate(data, steps))


@PROPERTY
@given(st.binary(max_size=300))
def test_random_bytes_are_refused_as_remote_errors(data: bytes) -> None:
    _open_or_refuse(data)


@PROPERTY
@given(st.sampled_from(_SAMPLES), _mutations)
def test_mutated_payload_resigned_is_refused_or_opens(
    data: bytes, steps: list[tuple[str, int, int]]
) -> None:
    # Mutate the payload and sign it again: only the payload rules stand in the way.
    payload, _ = decode_envelope(data)
    mutated = mutate(payload, steps)
    for key in (KEY_A, KEY_B):
        _open_or_refuse(signed_bytes(mutated, key))
