"""crypto/: Ed25519 against RFC 8032, public-key checks, node ids, key files."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import nacl.bindings
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import keyfile
from crypto.digest import sha256
from crypto.ed25519 import SigningKey, check_public_key, curve_problem, verify
from crypto.errors import BadNodeId, BadPublicKey, KeyFileError
from crypto.keyfile import load_key, save_key
from crypto.nodeid import (
    NODE_ID_LENGTH,
    node_id_from_public_key,
    parse_node_id,
    public_key_from_node_id,
)

# RFC 8032 §7.1, Ed25519: (name, secret key, public key, message, signature).
_TEST_1024_MESSAGE = (
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0"
)

RFC8032_VECTORS = [
    (
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
        "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f7"
        "60984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        "TEST 1024",
        "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
        _TEST_1024_MESSAGE,
        "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea"
        "23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
    ),
    (
        "TEST SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7"
        "c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]

_RFC_IDS = [v[0] for v in RFC8032_VECTORS]

# The eight points of small order, canonically encoded (as in libsodium's blocklist).
SMALL_ORDER_CANONICAL = [
    "0100000000000000000000000000000000000000000000000000000000000000",  # identity, order 1
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # (0, -1), order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  # order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
]

_P = 2**255 - 19


def _encode_point(y: int, sign: int) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


# Non-canonical encodings of small-order points: y >= p (y = p is y = 0, y = p + 1 is
# y = 1) with either sign, and x = 0 with the sign bit set.
SMALL_ORDER_Y_NOT_REDUCED = [
    _encode_point(_P, 0),
    _encode_point(_P, 1),
    _encode_point(_P + 1, 0),
    _encode_point(_P + 1, 1),
]
SMALL_ORDER_NEGATIVE_ZERO_X = [_encode_point(1, 1), _encode_point(_P - 1, 1)]


def _flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --- Ed25519 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret", "public", "message", "signature"), RFC8032_VECTORS, ids=_RFC_IDS
)
def test_rfc8032_secret_key_gives_public_key(
    name: str, secret: str, public: str, message: str, signature: str
) -> None:
    assert SigningKey(bytes.fromhex(secret)).public_key.hex() == public


@pytest.mark.parametrize(
    ("name", "secret", "public", "message", "signature"), RFC8032_VECTORS, ids=_RFC_IDS
)
def test_rfc8032_signature_is_reproduced(
    name: str, secret: str, public: str, message: str, signature: str
) -> None:
    assert SigningKey(bytes.fromhex(secret)).sign(bytes.fromhex(message)).hex() == signature


@pytest.mark.parametrize(
    ("name", "secret", "public", "message", "signature"), RFC8032_VECTORS, ids=_RFC_IDS
)
def test_rfc8032_signature_verifies(
    name: str, secret: str, public: str, message: str, signature: str
) -> None:
    assert verify(bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature))


@pytest.mark.parametrize(
    ("name", "secret", "public", "message", "signature"), RFC8032_VECTORS, ids=_RFC_IDS
)
def test_rfc8032_public_key_passes_the_key_check(
    name: str, secret: str, public: str, message: str, signature: str
) -> None:
    check_public_key(bytes.fromhex(public))


def test_rfc8032_sha_abc_message_is_sha512_of_abc() -> None:
    import hashlib

    assert RFC8032_VECTORS[4][3] == hashlib.sha512(b"abc").hexdigest()


@pytest.mark.parametrize("vector", RFC8032_VECTORS, ids=_RFC_IDS)
def test_verify_refuses_any_flipped_bit_in_message(vector: tuple[str, ...]) -> None:
    _, _, public, message, signature = vector
    pk, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    if not msg:
        assert not verify(pk, b"\x00", sig)
        return
    for bit in (0, 7, len(msg) * 8 - 1):
        assert not verify(pk, _flip_bit(msg, bit), sig)


@pytest.mark.parametrize("vector", RFC8032_VECTORS, ids=_RFC_IDS)
def test_verify_refuses_any_flipped_bit_in_signature(vector: tuple[str, ...]) -> None:
    _, _, public, message, signature = vector
    pk, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    for bit in range(0, 512, 7):
        assert not verify(pk, msg, _flip_bit(sig, bit))
    assert not verify(pk, msg, _flip_bit(sig, 511))


@pytest.mark.parametrize("vector", RFC8032_VECTORS, ids=_RFC_IDS)
def test_verify_refuses_any_flipped_bit_in_public_key(vector: tuple[str, ...]) -> None:
    _, _, public, message, signature = vector
    pk, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    for bit in range(0, 256, 5):
        assert not verify(_flip_bit(pk, bit), msg, sig)


def test_verify_refuses_wrong_lengths() -> None:
    key = SigningKey(bytes(range(32)))
    sig = key.sign(b"m")
    assert verify(key.public_key, b"m", sig)
    assert not verify(key.public_key, b"m", sig[:-1])
    assert not verify(key.public_key, b"m", sig + b"\x00")
    assert not verify(key.public_key[:-1], b"m", sig)


def test_verify_refuses_signature_with_s_not_reduced() -> None:
    # S + L verifies in a lax verifier; libsodium refuses S >= L (malleability).
    key = SigningKey(bytes(range(32)))
    sig = key.sign(b"m")
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(sig[32:], "little") + order
    assert s < 2**256
    assert not verify(key.public_key, b"m", sig[:32] + s.to_bytes(32, "little"))


def test_signing_key_needs_a_32_byte_seed() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SigningKey(b"\x00" * 31)


def test_signing_key_repr_shows_only_the_public_key() -> None:
    key = SigningKey(b"\x07" * 32)
    assert key.seed.hex() not in repr(key)
    assert key.public_key.hex() in repr(key)


def test_generated_keys_differ_and_sign() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    assert a.seed != b.seed
    assert verify(a.public_key, b"x", a.sign(b"x"))
    assert not verify(b.public_key, b"x", a.sign(b"x"))


# --- public-key checks -----------------------------------------------------------


@pytest.mark.parametrize("key_hex", SMALL_ORDER_CANONICAL)
def test_check_public_key_refuses_small_order_points(key_hex: str) -> None:
    key = bytes.fromhex(key_hex)
    # libsodium agrees that these are not usable keys.
    assert not nacl.bindings.crypto_core_ed25519_is_valid_point(key)
    with pytest.raises(BadPublicKey, match="small order"):
        check_public_key(key)


def test_small_order_list_holds_eight_distinct_points() -> None:
    assert len(set(SMALL_ORDER_CANONICAL)) == 8


@pytest.mark.parametrize("key", SMALL_ORDER_Y_NOT_REDUCED, ids=lambda k: k.hex())
def test_check_public_key_refuses_y_not_reduced(key: bytes) -> None:
    with pytest.raises(BadPublicKey, match=r"not canonical \(y >= p\)"):
        check_public_key(key)


@pytest.mark.parametrize("y", range(_P, 2**255), ids=lambda y: f"p+{y - _P}")
def test_check_public_key_refuses_every_y_at_or_above_p(y: int) -> None:
    for sign in (0, 1):
        with pytest.raises(BadPublicKey, match="y >= p"):
            check_public_key(_encode_point(y, sign))


@pytest.mark.parametrize("key", SMALL_ORDER_NEGATIVE_ZERO_X, ids=lambda k: k.hex())
def test_check_public_key_refuses_x_zero_with_sign_bit(key: bytes) -> None:
    with pytest.raises(BadPublicKey, match=r"x = 0 with sign bit set"):
        check_public_key(key)


@pytest.mark.parametrize("y", [2, 7, 8, 11])
def test_check_public_key_refuses_points_not_on_the_curve(y: int) -> None:
    for sign in (0, 1):
        with pytest.raises(BadPublicKey, match="not a point on the curve"):
            check_public_key(_encode_point(y, sign))


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_check_public_key_refuses_wrong_length(size: int) -> None:
    with pytest.raises(BadPublicKey, match=f"must be 32 bytes, got {size}"):
        check_public_key(b"\x09" * size)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_check_public_key_accepts_real_keys(seed: bytes) -> None:
    key = SigningKey(seed).public_key
    check_public_key(key)
    assert nacl.bindings.crypto_core_ed25519_is_valid_point(key)
    assert curve_problem(key) is None


@settings(max_examples=500, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_check_public_key_agrees_with_libsodium_on_random_bytes(key: bytes) -> None:
    # libsodium's is_valid_point asks the same: canonical, on the curve, order L.
    # check_public_key takes libsodium's yes, so the pure rule is held to it too.
    try:
        check_public_key(key)
        ours = True
    except BadPublicKey:
        ours = False
    sodium = nacl.bindings.crypto_core_ed25519_is_valid_point(key)
    assert ours == sodium
    assert (curve_problem(key) is None) == sodium


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.sampled_from(SMALL_ORDER_CANONICAL))
def test_libsodium_and_the_pure_rule_agree_on_keys_with_low_order_parts(
    seed: bytes, low_hex: str
) -> None:
    # Points near the edge: real keys, and real keys with each low-order point added
    # (random bytes are rarely of order L, so they test refusals more than accepts).
    real = SigningKey(seed).public_key
    for key in (real, nacl.bindings.crypto_core_ed25519_add(real, bytes.fromhex(low_hex))):
        sodium = nacl.bindings.crypto_core_ed25519_is_valid_point(key)
        assert (curve_problem(key) is None) == sodium


@pytest.mark.parametrize("low_hex", SMALL_ORDER_CANONICAL[1:], ids=lambda h: h[:8])
def test_check_public_key_refuses_a_real_key_plus_a_low_order_point(low_hex: str) -> None:
    # Mixed order: a prime-order key with a low-order component added. Some verifiers
    # check with the cofactor and some without; refusing the key ends the question.
    real = SigningKey(b"\x07" * 32).public_key
    mixed = nacl.bindings.crypto_core_ed25519_add(real, bytes.fromhex(low_hex))
    assert not nacl.bindings.crypto_core_ed25519_is_valid_point(mixed)
    with pytest.raises(BadPublicKey, match="mixed order"):
        check_public_key(mixed)


def test_the_mixed_order_key_in_the_protocol_is_refused() -> None:
    # docs/PROTOCOL.md §4.2: the base point plus the point of order 2.
    with pytest.raises(BadPublicKey, match="mixed order"):
        check_public_key(bytes.fromhex("95" + "99" * 31))


# --- node ids --------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_node_id_round_trips(seed: bytes) -> None:
    key = SigningKey(seed).public_key
    node_id = node_id_from_public_key(key)
    assert len(node_id) == NODE_ID_LENGTH
    assert node_id == node_id.lower()
    assert public_key_from_node_id(node_id) == key
    assert parse_node_id(node_id) == node_id


def test_node_id_layout_is_key_checksum_version() -> None:
    key = SigningKey(b"\x01" * 32).public_key
    raw = base64.b32decode(node_id_from_public_key(key).upper())
    assert raw[:32] == key
    assert raw[32:34] == sha256(b"hubnet node id" + key + b"\x01")[:2]
    assert raw[34] == 1


_NODE_ID = node_id_from_public_key(SigningKey(b"\x01" * 32).public_key)


@pytest.mark.parametrize("position", [0, 10, 27, 51, 52, 55])
def test_mistyped_node_id_fails(position: int) -> None:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    old = _NODE_ID[position]
    new = alphabet[(alphabet.index(old) + 1) % 32]
    mistyped = _NODE_ID[:position] + new + _NODE_ID[position + 1 :]
    with pytest.raises(BadNodeId):
        public_key_from_node_id(mistyped)


def test_mistyped_key_char_fails_the_checksum() -> None:
    # Change a character inside the key part; the checksum no longer matches.
    mistyped = _NODE_ID[:5] + ("a" if _NODE_ID[5] != "a" else "b") + _NODE_ID[6:]
    with pytest.raises(BadNodeId, match="checksum does not match"):
        public_key_from_node_id(mistyped)


@pytest.mark.parametrize("text", [_NODE_ID[:-1], _NODE_ID + "a", "", _NODE_ID * 2])
def test_node_id_of_wrong_length_fails(text: str) -> None:
    with pytest.raises(BadNodeId, match="must be 56 characters"):
        public_key_from_node_id(text)


def test_upper_case_node_id_fails() -> None:
    with pytest.raises(BadNodeId, match="lower case"):
        public_key_from_node_id(_NODE_ID.upper())


@pytest.mark.parametrize("bad_char", ["0", "1", "8", "9", "-", "é"])
def test_node_id_with_non_base32_character_fails(bad_char: str) -> None:
    with pytest.raises(BadNodeId, match="not base32"):
        public_key_from_node_id(_NODE_ID[:20] + bad_char + _NODE_ID[21:])


@pytest.mark.parametrize("padding", [1, 3, 4, 6])
def test_node_id_with_base32_padding_fails(padding: int) -> None:
    with pytest.raises(BadNodeId, match="base32"):
        public_key_from_node_id(_NODE_ID[:-padding] + "=" * padding)


def _raw_node_id(key: bytes, version: int) -> str:
    checksum = sha256(b"hubnet node id" + key + bytes([version]))[:2]
    return base64.b32encode(key + checksum + bytes([version])).decode().lower()


@pytest.mark.parametrize("version", [0, 2, 255])
def test_node_id_with_unknown_version_fails(version: int) -> None:
    key = SigningKey(b"\x01" * 32).public_key
    with pytest.raises(BadNodeId, match=f"unknown node id version {version}"):
        public_key_from_node_id(_raw_node_id(key, version))


@pytest.mark.parametrize("key_hex", SMALL_ORDER_CANONICAL[:3])
def test_node_id_holding_a_small_order_key_fails(key_hex: str) -> None:
    text = _raw_node_id(bytes.fromhex(key_hex), 1)
    with pytest.raises(BadNodeId, match="unusable key"):
        public_key_from_node_id(text)
    with pytest.raises(BadPublicKey):
        node_id_from_public_key(bytes.fromhex(key_hex))


# --- key files ---------------------------------------------------------------------


def test_saved_key_file_has_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    save_key(SigningKey(b"\x05" * 32), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_saved_key_file_ignores_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        save_key(SigningKey(b"\x05" * 32), tmp_path / "node.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "node.key").stat().st_mode) == 0o600


def test_key_file_round_trips(tmp_path: Path) -> None:
    key = SigningKey.generate()
    save_key(key, tmp_path / "node.key")
    loaded = load_key(tmp_path / "node.key")
    assert loaded.seed == key.seed
    assert loaded.public_key == key.public_key


def test_key_file_is_standard_pkcs8_pem(tmp_path: Path) -> None:
    key = SigningKey(b"\x05" * 32)
    save_key(key, tmp_path / "node.key")
    text = (tmp_path / "node.key").read_text()
    assert text.startswith("-----BEGIN PRIVATE KEY-----\n")


@given(st.binary(min_size=32, max_size=32))
@settings(max_examples=50)
def test_a_key_file_is_read_as_the_library_reads_it(seed: bytes) -> None:
    # load_key reads save_key's shape itself (no cryptography at a node's start);
    # the library, which wrote it, must read the same seed from it.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.from_private_bytes(seed).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert keyfile._seed_of(pem) == seed
    assert keyfile._seed_of(pem.replace(b"PRIVATE KEY", b"PUBLIC KEY")) is None
    der = base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    other_algorithm = der[:9] + b"\x6f" + der[10:]  # 1.3.101.111 is X448's, not Ed25519's
    armoured = b"-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(other_algorithm)
    assert keyfile._seed_of(armoured + b"\n-----END PRIVATE KEY-----\n") is None


def test_save_key_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    first = SigningKey(b"\x05" * 32)
    save_key(first, path)
    with pytest.raises(KeyFileError, match="already exists; refusing to overwrite"):
        save_key(SigningKey(b"\x06" * 32), path)
    assert load_key(path).seed == first.seed


def test_save_key_into_missing_directory_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot create key file"):
        save_key(SigningKey(b"\x05" * 32), tmp_path / "no" / "node.key")


def test_missing_key_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"key file .*node\.key is missing"):
        load_key(tmp_path / "node.key")


def test_unreadable_key_file_fails_clearly(tmp_path: Path) -> None:
    # Tests may run as root, which reads any file; a directory is unreadable as a file.
    (tmp_path / "node.key").mkdir()
    with pytest.raises(KeyFileError, match="cannot read key file"):
        load_key(tmp_path / "node.key")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a key at all",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        os.urandom(64),
    ],
    ids=["empty", "text", "bad-base64-body", "random"],
)
def test_corrupt_key_file_fails_clearly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "node.key"
    path.write_bytes(content)
    with pytest.raises(KeyFileError, match="is corrupt or not a PEM private key"):
        load_key(path)


def test_truncated_key_file_fails_clearly(tmp_path: Path) -> None:
    save_key(SigningKey(b"\x05" * 32), tmp_path / "node.key")
    data = (tmp_path / "node.key").read_bytes()
    (tmp_path / "cut.key").write_bytes(data[: len(data) // 2])
    with pytest.raises(KeyFileError, match="corrupt"):
        load_key(tmp_path / "cut.key")


def test_non_ed25519_key_file_fails_clearly(tmp_path: Path) -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "node.key"
    path.write_bytes(pem)
    with pytest.raises(KeyFileError, match="does not hold an Ed25519 key"):
        load_key(path)
