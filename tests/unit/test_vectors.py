"""The test vectors in docs/PROTOCOL.md §8, checked against the code.

The vectors are read from the document itself, so a change to the encoding that
is not carried into the document fails here (regenerate with
`python -m tests.vectors`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import protocol.errors
from crypto.digest import sha256
from crypto.ed25519 import SigningKey, check_public_key, verify
from crypto.nodeid import node_id_from_public_key, public_key_from_node_id
from protocol.codec import decode
from protocol.envelope import Message, decode_envelope, encode_envelope, open_message
from protocol.errors import BadSignature, RemoteProtocolError
from protocol.forks import check_fork_pair
from protocol.keys import initial_key_state, key_step
from protocol.kinds import KINDS, Opaque
from protocol.kinds.keys import rotation_statement
from tests import vectors
from tests.vectors import Vector, diagnostic, unhex

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
VECTORS = vectors.parse(DOC.read_text(encoding="utf-8"))
BY_NAME = {v["vector"]: v for v in VECTORS}

KEYS = [v for v in VECTORS if "seed" in v]
MESSAGES = [v for v in VECTORS if "payload" in v]
REFUSED = [v for v in VECTORS if "error" in v]


def _ids(items: list[Vector]) -> list[str]:
    return [v["vector"] for v in items]


def key_of(name: str) -> SigningKey:
    return SigningKey(unhex(BY_NAME[name]["seed"]))


def test_the_document_holds_vectors_of_every_sort() -> None:
    assert len(KEYS) >= 2
    assert len(MESSAGES) >= 5
    assert len(REFUSED) >= 10
    assert {"key.rotate", "announcement", "hub.profile", "event"} <= {v["kind"] for v in MESSAGES}


def test_vector_names_are_unique() -> None:
    assert len(BY_NAME) == len(VECTORS)


def test_the_document_holds_what_the_code_builds() -> None:
    # Field by field first, for a readable failure; then everything.
    built = vectors.all_vectors()
    assert [v["vector"] for v in VECTORS] == [v["vector"] for v in built]
    for ours, theirs in zip(VECTORS, built, strict=True):
        assert ours == theirs, f"{ours['vector']} differs: run `python -m tests.vectors`"


def test_the_rendered_section_is_in_the_document() -> None:
    assert vectors.render().strip() in DOC.read_text(encoding="utf-8")


# --- keys ----------------------------------------------------------------------------


@pytest.mark.parametrize("vector", KEYS, ids=_ids(KEYS))
def test_key_vector(vector: Vector) -> None:
    seed = unhex(vector["seed"])
    assert len(seed) == 32
    public_key = SigningKey(seed).public_key
    assert public_key.hex() == vector["public-key"]
    check_public_key(public_key)
    assert node_id_from_public_key(public_key) == vector["node-id"]
    assert public_key_from_node_id(vector["node-id"]) == public_key


# --- messages ------------------------------------------------------------------------


@pytest.mark.parametrize("vector", MESSAGES, ids=_ids(MESSAGES))
def test_message_id_is_sha256_of_the_payload(vector: Vector) -> None:
    assert sha256(unhex(vector["payload"])).hex() == vector["id"]


@pytest.mark.parametrize("vector", MESSAGES, ids=_ids(MESSAGES))
def test_message_signature_is_the_signers_and_verifies(vector: Vector) -> None:
    payload, signature = unhex(vector["payload"]), unhex(vector["signature"])
    signer = key_of(vector["signer"])
    assert signer.sign(payload) == signature  # Ed25519 is deterministic
    assert verify(signer.public_key, payload, signature)
    assert not verify(signer.public_key, payload + b"\x00", signature)


@pytest.mark.parametrize("vector", MESSAGES, ids=_ids(MESSAGES))
def test_message_envelope_is_payload_and_signature(vector: Vector) -> None:
    payload, signature = unhex(vector["payload"]), unhex(vector["signature"])
    envelope = unhex(vector["envelope"])
    assert envelope == encode_envelope(payload, signature)
    assert decode_envelope(envelope) == (payload, signature)
    assert envelope[0] == 0x92
    assert envelope[-66:-64] == b"\xc4\x40"


@pytest.mark.parametrize("vector", MESSAGES, ids=_ids(MESSAGES))
def test_message_payload_decodes_to_its_fields(vector: Vector) -> None:
    value = decode(unhex(vector["payload"]))
    assert diagnostic(value) == vector["decoded"]
    assert value["v"] == 1
    assert value["kind"] == vector["kind"]
    assert value["origin"] == vector["origin"]
    assert value["seq"] == int(vector["seq"])
    assert value["ts"] == int(vector["ts"])
    if vector["prev"] == "(absent)":
        assert "prev" not in value
        assert value["seq"] == 1
    else:
        assert value["prev"].hex() == vector["prev"]


@pytest.mark.parametrize("vector", MESSAGES, ids=_ids(MESSAGES))
def test_message_opens_under_the_signers_key(vector: Vector) -> None:
    signer = key_of(vector["signer"]).public_key
    message = open_message(unhex(vector["envelope"]), now_ms=int(vector["ts"]), signer=signer)
    assert message.id.hex() == vector["id"]
    assert message.kind == vector["kind"]
    assert message.origin == vector["origin"]
    if vector["kind"] in KINDS:
        assert isinstance(message.body, KINDS[vector["kind"]])
    else:
        assert isinstance(message.body, Opaque)


@pytest.mark.parametrize("vector", MESSAGES, ids=_ids(MESSAGES))
def test_message_opens_under_its_origins_id_key_only_before_a_rotation(vector: Vector) -> None:
    data = unhex(vector["envelope"])
    signer = key_of(vector["signer"]).public_key
    if public_key_from_node_id(vector["origin"]) == signer:
        open_message(data, now_ms=int(vector["ts"]))
    else:
        with pytest.raises(BadSignature):
            open_message(data, now_ms=int(vector["ts"]))


@pytest.mark.parametrize("vector", MESSAGES, ids=_ids(MESSAGES))
def test_message_prev_is_the_id_before_it_in_the_log(vector: Vector) -> None:
    if vector["prev"] == "(absent)":
        return
    before = [
        v
        for v in MESSAGES
        if v["origin"] == vector["origin"] and int(v["seq"]) == int(vector["seq"]) - 1
    ]
    # One message before it, or two where the log forked (§8.6): it names one of them.
    assert vector["prev"] in [v["id"] for v in before]
    assert len(before) == 1 or vector["kind"] == "fork.resolve"


def test_unknown_kind_vector_has_an_opaque_body() -> None:
    unknown = [v for v in MESSAGES if v["kind"] not in KINDS]
    assert unknown
    for vector in unknown:
        message = open_message(unhex(vector["envelope"]), now_ms=int(vector["ts"]))
        assert isinstance(message.body, Opaque)
        assert dict(message.body) == decode(unhex(vector["payload"]))["body"]


# --- key rotation --------------------------------------------------------------------

ROTATIONS = [v for v in MESSAGES if v["kind"] == "key.rotate"]


@pytest.mark.parametrize("vector", ROTATIONS, ids=_ids(ROTATIONS))
def test_rotation_vector(vector: Vector) -> None:
    old_key, new_key = unhex(vector["old-key"]), unhex(vector["new-key"])
    statement = unhex(vector["statement"])
    counter_signature = unhex(vector["new-key-signature"])
    assert old_key == key_of(vector["signer"]).public_key
    check_public_key(new_key)
    assert statement == rotation_statement(vector["origin"], old_key, new_key)
    assert statement == (
        b"hubnet key.rotate v1\x00" + vector["origin"].encode("ascii") + old_key + new_key
    )
    assert len(statement) == 141
    assert verify(new_key, statement, counter_signature)
    body = decode(unhex(vector["payload"]))["body"]
    assert body == {"new_key": new_key, "new_key_signature": counter_signature}


@pytest.mark.parametrize("vector", ROTATIONS, ids=_ids(ROTATIONS))
def test_messages_after_a_rotation_are_signed_by_the_new_key(vector: Vector) -> None:
    new_key = unhex(vector["new-key"])
    later = [
        v
        for v in MESSAGES
        if v["origin"] == vector["origin"] and int(v["seq"]) > int(vector["seq"])
    ]
    assert later
    for v in later:
        assert key_of(v["signer"]).public_key == new_key
        assert verify(new_key, unhex(v["payload"]), unhex(v["signature"]))
        assert not verify(unhex(vector["old-key"]), unhex(v["payload"]), unhex(v["signature"]))


# --- refused input -------------------------------------------------------------------


@pytest.mark.parametrize("vector", REFUSED, ids=_ids(REFUSED))
def test_refused_vector_is_refused_for_its_reason(vector: Vector) -> None:
    data = unhex(vector["input"])
    with pytest.raises(RemoteProtocolError) as info:
        if vector["check"] == "decode":
            decode(data)
        else:
            assert vector["check"] == "open"
            open_message(data, now_ms=int(vector["now-ms"]))
    error_class = getattr(protocol.errors, vector["error"])
    assert type(info.value) is error_class
    assert vector["reason"] in info.value.message


# --- a network (PROTOCOL.md §14) -----------------------------------------------------


def test_network_id_is_sha256_of_the_statements_canonical_body() -> None:
    vector = BY_NAME["message-b2"]
    body = unhex(vector["body"])
    assert decode(unhex(vector["payload"]))["body"] == decode(body)
    assert sha256(body).hex() == vector["network-id"]


def test_witness_vector_covers_what_it_says() -> None:
    from crypto.nodeid import NodeId
    from protocol.witness import Witnesses

    b2, b3 = (
        open_message(unhex(BY_NAME[n]["envelope"]), now_ms=int(BY_NAME[n]["ts"]))
        for n in ("message-b2", "message-b3")
    )
    a5 = open_message(
        unhex(BY_NAME["message-a5"]["envelope"]),
        now_ms=int(BY_NAME["message-a5"]["ts"]),
        signer=key_of("key-b").public_key,
    )
    witnesses = Witnesses(unhex(BY_NAME["message-b2"]["network-id"]), [b3])
    hub = NodeId(b3.origin)
    assert witnesses.covers(hub, a5, b3.created_at + 1) == b3.id
    assert witnesses.covers(hub, b2, b3.created_at + 1) == b3.id
    assert witnesses.covers(hub, a5, b3.created_at) is None  # signed at, not before


# --- forks ---------------------------------------------------------------------------


def _opened(name: str) -> Message:
    vector = BY_NAME[name]
    return open_message(
        unhex(vector["envelope"]),
        now_ms=int(vector["ts"]),
        signer=key_of(vector["signer"]).public_key,
    )


def test_fork_vectors_are_a_fork_its_proof_and_its_resolution() -> None:
    c1, c2, c2x = _opened("message-c1"), _opened("message-c2"), _opened("message-c2x")
    check_fork_pair(c2, c2x)
    proof = _opened("message-a6").body
    assert (proof.hub, proof.seq, proof.first, proof.second) == (c2.origin, 2, c2.id, c2x.id)
    # The key state at seq 2 is C's id key with the commitment c1 made (§7.1)...
    state = key_step(initial_key_state(c1.origin), c1).after
    for message in (c2, c2x):  # ...under which both sides of the fork verify,
        assert message.signed_by(key_step(state, message).signer)
    # ...and under which the resolution is signed by the committed successor, key D.
    resolve = _opened("message-c3")
    assert resolve.body.keep == c2x.id and resolve.prev == c2x.id
    step = key_step(state, resolve)
    assert step.signer == key_of("key-d").public_key == resolve.body.new_key
    assert resolve.signed_by(step.signer)
    assert step.after.public_key == step.signer
