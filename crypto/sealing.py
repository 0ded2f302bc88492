"""Members' personal data sealed at rest: AES-GCM under a node's data key.

Pure: bytes and strings in, bytes and strings out (randomness aside, as in
crypto/ed25519.py). The node keeps one random 32-byte data key; this module derives
from it (HKDF-SHA256, one label each) the AES-GCM key that seals values, the HMAC
key of the blind index that finds an account by its email, and the key that makes
the nonce of a stable seal. The data key itself is only ever stored wrapped (`wrap`)
under a key-encryption key: a key file's 32 bytes, or one made from a passphrase
with scrypt (`passphrase_kek`). docs/THREAT_MODEL.md, "Someone who steals a node's
disk".

A sealed value is VERSION (one byte) + a 12-byte nonce + the AES-GCM ciphertext and
tag. The column it belongs to ("members.email") is its associated data, so a value
moved to another column, or to another node, does not open.

While the hub is locked some values must still be written (a notice raised by a
message from another hub, the email that goes with it): they are sealed to the
node's public key instead (`seal_to`), an X25519 key pair made from the data key, so
only the data key opens them: TO_KEY (one byte) + the ephemeral public key + a nonce +
the AES-GCM ciphertext under HKDF of the shared secret.
"""

from __future__ import annotations

import hmac
import os
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from crypto.errors import CryptoError

VERSION = 1
TO_KEY = 2
KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
# scrypt's cost for a passphrase: 2^17 x 8 x 128 bytes = 128 MiB and about half a
# second on a Raspberry Pi 4, once per unlock. Stored with each wrap, so it may
# rise later without stranding older ones.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_WRAP_LABEL = b"hubnet data key"


class SealError(CryptoError):
    """A sealed value or wrapped key that does not open: the wrong key or column,
    or bytes that were changed."""


def new_key() -> bytes:
    """A fresh random data key, or key file."""
    return os.urandom(KEY_BYTES)


def _subkey(data_key: bytes, label: bytes) -> bytes:
    return HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=b"hubnet " + label).derive(data_key)


@dataclass(frozen=True, slots=True)
class DataKey:
    """The keys made from one data key, made once when a node is unlocked."""

    _aead: AESGCM
    _index_key: bytes
    _nonce_key: bytes
    _private: X25519PrivateKey

    @classmethod
    def from_bytes(cls, data_key: bytes) -> DataKey:
        if len(data_key) != KEY_BYTES:
            raise SealError(f"a data key is {KEY_BYTES} bytes, not {len(data_key)}")
        return cls(
            AESGCM(_subkey(data_key, b"seal v1")),
            _subkey(data_key, b"blind index v1"),
            _subkey(data_key, b"stable nonce v1"),
            X25519PrivateKey.from_private_bytes(_subkey(data_key, b"sealed to key v1")),
        )

    def public_key(self) -> bytes:
        """What `seal_to` seals with while the data key is not in memory."""
        return self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def seal(self, column: str, value: str) -> bytes:
        """`value` sealed for `column` under a random nonce."""
        return self._seal(os.urandom(NONCE_BYTES), column, value)

    def seal_stable(self, column: str, value: str) -> bytes:
        """`value` sealed for `column` the same way every time: the nonce is an HMAC of
        the column and the value (a synthetic IV), so one nonce never seals two
        different values. For the ballot box, whose bytes must depend on nothing but
        what it holds (node/store/ballots.py); it shows only that two boxes are equal."""
        mac = hmac.new(self._nonce_key, column.encode() + b"\0" + value.encode(), "sha256")
        return self._seal(mac.digest()[:NONCE_BYTES], column, value)

    def _seal(self, nonce: bytes, column: str, value: str) -> bytes:
        sealed = self._aead.encrypt(nonce, value.encode(), column.encode())
        return bytes([VERSION]) + nonce + sealed

    def unseal(self, column: str, sealed: bytes) -> str:
        """The value `seal` or `seal_to` sealed for `column`; SealError if it was not,
        or was changed."""
        if sealed[:1] == bytes([TO_KEY]):
            return self._unseal_to_key(column, sealed)
        if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[0] != VERSION:
            raise SealError(f"not a sealed value of {column}")
        nonce = sealed[1 : 1 + NONCE_BYTES]
        try:
            opened = self._aead.decrypt(nonce, sealed[1 + NONCE_BYTES :], column.encode())
        except InvalidTag as exc:
            raise SealError(f"a value of {column} does not open with this key") from exc
        return opened.decode()

    def _unseal_to_key(self, column: str, sealed: bytes) -> str:
        if len(sealed) < 1 + KEY_BYTES + NONCE_BYTES + 16:
            raise SealError(f"not a sealed value of {column}")
        ephemeral = sealed[1 : 1 + KEY_BYTES]
        nonce = sealed[1 + KEY_BYTES : 1 + KEY_BYTES + NONCE_BYTES]
        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
            key = _to_key_aead(shared, ephemeral, self.public_key())
            opened = key.decrypt(nonce, sealed[1 + KEY_BYTES + NONCE_BYTES :], column.encode())
        except (InvalidTag, ValueError) as exc:
            raise SealError(f"a value of {column} does not open with this key") from exc
        return opened.decode()

    def blind_index(self, email: str) -> bytes:
        """What finds an account by its email without storing the email: an HMAC of the
        address as the node compares addresses (Unicode NFKC, case-folded, trimmed)."""
        normal = unicodedata.normalize("NFKC", email).strip().casefold()
        return hmac.new(self._index_key, normal.encode(), "sha256").digest()


def _to_key_aead(shared: bytes, ephemeral: bytes, public: bytes) -> AESGCM:
    info = b"hubnet sealed to key v1" + ephemeral + public
    return AESGCM(HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=info).derive(shared))


def seal_to(public: bytes, column: str, value: str) -> bytes:
    """`value` sealed for `column` to a node's public key (`DataKey.public_key`): for
    writing while the data key is not in memory; only the data key opens it."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    nonce = os.urandom(NONCE_BYTES)
    sealed = _to_key_aead(shared, ephemeral_public, public).encrypt(
        nonce, value.encode(), column.encode()
    )
    return bytes([TO_KEY]) + ephemeral_public + nonce + sealed


def wrap(kek: bytes, data_key: bytes) -> bytes:
    """`data_key` sealed under a key-encryption key (a key file's bytes, or a
    passphrase's scrypt)."""
    if len(kek) != KEY_BYTES:
        raise SealError(f"a key file holds {KEY_BYTES} bytes, not {len(kek)}")
    nonce = os.urandom(NONCE_BYTES)
    return bytes([VERSION]) + nonce + AESGCM(kek).encrypt(nonce, data_key, _WRAP_LABEL)


def unwrap(kek: bytes, wrapped: bytes) -> bytes:
    """The data key `wrap` sealed; SealError if `kek` is not the key it was wrapped under."""
    if len(kek) != KEY_BYTES or len(wrapped) < 1 + NONCE_BYTES + 16 or wrapped[0] != VERSION:
        raise SealError("that key does not unlock this hub")
    nonce, sealed = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    try:
        return AESGCM(kek).decrypt(nonce, sealed, _WRAP_LABEL)
    except InvalidTag as exc:
        raise SealError("that key does not unlock this hub") from exc


@dataclass(frozen=True, slots=True)
class ScryptParams:
    salt: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def fresh(cls) -> ScryptParams:
        return cls(os.urandom(SALT_BYTES))


def passphrase_kek(passphrase: str, params: ScryptParams) -> bytes:
    """The key-encryption key a passphrase stands for (scrypt, RFC 7914)."""
    normal = unicodedata.normalize("NFKC", passphrase).encode()
    kdf = Scrypt(salt=params.salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(normal)
