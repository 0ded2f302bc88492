"""protocol.codec: the one canonical msgpack form (PROTOCOL.md §2)."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import federation as wire
from protocol.codec import decode, encode
from protocol.errors import LocalProtocolError, MalformedPayload, RemoteProtocolError
from protocol.limits import DEFAULT_LIMITS
from tests.helpers import mutate, mutations

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (so True is not 1, b"" is not "")."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


# --- encode ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (0, "00"),
        (127, "7f"),
        (128, "cc80"),
        (255, "ccff"),
        (256, "cd0100"),
        (65535, "cdffff"),
        (65536, "ce00010000"),
        (2**32 - 1, "ceffffffff"),
        (2**32, "cf0000000100000000"),
        (2**64 - 1, "cfffffffffffffffff"),
        (-1, "ff"),
        (-32, "e0"),
        (-33, "d0df"),
        (-128, "d080"),
        (-129, "d1ff7f"),
        (-32768, "d18000"),
        (-32769, "d2ffff7fff"),
        (-(2**31), "d280000000"),
        (-(2**31) - 1, "d3ffffffff7fffffff"),
        (-(2**63), "d38000000000000000"),
    ],
)
def test_integers_take_their_smallest_form(value: int, wire: str) -> None:
    assert encode(value).hex() == wire
    assert same(decode(bytes.fromhex(wire)), value)


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (None, "c0"),
        (False, "c2"),
        (True, "c3"),
        ("", "a0"),
        ("a", "a161"),
        (b"", "c400"),
        (b"a", "c40161"),
        ([], "90"),
        ({}, "80"),
        ("é", "a2c3a9"),
    ],
)
def test_scalars_and_empties_have_one_encoding(value: Any, wire: str) -> None:
    assert encode(value).hex() == wire
    assert same(decode(bytes.fromhex(wire)), value)


def test_text_and_bytes_stay_apart() -> None:
    assert encode("ab") != encode(b"ab")
    assert same(decode(encode("ab")), "ab")
    assert same(decode(encode(b"ab")), b"ab")


@pytest.mark.parametrize(
    ("length", "prefix"),
    [(31, "bf"), (32, "d920"), (255, "d9ff"), (256, "da0100"), (32768, "da8000")],
)
def test_text_length_takes_its_smallest_form(length: int, prefix: str) -> None:
    assert encode("x" * length).hex().startswith(prefix)


@pytest.mark.parametrize(("length", "prefix"), [(0, "c400"), (255, "c4ff"), (256, "c50100")])
def test_bin_length_takes_its_smallest_form(length: int, prefix: str) -> None:
    assert encode(b"x" * length).hex().startswith(prefix)


@pytest.mark.parametrize(("length", "prefix"), [(15, "9f"), (16, "dc0010"), (1024, "dc0400")])
def test_array_length_takes_its_smallest_form(length: int, prefix: str) -> None:
    assert encode([0] * length).hex().startswith(prefix)


@pytest.mark.parametrize(("length", "prefix"), [(15, "8f"), (16, "de0010")])
def test_map_length_takes_its_smallest_form(length: int, prefix: str) -> None:
    assert encode({f"k{i:02}": 0 for i in range(length)}).hex().startswith(prefix)


def test_map_keys_are_sorted() -> None:
    assert encode({"b": 1, "a": 2}).hex() == "82a16102a16201"


def test_map_keys_sort_by_utf8_bytes_not_utf16_units() -> None:
    # U+FFFF sorts before U+1F600 in UTF-8 (and code points); in UTF-16 it would be after.
    keys = ["😀", "\uffff", "é", "b", "ab", "a", "", "B", "Z"]
    decoded = decode(encode(dict.fromkeys(keys, 0)))
    assert list(decoded) == sorted(keys, key=lambda k: k.encode("utf-8"))
    assert list(decoded) == ["", "B", "Z", "a", "ab", "b", "é", "\uffff", "😀"]


def test_tuples_encode_as_arrays() -> None:
    assert encode((1, "a")) == encode([1, "a"])


def test_encode_never_mutates_its_input() -> None:
    inner = {"z": [3, 2], "a": b"x"}
    value = {"y": inner, "b": [inner]}
    encode(value)
    assert list(value) == ["y", "b"]
    assert list(inner) == ["z", "a"]
    assert inner["z"] == [3, 2]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "type float cannot be encoded"),
        ({"a": 0.0}, "type float cannot be encoded"),
        ({1: "a"}, "map key 1 is not text"),
        ({b"a": "a"}, "map key b'a' is not text"),
        (2**64, "does not fit in 64 bits"),
        (-(2**63) - 1, "does not fit in 64 bits"),
        ({1, 2}, "type set cannot be encoded"),
        (bytearray(b"x"), "type bytearray cannot be encoded"),
    ],
)
def test_encode_refuses_what_has_no_canonical_form(value: Any, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        encode(value)


def _nested(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


def test_nesting_up_to_the_cap_round_trips() -> None:
    value = _nested(DEFAULT_LIMITS.max_depth)
    assert same(decode(encode(value)), value)


def test_encode_refuses_nesting_past_the_cap() -> None:
    with pytest.raises(LocalProtocolError, match="nests too deeply"):
        encode(_nested(DEFAULT_LIMITS.max_depth + 1))


# --- decode refusals ---------------------------------------------------------------

REFUSED = [
    # (hex, distinctive part of the message, id)
    ("82a16101a16102", "repeats the key 'a'", "duplicate-key"),
    ("83a16101a16201a16102", "", "duplicate-key-not-adjacent"),
    ("82a16201a16102", "not in canonical (sorted) order", "unsorted-keys"),
    ("82a2c3a901a17a01", "not in canonical (sorted) order", "unsorted-non-ascii-keys"),
    ("cc05", "non-minimal", "uint8-for-fixint"),
    ("cd0005", "non-minimal", "uint16-for-fixint"),
    ("cd0080", "non-minimal", "uint16-for-uint8"),
    ("ce00000005", "non-minimal", "uint32-for-fixint"),
    ("cf0000000000000005", "non-minimal", "uint64-for-fixint"),
    ("d005", "non-minimal", "int8-for-positive"),
    ("d0e0", "non-minimal", "int8-for-negative-fixint"),
    ("d1ffff", "non-minimal", "int16-for-negative-fixint"),
    ("d2ffffffff", "non-minimal", "int32-for-negative-fixint"),
    ("d3ffffffffffffffff", "non-minimal", "int64-for-negative-fixint"),
    ("d3000000000000ffff", "non-minimal", "int64-for-uint16"),
    ("d90161", "non-minimal", "str8-for-fixstr"),
    ("da000161", "non-minimal", "str16-for-fixstr"),
    ("db0000000161", "non-minimal", "str32-for-fixstr"),
    ("c5000161", "non-minimal", "bin16-for-bin8"),
    ("c60000000161", "non-minimal", "bin32-for-bin8"),
    ("dc000101", "non-minimal", "array16-for-fixarray"),
    ("dd0000000101", "non-minimal", "array32-for-fixarray"),
    ("de0001a16101", "non-minimal", "map16-for-fixmap"),
    ("df00000001a16101", "non-minimal", "map32-for-fixmap"),
    ("ca3fc00000", "floating-point", "float32"),
    ("cb3ff8000000000000", "floating-point", "float64"),
    ("81a161cb0000000000000000", "floating-point", "float-in-map"),
    ("d40100", "extension type", "fixext1"),
    ("c70005", "extension type 5 is not allowed", "ext8-empty"),
    ("d6ff00000000", "extension type", "timestamp32"),
    ("d7ff0000000000000000", "extension type", "timestamp64"),
    ("c70cff000000000000000000000000", "extension type", "timestamp96"),
    ("c700ff", "timestamp", "timestamp-empty"),
    ("a2fffe", "not valid UTF-8", "invalid-utf8"),
    ("a2c080", "not valid UTF-8", "overlong-utf8"),
    ("a3eda080", "not valid UTF-8", "utf8-surrogate"),
    ("81a2fffe01", "not valid UTF-8", "invalid-utf8-key"),
    ("0101", "trailing bytes", "trailing-byte"),
    ("c0c0", "trailing bytes", "trailing-nil"),
    ("9201", "not valid msgpack", "truncated-array"),
    ("a561", "not valid msgpack", "truncated-text"),
    ("cd00", "not valid msgpack", "truncated-int"),
    ("81a161", "not valid msgpack", "truncated-map"),
    ("c50001", "not valid msgpack", "truncated-bin"),
    ("c1", "not valid msgpack", "reserved-byte"),
    ("810101", "not allowed for map key", "int-key"),
    ("81c001", "not allowed for map key", "nil-key"),
    ("81910101", "not allowed for map key", "array-key"),
    ("81c4016101", "map key b'a' is not text", "bin-key"),
    ("", "payload is empty", "empty"),
]


@pytest.mark.parametrize(("wire", "message"), [r[:2] for r in REFUSED], ids=[r[2] for r in REFUSED])
def test_decode_refuses_non_canonical_input(wire: str, message: str) -> None:
    with pytest.raises(MalformedPayload) as info:
        decode(bytes.fromhex(wire))
    assert message in str(info.value)
    assert str(info.value).startswith("invalid: ")


def test_decode_refuses_nesting_past_the_cap() -> None:
    data = msgpack.packb(_nested(DEFAULT_LIMITS.max_depth + 1))
    with pytest.raises(MalformedPayload, match="nesting deeper than 8 levels"):
        decode(data)


def test_decode_refuses_nesting_past_msgpacks_own_stack() -> None:
    with pytest.raises(MalformedPayload, match="not valid msgpack"):
        decode(b"\x91" * 5000 + b"\x00")


def test_decode_refuses_deep_empty_map_past_the_cap() -> None:
    value: Any = {}
    for _ in range(DEFAULT_LIMITS.max_depth + 1):
        value = {"a": value}
    with pytest.raises(MalformedPayload, match="nesting deeper"):
        decode(msgpack.packb(value))


def test_decode_refuses_oversize_payload() -> None:
    limit = DEFAULT_LIMITS.max_payload_bytes
    with pytest.raises(MalformedPayload, match=f"payload is {limit + 1} bytes, over {limit}"):
        decode(b"\x00" * (limit + 1))


def test_payload_at_the_size_limit_is_accepted() -> None:
    limit = DEFAULT_LIMITS.max_payload_bytes
    # An array of three str16 values: 1 + 3 * 3 header bytes.
    value = ["x" * 30000, "y" * 30000, "z" * (limit - 60000 - 10)]
    data = encode(value)
    assert len(data) == limit
    assert same(decode(data), value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * (DEFAULT_LIMITS.max_str_bytes + 1), "max_str_len"),
        ("é" * (DEFAULT_LIMITS.max_str_bytes // 2 + 1), "max_str_len"),  # bytes, not chars
        (b"x" * (DEFAULT_LIMITS.max_bin_bytes + 1), "max_bin_len"),
        ([0] * (DEFAULT_LIMITS.max_array_items + 1), "max_array_len"),
        ({f"k{i:03}": 0 for i in range(DEFAULT_LIMITS.max_map_items + 1)}, "max_map_len"),
    ],
    ids=["text", "text-bytes", "bin", "array", "map"],
)
def test_decode_refuses_values_over_the_limits(value: Any, message: str) -> None:
    data = encode(value)
    with pytest.raises(MalformedPayload, match=message):
        decode(data)


@pytest.mark.parametrize(
    "value",
    [
        "x" * DEFAULT_LIMITS.max_str_bytes,
        b"x" * DEFAULT_LIMITS.max_bin_bytes,
        [0] * DEFAULT_LIMITS.max_array_items,
        {f"k{i:03}": 0 for i in range(DEFAULT_LIMITS.max_map_items)},
    ],
    ids=["text", "bin", "array", "map"],
)
def test_decode_accepts_values_at_the_limits(value: Any) -> None:
    assert same(decode(encode(value)), value)


# --- properties --------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.sampled_from([0, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, 2**32, -(2**31)]),
    st.text(max_size=40),
    st.binary(max_size=40),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.text(max_size=8), children, max_size=6),
    ),
    max_leaves=25,
).filter(lambda v: depth(v) <= DEFAULT_LIMITS.max_depth)


@PROPERTY
@given(values)
def test_decode_of_encode_is_the_value_and_encodes_the_same(value: Any) -> None:
    data = encode(value)
    decoded = decode(data)
    assert same(decoded, _sorted_maps(value))
    assert encode(decoded) == data


@PROPERTY
@given(st.dictionaries(st.text(max_size=6), st.integers(0, 9), max_size=12))
def test_decoded_map_keys_are_in_utf8_byte_order(value: dict[str, int]) -> None:
    keys = list(decode(encode(value)))
    assert keys == sorted(value, key=lambda k: k.encode("utf-8"))


def _sorted_maps(value: Any) -> Any:
    if isinstance(value, list):
        return [_sorted_maps(v) for v in value]
    if isinstance(value, dict):
        return {k: _sorted_maps(value[k]) for k in sorted(value)}
    return value


def _decode_or_refuse(data: bytes) -> None:
    """decode either refuses with MalformedPayload or returns what re-encodes to `data`."""
    try:
        value = decode(data)
    except MalformedPayload:
        return
    except RemoteProtocolError as exc:  # pragma: no cover - reported below
        raise AssertionError(f"decode raised {type(exc).__name__}, not MalformedPayload") from exc
    assert encode(value) == data


@PROPERTY
@given(st.binary(max_size=200))
def test_random_bytes_decode_canonically_or_are_refused(data: bytes) -> None:
    _decode_or_refuse(data)


# Bytes that often start msgpack values, so random input reaches deeper paths.
_interesting = st.sampled_from(
    [
        0x80,
        0x81,
        0x90,
        0x91,
        0xA1,
        0xC0,
        0xC1,
        0xC3,
        0xC4,
        0xC5,
        0xC7,
        0xCA,
        0xCB,
        0xCC,
        0xCF,
        0xD0,
        0xD3,
        0xD4,
        0xD6,
        0xD9,
        0xDC,
        0xDE,
        0xDF,
        0xFF,
        0x00,
        0x7F,
    ]
)


@PROPERTY
@given(st.lists(st.one_of(_interesting, st.integers(0, 255)), max_size=60))
def test_msgpack_like_bytes_decode_canonically_or_are_refused(data: list[int]) -> None:
    _decode_or_refuse(bytes(data))


_edits = mutations(4)


@PROPERTY
@given(values, _edits)
def test_mutated_payloads_decode_canonically_or_are_refused(
    value: Any, steps: list[tuple[str, int, int]]
) -> None:
    _decode_or_refuse(mutate(encode(value), steps))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["stored", "duplicate", "held", "refused", "fork"]),
            st.one_of(st.none(), st.text(max_size=40)),
        ),
        max_size=20,
    )
)
def test_a_push_answer_is_in_canonical_form_and_reads_back(
    results: list[tuple[str, str | None]],
) -> None:
    # encode_push_results packs its answer directly, not through encode(): it must
    # still be the one canonical encoding, which the sender's decode insists on.
    given_results = [wire.PushResult(status, reason) for status, reason in results]
    body = wire.encode_push_results(given_results)
    as_map = {
        "results": [
            {"status": r.status, **({"reason": r.reason} if r.reason else {})}
            for r in given_results
        ]
    }
    assert body == encode(as_map)
    assert wire.decode_push_results(body) == [
        wire.PushResult(r.status, r.reason or None) for r in given_results
    ]
