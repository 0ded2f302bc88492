"""Signed node-to-node HTTP requests: HTTP Message Signatures (RFC 9421) with Ed25519.

hubnet's profile of RFC 9421 (PROTOCOL.md §10, "Signed requests"):

- exactly one signature, covering "@method", "@path", "@query" (only when the
  URL has a non-empty query) and "content-digest", in that order;
- parameters created, keyid (the sender's node id), alg="ed25519", nonce and
  tag="hubnet", and no others;
- Content-Digest (RFC 9530, sha-256) is always sent, even for an empty body;
- a receiver accepts `created` from `now - max_age` to `now + 60` seconds.

The `http-message-signatures` library builds the signature base and the
Signature-Input and Signature fields; this module sets the profile, supplies the
time (no clock reads here), and verifies with libsodium through crypto.ed25519
rather than the library's OpenSSL-backed Ed25519 class. The classes the library
calls back are in crypto/rfc9421.py, imported with the first request signed or
checked. Replay protection (remembering nonces) is the caller's: it gets the nonce
in SignedRequest.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from crypto.ed25519 import SigningKey, check_public_key
from crypto.errors import BadNodeId, BadPublicKey, RequestSignatureError
from crypto.nodeid import NodeId, parse_node_id, public_key_from_node_id

TAG = "hubnet"
ALGORITHM = "ed25519"
# The Signature dictionary key. Labels are not signed: receivers ignore them.
LABEL = "hubnet"
MAX_FUTURE_SKEW = 60  # seconds a `created` may lie ahead of the receiver's clock
MAX_NONCE_LENGTH = 64
NONCE_BYTES = 16
REQUIRED_COMPONENTS = ("@method", "@path", "content-digest")
ALLOWED_PARAMETERS = frozenset({"created", "keyid", "alg", "nonce", "tag"})
# The library needs an absolute URL; "@authority" is not covered, so a request
# target in origin form ("/path?query", as a server receives it) gets this one.
_PLACEHOLDER_ORIGIN = "http://hubnet.invalid"

__all__ = [
    "RequestSignatureError",
    "SignedRequest",
    "check_content_digest",
    "content_digest",
    "sign_request",
    "verify_request",
    "verify_request_headers",
]


@dataclass(frozen=True)
class SignedRequest:
    """What a verified request's signature says: who sent it, when, and its nonce."""

    key_id: NodeId
    created: int
    nonce: str


@dataclass
class _Request:
    """The request view the library reads: method, absolute URL and header fields."""

    method: str
    url: str
    headers: Mapping[str, str]  # a dict when signing: the library writes to it


class _Seconds(int):
    """A Unix time in whole seconds, passed where the library expects a datetime.

    `HTTPMessageSigner.prepare` only calls `created.timestamp()`; this stand-in
    answers that, so crypto/ takes time as a parameter and never imports datetime
    (tests/unit/test_purity.py).
    """

    def timestamp(self) -> float:
        return float(self)


def sender_key(key_id: str, resolve_key: Callable[[str], bytes]) -> bytes:
    """The sender's public key for `key_id` (a node id), checked before any verifier sees it."""
    try:
        parse_node_id(key_id)
    except BadNodeId as exc:
        raise RequestSignatureError("keyid is not a valid node id", str(exc)) from exc
    key = resolve_key(key_id)
    # DESIGN.md: small-order keys are refused before any verifier sees them,
    # whatever resolve_key returned.
    try:
        check_public_key(key)
    except BadPublicKey as exc:
        raise RequestSignatureError("sender's public key is unusable", str(exc)) from exc
    return key


def check_profile(
    params: Mapping[str, object],
    covered: list[tuple[str, dict[str, object]]],
    *,
    now: int,
    max_age: int,
    query_must_be_covered: bool,
) -> None:
    """Refuse a signature's parameters and covered components outside hubnet's profile."""
    unknown = sorted(set(params) - ALLOWED_PARAMETERS)
    if unknown:
        raise RequestSignatureError("signature has a parameter hubnet does not use", unknown[0])
    if params.get("tag") != TAG:
        raise RequestSignatureError("signature is not tagged hubnet")
    if params.get("alg") != ALGORITHM:
        raise RequestSignatureError("alg is not ed25519")
    if "keyid" not in params:
        raise RequestSignatureError("signature has no keyid")
    created = params.get("created")
    if not isinstance(created, int):
        raise RequestSignatureError("signature has no created time")
    if created < now - max_age:
        raise RequestSignatureError("signature is too old")
    if created > now + MAX_FUTURE_SKEW:
        raise RequestSignatureError("signature is created in the future")
    nonce = params.get("nonce")
    if not isinstance(nonce, str):
        raise RequestSignatureError("signature has no nonce")
    if not 0 < len(nonce) <= MAX_NONCE_LENGTH:
        raise RequestSignatureError(f"nonce is empty or longer than {MAX_NONCE_LENGTH} characters")
    # A component with parameters (";sf", ";key=…") is a different value: only
    # the plain component counts.
    plain = {name for name, component_params in covered if not component_params}
    required = REQUIRED_COMPONENTS + (("@query",) if query_must_be_covered else ())
    for name in required:
        if name not in plain:
            raise RequestSignatureError(f"signature does not cover {name}")


def _absolute(url: str) -> str:
    return _PLACEHOLDER_ORIGIN + url if url.startswith("/") else url


def _has_query(url: str) -> bool:
    # "/p?" has an empty query: "@query" would be "?", carrying nothing to protect.
    return urlsplit(url).query != ""


def _fields(headers: Mapping[str, str]) -> dict[str, str]:
    """Header fields by lower-case name, repeated lines joined as RFC 9110 §5.3 says."""
    lines: dict[str, list[str]] = {}
    for name, value in headers.items():
        lines.setdefault(name.lower(), []).append(value.strip(" \t"))
    return {name: ", ".join(values) for name, values in lines.items()}


def content_digest(body: bytes) -> str:
    """The Content-Digest field value (RFC 9530) for `body`: `sha-256=:<base64>:`."""
    from crypto import rfc9421  # the library, on first use (crypto/rfc9421.py says why)

    return rfc9421.ContentDigest.create(body)


def sign_request(
    key: SigningKey,
    key_id: str,
    method: str,
    url: str,
    body: bytes,
    created: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """The Content-Digest, Signature-Input and Signature headers for a request.

    `key_id` is the sender's node id; `url` is absolute or in origin form
    ("/path?query"); `created` is Unix time in seconds. A random 16-byte
    base64url nonce is made unless one is given. Raises ValueError for a method
    or URL the library cannot sign (our bug, not the peer's).
    """
    from crypto import rfc9421  # the library, on first use (crypto/rfc9421.py says why)

    target = _absolute(url)
    covered = ["@method", "@path", *(["@query"] if _has_query(target) else []), "content-digest"]
    request = _Request(method, target, {})
    signer = rfc9421.HTTPMessageSigner(signature_algorithm=rfc9421.Ed25519)
    try:
        prepared = signer.prepare(
            request,
            key_id=key_id,
            created=_Seconds(created),  # type: ignore[arg-type]  # see _Seconds
            nonce=secrets.token_urlsafe(NONCE_BYTES) if nonce is None else nonce,
            label=LABEL,
            tag=TAG,
            covered_component_ids=covered,
            body=body,  # adds Content-Digest to request.headers
        )
        signer.apply(request, prepared, key.sign(prepared.signature_base))
    except rfc9421.HTTPMessageSignaturesException as exc:
        raise ValueError(f"cannot sign request: {exc}") from exc
    return dict(request.headers)


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: int,
    max_age: int,
    resolve_key: Callable[[str], bytes] = public_key_from_node_id,
) -> SignedRequest:
    """Check a received request's signature; raise RequestSignatureError to refuse it.

    `url` is the request's absolute URL or its target in origin form
    ("/path?query") exactly as received: percent-encoding is signed as sent.
    Header names are matched without regard to case. `resolve_key(key_id)`
    returns the sender's key in force or raises RequestSignatureError (for
    example for a blocked node). The default reads the key inside the node id,
    which is right only until the node rotates its key (PROTOCOL.md §7).
    """
    _required_headers(headers)
    # Checked before the signature: a wrong digest is cheap to find and says more.
    check_content_digest(headers, body)
    return verify_request_headers(method, url, headers, now, max_age, resolve_key)


def _required_headers(headers: Mapping[str, str]) -> dict[str, str]:
    fields = _fields(headers)
    for name in ("Signature-Input", "Signature", "Content-Digest"):
        if name.lower() not in fields:
            raise RequestSignatureError(f"missing {name} header")
    return fields


def check_content_digest(headers: Mapping[str, str], body: bytes) -> None:
    """Refuse `body` unless it matches the request's Content-Digest header."""
    fields = _required_headers(headers)
    if fields["content-digest"] != content_digest(body):
        from crypto import rfc9421  # the library, on first use (crypto/rfc9421.py says why)

        try:
            rfc9421.ContentDigest.verify(fields["content-digest"], body)
        except rfc9421.InvalidSignature as exc:
            raise RequestSignatureError("content-digest does not match the body", str(exc)) from exc


def verify_request_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    now: int,
    max_age: int,
    resolve_key: Callable[[str], bytes] = public_key_from_node_id,
) -> SignedRequest:
    """Everything `verify_request` checks except that the body matches Content-Digest.

    A server calls this before it reads the body (so a stranger's or a forger's
    body is never read), then `check_content_digest` once the body is in.
    The signature covers the Content-Digest header, so the two together check
    exactly what `verify_request` does.
    """
    _required_headers(headers)
    from crypto import rfc9421  # the library, on first use (crypto/rfc9421.py says why)

    target = _absolute(url)
    verifier = rfc9421.Verifier(
        resolve_key, now=now, max_age=max_age, query_must_be_covered=_has_query(target)
    )
    try:
        # No expect_tag: the library then refuses a request with more than one
        # signature, and the profile check gives the clear reason for a wrong tag.
        # max_age=None: our hook checks the time window against `now`.
        # No body: the library checks only the headers; the caller checks the digest.
        results = verifier.verify(_Request(method, target, headers), max_age=None)
    except rfc9421.InvalidSignature as exc:
        cause = exc.__cause__
        if isinstance(cause, RequestSignatureError):  # raised by rfc9421.Ed25519.verify
            raise cause from cause.__cause__
        raise RequestSignatureError("signed request is malformed", str(exc)) from exc
    except rfc9421.HTTPMessageSignaturesException as exc:
        raise RequestSignatureError("signed request is malformed", str(exc)) from exc
    params = results[0].parameters
    return SignedRequest(
        key_id=NodeId(str(params["keyid"])),
        created=int(params["created"]),
        nonce=str(params["nonce"]),
    )
