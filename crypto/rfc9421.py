"""The http-message-signatures library's side of crypto/httpsig.py: the classes it
calls back, for hubnet's profile of RFC 9421.

Apart from crypto/httpsig.py so that the library (and http_sf, decimal with it) is
imported with the first signed request made or checked, not when the node starts: a
hub with no peers never needs it (docs/OPERATIONS.md, "Memory and processes").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    HTTPSignatureKeyResolver,
    InvalidSignature,
)

from crypto.ed25519 import verify
from crypto.errors import RequestSignatureError
from crypto.httpsig import ALGORITHM, check_profile, sender_key

__all__ = [
    "ContentDigest",
    "Ed25519",
    "HTTPMessageSignaturesException",
    "HTTPMessageSigner",
    "InvalidSignature",
    "Verifier",
]


class Ed25519(HTTPSignatureAlgorithm):
    """Ed25519 verified by libsodium (crypto.ed25519.verify).

    Signing goes through prepare()/apply() with our own SigningKey, so this class
    only verifies. Its key has passed check_public_key in sender_key.
    """

    algorithm_id = ALGORITHM

    def __init__(self, public_key: bytes | None = None, private_key: object = None) -> None:
        self._public_key = public_key

    def verify(self, signature: bytes, message: bytes) -> None:
        if self._public_key is None or not verify(self._public_key, message, signature):
            raise RequestSignatureError("signature does not verify")


class ResolvedKey(HTTPSignatureKeyResolver):
    """Hands the library the key that Verifier's profile check resolved.

    The library wraps whatever its resolver call raises in InvalidSignature, which
    would hide a bug in the caller's resolve_key as the peer's fault; so the key
    is resolved earlier, where exceptions pass through unchanged.
    """

    key: bytes | None = None

    def resolve_public_key(self, key_id: str) -> bytes | None:
        return self.key


class Verifier(HTTPMessageVerifier):
    """The library's verifier with hubnet's profile and an injected clock."""

    def __init__(
        self,
        resolve_key: Callable[[str], bytes],
        *,
        now: int,
        max_age: int,
        query_must_be_covered: bool,
    ) -> None:
        self._resolved = ResolvedKey()
        super().__init__(signature_algorithm=Ed25519, key_resolver=self._resolved)
        self._resolve_key = resolve_key
        self._now = now
        self._max_age = max_age
        self._query_must_be_covered = query_must_be_covered

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        # The library calls this hook for the one signature first, outside its
        # exception wrapping. Its own version reads the wall clock; hubnet's time
        # is a parameter, so the whole profile is checked here instead, and the
        # sender's key resolved.
        params = dict(sig_input.params)
        covered = [(str(item.value), dict(item.params)) for item in sig_input]
        check_profile(
            params,
            covered,
            now=self._now,
            max_age=self._max_age,
            query_must_be_covered=self._query_must_be_covered,
        )
        self._resolved.key = sender_key(str(params["keyid"]), self._resolve_key)
