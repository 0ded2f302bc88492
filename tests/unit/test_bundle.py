"""protocol.bundle: a bundle's framing and signature (PROTOCOL.md §16.1-16.2)."""

from __future__ import annotations

import pytest

from crypto.nodeid import node_id_from_public_key
from protocol.bundle import (
    MAGIC,
    BundleHeader,
    BundleRefused,
    encode_unsigned,
    open_bundle,
    parse_unverified,
    signing_input,
)
from protocol.codec import encode
from tests.helpers import T0, key_from

KEY = key_from(1)
HUB = node_id_from_public_key(KEY.public_key)


def signed(unsigned: bytes) -> bytes:
    return unsigned + KEY.sign(signing_input(unsigned))


def test_an_empty_bundle_opens_and_says_what_its_hub_holds() -> None:
    header = BundleHeader(HUB, T0, 0, 0, ((HUB, 3),))
    assert open_bundle(signed(encode_unsigned(header, [])), KEY.public_key) == (header, [])


def test_a_bundle_signed_by_another_key_is_refused() -> None:
    data = encode_unsigned(BundleHeader(HUB, T0, 0, 0, ()), [])
    with pytest.raises(BundleRefused, match="damaged or altered"):
        open_bundle(data + key_from(2).sign(signing_input(data)), KEY.public_key)


@pytest.mark.parametrize(
    ("unsigned", "why"),
    [
        (b"PK\x03\x04 a zip file", "not a hubnet bundle"),
        (MAGIC + (100).to_bytes(4, "big") + b"short", "past the end"),
        (MAGIC + b"\x00\x00", "inside a frame's length"),
        (MAGIC, "no header"),
        (MAGIC + (1).to_bytes(4, "big") + b"\xc0", "header must be a map"),
    ],
)
def test_a_damaged_file_is_refused_even_when_signed(unsigned: bytes, why: str) -> None:
    with pytest.raises(BundleRefused, match=why):
        open_bundle(signed(unsigned), KEY.public_key)


def test_a_header_that_miscounts_its_messages_is_refused() -> None:
    wire = BundleHeader(HUB, T0, 0, 0, ()).to_wire() | {"messages": 2}
    header = encode(wire)
    unsigned = MAGIC + len(header).to_bytes(4, "big") + header
    with pytest.raises(BundleRefused, match="counts 2 messages but 0 follow"):
        open_bundle(signed(unsigned), KEY.public_key)
    with pytest.raises(BundleRefused):
        parse_unverified(signed(unsigned))


def test_a_newer_format_is_refused_with_its_version() -> None:
    header = encode(BundleHeader(HUB, T0, 0, 0, ()).to_wire() | {"v": 2})
    unsigned = MAGIC + len(header).to_bytes(4, "big") + header
    with pytest.raises(BundleRefused, match="version 2"):
        open_bundle(signed(unsigned), KEY.public_key)
