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

The primitives are libsodium's (PyNaCl, which signs and verifies too), and
`cryptography` is imported only where libsodium lacks one: AES-GCM on a CPU without
AES instructions (a Raspberry Pi 4). That library carries its own OpenSSL, which
took 9 MB of every idle node's memory. Both give the same bytes, so values sealed
by either open with the other (tests/unit/test_sealing.py holds vectors).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from nacl import bindings as sodium
from nacl.exceptions import CryptoError as SodiumError
from nacl.exceptions import UnavailableError

from crypto.errors import CryptoError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
    return _hkdf_sha256(data_key, b"hubnet " + label)


def _hkdf_sha256(key: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) with no salt, for a 32-byte key: every key made here is
    the hash's own length, so extract and expand are one HMAC each."""
    pseudorandom = hmac.new(bytes(32), key, "sha256").digest()
    return hmac.new(pseudorandom, info + b"\x01", "sha256").digest()


class _AesGcm:
    """AES-256-GCM under one key, with 12-byte nonces and the column as associated data."""

    __slots__ = ("_key", "_openssl")

    def __init__(self, key: bytes):
        self._key = key
        self._openssl: AESGCM | None = None  # made on first use, where libsodium has no AES

    def encrypt(self, nonce: bytes, data: bytes, associated: bytes) -> bytes:
        if _sodium_has_aes():
            return sodium.crypto_aead_aes256gcm_encrypt(data, associated, nonce, self._key)
        return self._fallback().encrypt(nonce, data, associated)

    def decrypt(self, nonce: bytes, sealed: bytes, associated: bytes) -> bytes:
        """The data; SealError (without saying which) if the key, nonce, associated
        data or any byte is not what sealed it."""
        if _sodium_has_aes():
            try:
                return sodium.crypto_aead_aes256gcm_decrypt(sealed, associated, nonce, self._key)
            except SodiumError as exc:
                raise SealError("does not open") from exc
        from cryptography.exceptions import InvalidTag

        try:
            return self._fallback().decrypt(nonce, sealed, associated)
        except InvalidTag as exc:
            raise SealError("does not open") from exc

    def _fallback(self) -> AESGCM:
        if self._openssl is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._openssl = AESGCM(self._key)
        return self._openssl


@cache
def _sodium_has_aes() -> bool:
    """Whether this CPU runs libsodium's AES-GCM (it needs AES instructions)."""
    try:
        sodium.crypto_aead_aes256gcm_encrypt(b"", b"", bytes(NONCE_BYTES), bytes(KEY_BYTES))
    except UnavailableError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class DataKey:
    """The keys made from one data key, made once when a node is unlocked."""

    _aead: _AesGcm
    _index_key: bytes
    _nonce_key: bytes
    _private: bytes  # X25519, clamped by libsodium when used

    @classmethod
    def from_bytes(cls, data_key: bytes) -> DataKey:
        if len(data_key) != KEY_BYTES:
            raise SealError(f"a data key is {KEY_BYTES} bytes, not {len(data_key)}")
        return cls(
            _AesGcm(_subkey(data_key, b"seal v1")),
            _subkey(data_key, b"blind index v1"),
            _subkey(data_key, b"stable nonce v1"),
            _subkey(data_key, b"sealed to key v1"),
        )

    def public_key(self) -> bytes:
        """What `seal_to` seals with while the data key is not in memory."""
        return sodium.crypto_scalarmult_base(self._private)

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
        except SealError as exc:
            raise SealError(f"a value of {column} does not open with this key") from exc
        return opened.decode()

    def _unseal_to_key(self, column: str, sealed: bytes) -> str:
        if len(sealed) < 1 + KEY_BYTES + NONCE_BYTES + 16:
            raise SealError(f"not a sealed value of {column}")
        ephemeral = sealed[1 : 1 + KEY_BYTES]
        nonce = sealed[1 + KEY_BYTES : 1 + KEY_BYTES + NONCE_BYTES]
        try:
            shared = _exchange(self._private, ephemeral)
            key = _to_key_aead(shared, ephemeral, self.public_key())
            opened = key.decrypt(nonce, sealed[1 + KEY_BYTES + NONCE_BYTES :], column.encode())
        except SealError as exc:
            raise SealError(f"a value of {column} does not open with this key") from exc
        return opened.decode()

    def blind_index(self, email: str) -> bytes:
        """What finds an account by its email without storing the email: an HMAC of the
        address as the node compares addresses (Unicode NFKC, case-folded, trimmed)."""
        normal = unicodedata.normalize("NFKC", email).strip().casefold()
        return hmac.new(self._index_key, normal.encode(), "sha256").digest()


def _exchange(private: bytes, public: bytes) -> bytes:
    """X25519's shared secret; SealError for a public key of low order (all zeros)."""
    try:
        return sodium.crypto_scalarmult(private, public)
    except SodiumError as exc:
        raise SealError("not a usable public key") from exc


def _to_key_aead(shared: bytes, ephemeral: bytes, public: bytes) -> _AesGcm:
    return _AesGcm(_hkdf_sha256(shared, b"hubnet sealed to key v1" + ephemeral + public))


def seal_to(public: bytes, column: str, value: str) -> bytes:
    """`value` sealed for `column` to a node's public key (`DataKey.public_key`): for
    writing while the data key is not in memory; only the data key opens it."""
    ephemeral = os.urandom(KEY_BYTES)
    ephemeral_public = sodium.crypto_scalarmult_base(ephemeral)
    shared = _exchange(ephemeral, public)
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
    return bytes([VERSION]) + nonce + _AesGcm(kek).encrypt(nonce, data_key, _WRAP_LABEL)


def unwrap(kek: bytes, wrapped: bytes) -> bytes:
    """The data key `wrap` sealed; SealError if `kek` is not the key it was wrapped under."""
    if len(kek) != KEY_BYTES or len(wrapped) < 1 + NONCE_BYTES + 16 or wrapped[0] != VERSION:
        raise SealError("that key does not unlock this hub")
    nonce, sealed = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    try:
        return _AesGcm(kek).decrypt(nonce, sealed, _WRAP_LABEL)
    except SealError as exc:
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
    # What scrypt holds at once (RFC 7914: 128 r (N + p + 2) bytes), and a MiB to
    # spare: hashlib refuses more than its maxmem, 32 MiB unless told.
    needed = 128 * params.r * (params.n + params.p + 2) + 2**20
    return hashlib.scrypt(
        normal, salt=params.salt, n=params.n, r=params.r, p=params.p, maxmem=needed, dklen=KEY_BYTES
    )
