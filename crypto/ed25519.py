"""Ed25519 signing and verification, and the public-key checks libraries skip.

Verification uses libsodium (PyNaCl). Measured on the project's 2-core machine
(tests/benchmarks): libsodium verifies about twice as fast as the OpenSSL-backed
verifier in cryptography, and its calls release the GIL, so a batch split across
threads uses every core. libsodium also refuses non-canonical signatures (S >= L)
and small-order R.

Whatever library verifies, a public key is checked by `check_public_key` when it
is first seen: OpenSSL's verifier accepts a forged signature under a small-order
key for any message, so the node must never trust such a key in the first place.
"""

from __future__ import annotations

import nacl.bindings
import nacl.exceptions
import nacl.signing

from crypto.errors import BadPublicKey

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
SEED_SIZE = 32

# Curve25519 field and twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 (RFC 8032 §5.1).
_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y: int, sign: int) -> int | None:
    """RFC 8032 §5.1.3 step 2-4: the x for y with the given sign bit, or None."""
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x2 = u * pow(v, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


def _double(x: int, y: int, z: int) -> tuple[int, int, int]:
    # RFC 8032 §5.1.4 doubling in projective coordinates: no field inversions.
    a = x * x % _P
    b = y * y % _P
    c = 2 * z * z % _P
    h = a + b
    e = h - (x + y) * (x + y)
    g = a - b
    f = c + g
    return e * f % _P, g * h % _P, f * g % _P


def check_public_key(key: bytes) -> None:
    """Raise BadPublicKey unless `key` is a canonical encoding of a point of large order."""
    if len(key) != PUBLIC_KEY_SIZE:
        raise BadPublicKey(f"public key must be {PUBLIC_KEY_SIZE} bytes, got {len(key)}")
    n = int.from_bytes(key, "little")
    y = n & ((1 << 255) - 1)
    sign = n >> 255
    if y >= _P:
        raise BadPublicKey("public key is not canonical (y >= p)")
    x = _recover_x(y, sign)
    if x is None:
        if sign and _recover_x(y, 0) == 0:
            raise BadPublicKey("public key is not canonical (x = 0 with sign bit set)")
        raise BadPublicKey("public key is not a point on the curve")
    # A point P has small order iff [8]P is the identity (0, 1).
    px, py, pz = x, y, 1
    for _ in range(3):
        px, py, pz = _double(px, py, pz)
    if px == 0 and py == pz:
        raise BadPublicKey("public key has small order")


class SigningKey:
    """An Ed25519 private key. Holds the 32-byte seed; never printed."""

    __slots__ = ("_key",)

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_SIZE:
            raise ValueError(f"Ed25519 seed must be {SEED_SIZE} bytes")
        self._key = nacl.signing.SigningKey(seed)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def seed(self) -> bytes:
        return bytes(self._key)

    @property
    def public_key(self) -> bytes:
        return bytes(self._key.verify_key)

    def sign(self, data: bytes) -> bytes:
        signature: bytes = self._key.sign(data).signature
        return signature

    def __repr__(self) -> str:
        return f"SigningKey(public_key={self.public_key.hex()})"


def verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
    """True if `signature` is a valid Ed25519 signature of `data` under `public_key`.

    Releases the GIL while libsodium works, so callers may run batches in threads.
    The key must already have passed `check_public_key`.
    """
    if len(signature) != SIGNATURE_SIZE or len(public_key) != PUBLIC_KEY_SIZE:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + data, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True
