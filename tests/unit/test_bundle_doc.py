"""docs/PROTOCOL.md §16.4: the bundle example is what the code writes and reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from protocol.bundle import (
    BundleHeader,
    BundleRefused,
    encode_unsigned,
    open_bundle,
    signing_input,
)
from protocol.envelope import decode_envelope, parse_payload

DOC = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")


def example() -> dict[str, str]:
    match = re.search(r"```bundle\n(.*?)```", DOC, flags=re.S)
    assert match, "no bundle example in PROTOCOL.md"
    fields: dict[str, str] = {}
    name = ""
    for line in match[1].splitlines():
        if line.startswith(" "):  # a continuation of the field above
            fields[name] += line.strip()
        else:
            name, _, value = line.partition(": ")
            fields[name] = value
    return fields


def test_the_example_bundle_is_read_and_written_alike() -> None:
    ex = example()
    key = SigningKey(bytes.fromhex(ex["key-seed"]))
    data = bytes.fromhex(ex["bundle"])
    header, envelopes = open_bundle(data, key.public_key)
    assert header.hub == ex["hub"] == node_id_from_public_key(key.public_key)
    assert header == BundleHeader(header.hub, 1763000060000, 1, 1, ((header.hub, 1),))
    message = parse_payload(*decode_envelope(envelopes[0]))
    assert message.body.text == ex["text"] and message.signed_by(key.public_key)
    unsigned = encode_unsigned(header, envelopes)
    assert unsigned + key.sign(signing_input(unsigned)) == data


@pytest.mark.parametrize("at", [0, 20, 200, -70, -1])
def test_the_example_with_one_byte_changed_is_refused(at: int) -> None:
    ex = example()
    data = bytearray.fromhex(ex["bundle"])
    data[at] ^= 0x01
    with pytest.raises(BundleRefused):
        open_bundle(bytes(data), SigningKey(bytes.fromhex(ex["key-seed"])).public_key)
