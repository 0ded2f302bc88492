"""HTTP signatures as Mastodon makes and checks them (draft-cavage-http-signatures-12,
rsa-sha256), through apsig; this module adds the rules apsig leaves to its caller.

Signing: POSTs sign (request-target), host, date and digest; GETs (request-target),
host and date. Checking: the Signature header must cover those same parts, the Date
must be within the window on the node's clock (apsig reads the system clock, so its
own window is left wide and ours decides), and the Digest must be the body's SHA-256.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

# Mastodon's window: a signed request older or newer than this is refused.
DATE_WINDOW_S = 300
REQUIRED_POST = ("(request-target)", "host", "date", "digest")
REQUIRED_GET = ("(request-target)", "host", "date")
_PARAM = re.compile(r'\s*([a-zA-Z]+)="([^"]*)"\s*')


class SignatureRefused(Exception):
    """The request's signature does not stand; the message says why (for logs)."""


@dataclass(frozen=True, slots=True)
class SignatureHeader:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: str


def digest_of(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def digest_matches(header: str, body: bytes) -> bool:
    """Whether a Digest header holds the body's SHA-256 (RFC 3230: algorithm names are
    case-insensitive, and several may be listed)."""
    expected = digest_of(body).split("=", 1)[1]
    for part in header.split(","):
        algorithm, _, value = part.strip().partition("=")
        if algorithm.lower() == "sha-256" and value == expected:
            return True
    return False


def http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def sign(
    key: rsa.RSAPrivateKey,
    key_id: str,
    method: str,
    url: str,
    body: bytes | None,
    now_s: float,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Headers for a signed request: Host, Date, Digest (with a body) and Signature."""
    headers = {"date": http_date(now_s), "host": urlsplit(url).netloc, **(extra or {})}
    if body is not None:
        headers["digest"] = digest_of(body)
    signed = list(REQUIRED_POST if body is not None else REQUIRED_GET)
    # Imported at first use: apsig brings pyld, lxml and requests with it, about 15 MB
    # of a node's memory that a hub with no fediverse followers never needs.
    from apsig.draft.sign import Signer

    made = Signer(
        headers=headers,
        private_key=key,
        method=method,
        url=url,
        key_id=key_id,
        body=body or b"",
        signed_headers=signed,
    ).sign()
    made.pop("Authorization", None)
    return {k: v for k, v in made.items()}


def parse_signature(value: str) -> SignatureHeader:
    """The Signature header's parameters; refused if a required one is missing."""
    params: dict[str, str] = {}
    for part in value.split(","):
        match = _PARAM.fullmatch(part)
        if not match:
            raise SignatureRefused("malformed Signature header")
        params[match.group(1)] = match.group(2)
    if "keyId" not in params or "signature" not in params:
        raise SignatureRefused("the Signature header names no key or no signature")
    return SignatureHeader(
        key_id=params["keyId"],
        algorithm=params.get("algorithm", "rsa-sha256"),
        headers=tuple(params.get("headers", "date").lower().split()),
        signature=params["signature"],
    )


def check_request(
    public_pem: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    now_s: float,
) -> SignatureHeader:
    """Check a received request's signature with `public_pem`; raise SignatureRefused."""
    lowered = {k.lower(): v for k, v in headers.items()}
    parsed = parse_signature(lowered.get("signature", ""))
    if parsed.algorithm not in ("rsa-sha256", "hs2019"):
        raise SignatureRefused(f"algorithm {parsed.algorithm} is not accepted")
    required = REQUIRED_POST if method.upper() == "POST" else REQUIRED_GET
    missing = [h for h in required if h not in parsed.headers]
    if missing:
        raise SignatureRefused(f"the signature does not cover {', '.join(missing)}")
    absent = [h for h in parsed.headers if h != "(request-target)" and h not in lowered]
    if absent:
        raise SignatureRefused(f"signed headers not sent: {', '.join(absent)}")
    when = email.utils.parsedate_to_datetime(lowered["date"]) if "date" in lowered else None
    if when is None or abs(when.timestamp() - now_s) > DATE_WINDOW_S:
        raise SignatureRefused("the Date is outside the window")
    if method.upper() == "POST" and not digest_matches(lowered.get("digest", ""), body):
        raise SignatureRefused("the Digest is not the body's")
    # apsig 0.6 knows "hs2019" only as rsa-sha256; present it so.
    lowered["signature"] = lowered["signature"].replace(
        'algorithm="hs2019"', 'algorithm="rsa-sha256"'
    )
    if 'algorithm="' not in lowered["signature"]:
        lowered["signature"] += ',algorithm="rsa-sha256"'
    from apsig.draft.verify import Verifier  # at first use, as in sign()
    from apsig.exceptions import VerificationFailedError

    try:
        Verifier(
            public_pem=public_pem,
            method=method,
            url=path,
            headers=lowered,
            # The digest was checked above, the way Mastodon does (any case of
            # "SHA-256", among others); apsig's own check wants one exact spelling.
            body=b"",
            # Our window above decided on the node's clock; apsig's own reads the system.
            clock_skew=10**9,
        ).verify(raise_on_fail=True)
    except (VerificationFailedError, ValueError, KeyError) as exc:
        raise SignatureRefused(f"the signature does not verify: {exc}") from exc
    except Exception as exc:  # apsig's own errors for unknown algorithms and the like
        raise SignatureRefused(f"the signature does not verify: {exc}") from exc
    return parsed
