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

import functools

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


# The prime order of the base point's subgroup (RFC 8032 §5.1: L).
_L = 2**252 + 27742317777372353535851937790883648493

_Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z


def _add(p: _Point, q: _Point) -> _Point:
    # RFC 8032 §5.1.4 addition in extended coordinates: no field inversions.
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P


def _multiply(scalar: int, p: _Point) -> _Point:
    result: _Point = (0, 1, 1, 0)  # the identity
    while scalar:
        if scalar & 1:
            result = _add(result, p)
        p = _add(p, p)
        scalar >>= 1
    return result


def _is_identity(p: _Point) -> bool:
    return p[0] % _P == 0 and (p[1] - p[2]) % _P == 0


def check_public_key(key: bytes) -> None:
    """Raise BadPublicKey unless `key` is a canonical encoding of a point of prime order L."""
    if len(key) != PUBLIC_KEY_SIZE:
        raise BadPublicKey(f"public key must be {PUBLIC_KEY_SIZE} bytes, got {len(key)}")
    problem = _key_problem(bytes(key))
    if problem is not None:
        raise BadPublicKey(problem)


@functools.lru_cache(maxsize=4096)
def _key_problem(key: bytes) -> str | None:
    # libsodium asks the same question (canonical, on the curve, of order L; a test
    # holds the two to agreeing) in microseconds, where the pure check costs about a
    # millisecond and a half: a new node catching up from 100 origins spent a fifth
    # of its time here. The pure check stays the rule, and names what is wrong with
    # a key refused. Cached: the same few peer keys sign every request.
    if nacl.bindings.crypto_core_ed25519_is_valid_point(key):
        return None
    return curve_problem(key)


def curve_problem(key: bytes) -> str | None:
    """What makes 32 bytes not a usable public key (PROTOCOL.md §4.2), or None; pure Python."""
    n = int.from_bytes(key, "little")
    y = n & ((1 << 255) - 1)
    sign = n >> 255
    if y >= _P:
        return "public key is not canonical (y >= p)"
    x = _recover_x(y, sign)
    if x is None:
        if sign and _recover_x(y, 0) == 0:
            return "public key is not canonical (x = 0 with sign bit set)"
        return "public key is not a point on the curve"
    point: _Point = (x, y, 1, x * y % _P)
    # A point P has small order iff [8]P is the identity (0, 1).
    if _is_identity(_multiply(8, point)):
        return "public key has small order"
    # Otherwise it has order L or 2L, 4L, 8L (a low-order component added). Every
    # key a real Ed25519 implementation makes has order L; the others are refused
    # so that no verifier's handling of the cofactor can matter (PROTOCOL.md §4.2).
    if not _is_identity(_multiply(_L, point)):
        return "public key is not in the prime-order subgroup (mixed order)"
    return None


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
