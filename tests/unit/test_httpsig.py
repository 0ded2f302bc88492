"""crypto/httpsig.py: RFC 9421 request signatures in hubnet's profile, and the worked example."""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from http_message_signatures import HTTPMessageSigner, HTTPSignatureAlgorithm
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.ed25519 import SigningKey, verify
from crypto.errors import CryptoError, RequestSignatureError
from crypto.httpsig import (
    SignedRequest,
    content_digest,
    sign_request,
    verify_request,
)
from crypto.nodeid import node_id_from_public_key

ROOT = Path(__file__).resolve().parents[2]
KEY_A = SigningKey(bytes([1]) * 32)
KEY_B = SigningKey(bytes([2]) * 32)
ID_A = node_id_from_public_key(KEY_A.public_key)
ID_B = node_id_from_public_key(KEY_B.public_key)
URL = "https://hub-b.example/federation/v1/messages"
BODY = b"\x81\xa4kind\xa5hello"
T = 1_000_000
NONCE = "AAECAwQFBgcICQoLDA0ODw"
SMALL_ORDER_KEY = bytes([1]) + bytes(31)  # the identity point


def _sign(
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    created: int = T,
    key: SigningKey = KEY_A,
    key_id: str = ID_A,
    nonce: str | None = NONCE,
) -> dict[str, str]:
    return sign_request(key, key_id, method, url, body, created, nonce)


def _verify(
    headers: Mapping[str, str],
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    now: int = T + 5,
    max_age: int = 60,
    **kwargs: Any,
) -> SignedRequest:
    return verify_request(method, url, headers, body, now, max_age, **kwargs)


def _refusal(headers: Mapping[str, str], **kwargs: Any) -> str:
    with pytest.raises(RequestSignatureError) as info:
        _verify(headers, **kwargs)
    return info.value.reason


# A signer built on the library directly, to make requests outside hubnet's profile
# that are otherwise correctly signed.


class _Ed25519ByAnyName(HTTPSignatureAlgorithm):
    algorithm_id = "ed25519"

    def __init__(self, public_key: object = None, private_key: object = None) -> None:
        pass


class _Hmac(_Ed25519ByAnyName):
    algorithm_id = "hmac-sha256"


@dataclass
class _Request:
    method: str
    url: str
    headers: dict[str, str]


def _sign_outside_profile(
    covered: tuple[str, ...] = ("@method", "@path", "content-digest"),
    algorithm: type[HTTPSignatureAlgorithm] = _Ed25519ByAnyName,
    include_alg: bool = True,
    tag: str | None = "hubnet",
    nonce: str | None = NONCE,
    expires: int | None = None,
    key_id: str = ID_A,
) -> dict[str, str]:
    request = _Request("POST", URL, {"Content-Digest": content_digest(BODY)})
    signer = HTTPMessageSigner(signature_algorithm=algorithm)

    def instant(seconds: int) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)

    prepared = signer.prepare(
        request,
        key_id=key_id,
        created=instant(T),
        expires=None if expires is None else instant(expires),
        nonce=nonce,
        tag=tag,
        include_alg=include_alg,
        covered_component_ids=covered,
        use_existing_digest=True,
    )
    signer.apply(request, prepared, KEY_A.sign(prepared.signature_base))
    return request.headers


# Round trips


def test_post_with_body_round_trips() -> None:
    headers = _sign()
    assert set(headers) == {"Content-Digest", "Signature-Input", "Signature"}
    assert _verify(headers) == SignedRequest(key_id=ID_A, created=T, nonce=NONCE)


def test_get_without_body_round_trips_and_still_carries_a_digest() -> None:
    headers = _sign("GET", body=b"")
    assert headers["Content-Digest"] == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
    assert _verify(headers, method="GET", body=b"").key_id == ID_A


def test_url_with_query_covers_query_and_round_trips() -> None:
    url = URL + "?after=12&origin=x"
    headers = _sign("GET", url, b"")
    assert '("@method" "@path" "@query" "content-digest")' in headers["Signature-Input"]
    assert _verify(headers, method="GET", url=url, body=b"").created == T


def test_url_without_query_does_not_cover_query() -> None:
    assert '("@method" "@path" "content-digest")' in _sign()["Signature-Input"]


def test_signature_input_carries_the_profile_parameters() -> None:
    signature_input = _sign()["Signature-Input"]
    assert f';created={T};keyid="{ID_A}";alg="ed25519";nonce="{NONCE}";tag="hubnet"' in (
        signature_input
    )


def test_receiver_may_pass_the_target_in_origin_form() -> None:
    headers = _sign(url=URL + "?x=1")
    assert _verify(headers, url="/federation/v1/messages?x=1").key_id == ID_A


def test_authority_is_not_covered() -> None:
    # Behind a reverse proxy the receiver may see another host name.
    headers = _sign()
    assert _verify(headers, url="http://127.0.0.1:8080/federation/v1/messages").key_id == ID_A


def test_header_names_are_matched_without_regard_to_case() -> None:
    headers = _sign()
    assert _verify({name.lower(): value for name, value in headers.items()}).key_id == ID_A
    assert _verify({name.upper(): value for name, value in headers.items()}).key_id == ID_A


def test_a_random_nonce_is_made_when_none_is_given() -> None:
    first = _verify(_sign(nonce=None)).nonce
    second = _verify(_sign(nonce=None)).nonce
    assert first != second
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", first)  # 16 bytes, base64url, no padding


def test_content_digest_is_rfc_9530_sha_256() -> None:
    digest = base64.b64encode(
        bytes.fromhex("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    ).decode()
    assert content_digest(b"hello") == f"sha-256=:{digest}:"


def test_request_signature_error_is_a_crypto_error() -> None:
    assert issubclass(RequestSignatureError, CryptoError)


def test_signing_a_lower_case_method_is_a_local_error() -> None:
    with pytest.raises(ValueError, match="cannot sign request"):
        _sign("post")


# The time window


def test_signature_inside_max_age_verifies_and_outside_is_refused() -> None:
    headers = _sign(created=1000)
    assert _verify(headers, now=1030, max_age=60).created == 1000
    assert _verify(headers, now=1060, max_age=60).created == 1000
    assert _refusal(headers, now=1100, max_age=60) == "signature is too old"
    assert _refusal(headers, now=1061, max_age=60) == "signature is too old"


def test_signature_up_to_60_seconds_in_the_future_verifies() -> None:
    headers = _sign(created=1060)
    assert _verify(headers, now=1000).created == 1060
    assert _refusal(_sign(created=1061), now=1000) == "signature is created in the future"


def test_signature_without_created_is_refused() -> None:
    headers = _sign()
    headers["Signature-Input"] = headers["Signature-Input"].replace(f";created={T}", "")
    assert _refusal(headers) == "signature has no created time"


# Missing and malformed headers


@pytest.mark.parametrize("name", ["Signature", "Signature-Input", "Content-Digest"])
def test_missing_header_is_refused(name: str) -> None:
    headers = _sign()
    del headers[name]
    assert _refusal(headers) == f"missing {name} header"


def test_content_digest_not_matching_the_body_is_refused() -> None:
    headers = _sign()
    headers["Content-Digest"] = content_digest(b"other")
    assert _refusal(headers) == "content-digest does not match the body"


def test_unparseable_content_digest_is_refused() -> None:
    headers = _sign()
    headers["Content-Digest"] = "sha-256=not base64"
    assert _refusal(headers) == "content-digest does not match the body"


@pytest.mark.parametrize("name", ["Signature", "Signature-Input"])
@pytest.mark.parametrize("value", ["(((", "hubnet=", "hubnet=:not base64!:", 'hubnet="text"'])
def test_unparseable_signature_headers_are_refused(name: str, value: str) -> None:
    headers = _sign()
    headers[name] = value
    assert _refusal(headers) == "signed request is malformed"


def test_two_signatures_are_refused() -> None:
    headers = _sign()
    signature_input, signature = headers["Signature-Input"], headers["Signature"]
    headers["Signature-Input"] = f"{signature_input}, {signature_input.replace('hubnet=', 'x=', 1)}"
    headers["Signature"] = f"{signature}, {signature.replace('hubnet=', 'x=', 1)}"
    assert _refusal(headers) == "signed request is malformed"


# Outside the profile, though correctly signed


@pytest.mark.parametrize("missing", ["@method", "@path", "content-digest"])
def test_signature_not_covering_a_required_component_is_refused(missing: str) -> None:
    covered = tuple(c for c in ("@method", "@path", "content-digest") if c != missing)
    assert _refusal(_sign_outside_profile(covered)) == f"signature does not cover {missing}"


def test_query_on_a_request_signed_without_one_is_refused() -> None:
    assert _refusal(_sign(), url=URL + "?x=1") == "signature does not cover @query"


def test_component_with_parameters_does_not_count_as_covered() -> None:
    headers = _sign_outside_profile(("@method", "@path", '"content-digest";sf'))
    assert _refusal(headers) == "signature does not cover content-digest"


def test_extra_covered_components_are_allowed() -> None:
    headers = _sign_outside_profile(("@method", "@authority", "@path", "content-digest"))
    assert _verify(headers).key_id == ID_A


def test_alg_other_than_ed25519_is_refused() -> None:
    assert _refusal(_sign_outside_profile(algorithm=_Hmac)) == "alg is not ed25519"


def test_missing_alg_is_refused() -> None:
    assert _refusal(_sign_outside_profile(include_alg=False)) == "alg is not ed25519"


def test_missing_nonce_is_refused() -> None:
    assert _refusal(_sign_outside_profile(nonce=None)) == "signature has no nonce"


def test_nonce_longer_than_64_characters_is_refused() -> None:
    assert _verify(_sign(nonce="n" * 64)).nonce == "n" * 64
    reason = _refusal(_sign(nonce="n" * 65))
    assert reason == "nonce is empty or longer than 64 characters"


@pytest.mark.parametrize("tag", [None, "other"])
def test_signature_not_tagged_hubnet_is_refused(tag: str | None) -> None:
    assert _refusal(_sign_outside_profile(tag=tag)) == "signature is not tagged hubnet"


def test_parameters_outside_the_profile_are_refused() -> None:
    headers = _sign_outside_profile(expires=T + 30)
    assert _refusal(headers) == "signature has a parameter hubnet does not use"


def test_keyid_that_is_not_a_node_id_is_refused() -> None:
    assert _refusal(_sign(key_id="hub-a")) == "keyid is not a valid node id"
    mistyped = ID_A[:-1] + ("a" if ID_A[-1] != "a" else "b")
    assert _refusal(_sign(key_id=mistyped)) == "keyid is not a valid node id"


# Forgeries and tampering


def test_tampered_body_is_refused() -> None:
    headers = _sign()
    assert _refusal(headers, body=BODY + b"!") == "content-digest does not match the body"


def test_tampered_body_with_a_fresh_digest_is_refused() -> None:
    headers = _sign()
    headers["Content-Digest"] = content_digest(BODY + b"!")
    assert _refusal(headers, body=BODY + b"!") == "signature does not verify"


def test_tampered_path_is_refused() -> None:
    headers = _sign()
    assert _refusal(headers, url=URL.replace("messages", "heads")) == "signature does not verify"


def test_tampered_query_is_refused() -> None:
    headers = _sign(url=URL + "?after=1")
    assert _refusal(headers, url=URL + "?after=2") == "signature does not verify"


def test_tampered_method_is_refused() -> None:
    assert _refusal(_sign(), method="PUT") == "signature does not verify"


def test_tampered_parameter_is_refused() -> None:
    headers = _sign()
    headers["Signature-Input"] = headers["Signature-Input"].replace(NONCE, "fresh-nonce")
    assert _refusal(headers) == "signature does not verify"


def test_signature_from_another_key_is_refused() -> None:
    headers = _sign()
    headers["Signature"] = _sign(key=KEY_B, key_id=ID_A)["Signature"]
    assert _refusal(headers) == "signature does not verify"


def test_signing_under_another_nodes_id_is_refused() -> None:
    assert _refusal(_sign(key=KEY_A, key_id=ID_B)) == "signature does not verify"


def test_keyid_changed_to_another_node_is_refused() -> None:
    headers = _sign()
    headers["Signature-Input"] = headers["Signature-Input"].replace(ID_A, ID_B)
    assert _refusal(headers) == "signature does not verify"


def test_flipped_signature_bit_is_refused() -> None:
    headers = _sign()
    raw = bytearray(base64.b64decode(headers["Signature"].split(":")[1]))
    raw[10] ^= 1
    headers["Signature"] = f"hubnet=:{base64.b64encode(bytes(raw)).decode()}:"
    assert _refusal(headers) == "signature does not verify"


# Key resolution


def test_resolve_key_gets_the_keyid_and_its_refusal_is_passed_on() -> None:
    seen: list[str] = []

    def unknown(key_id: str) -> bytes:
        seen.append(key_id)
        raise RequestSignatureError("sender is blocked")

    assert _refusal(_sign(), resolve_key=unknown) == "sender is blocked"
    assert seen == [ID_A]


def test_a_bug_in_resolve_key_is_not_passed_off_as_a_refusal() -> None:
    def broken(key_id: str) -> bytes:
        raise LookupError("database is closed")

    with pytest.raises(LookupError):
        _verify(_sign(), resolve_key=broken)


def test_resolved_key_of_small_order_is_refused_before_verifying() -> None:
    # OpenSSL's Ed25519 would accept R = identity, S = 0 under this key for any message.
    headers = _sign()
    headers["Signature"] = f"hubnet=:{base64.b64encode(SMALL_ORDER_KEY + bytes(32)).decode()}:"
    reason = _refusal(headers, resolve_key=lambda _key_id: SMALL_ORDER_KEY)
    assert reason == "sender's public key is unusable"


# Properties

_SEGMENT = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@",
    max_size=12,
)
_PATH = st.lists(_SEGMENT, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=2048), path=_PATH)
def test_any_body_and_path_round_trip(body: bytes, path: str) -> None:
    url = "https://hub.example" + path
    headers = sign_request(KEY_A, ID_A, "POST", url, body, T)
    assert verify_request("POST", path, headers, body, T, 60).key_id == ID_A


@settings(max_examples=100, deadline=None)
@given(body=st.binary(min_size=1, max_size=512), data=st.data())
def test_any_single_byte_change_to_the_body_is_refused(body: bytes, data: st.DataObject) -> None:
    headers = sign_request(KEY_A, ID_A, "POST", URL, body, T)
    index = data.draw(st.integers(0, len(body) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != body[index]))
    changed = body[:index] + bytes([value]) + body[index + 1 :]
    with pytest.raises(RequestSignatureError) as info:
        verify_request("POST", URL, headers, changed, T, 60)
    assert info.value.reason == "content-digest does not match the body"


# The worked example in docs/PROTOCOL.md §10

EXAMPLE_SEED = bytes([0x07]) * 32
EXAMPLE_CREATED = 1_767_225_600
EXAMPLE_NONCE = "AAECAwQFBgcICQoLDA0ODw"
EXAMPLE_URL = "https://hub-b.example/federation/v1/messages"
EXAMPLE_BODY = bytes.fromhex("81a568656c6c6fa5776f726c64")


def test_worked_example_in_the_docs_matches() -> None:
    doc = (ROOT / "docs" / "PROTOCOL.md").read_text()
    key = SigningKey(EXAMPLE_SEED)
    node_id = node_id_from_public_key(key.public_key)
    headers = sign_request(
        key, node_id, "POST", EXAMPLE_URL, EXAMPLE_BODY, EXAMPLE_CREATED, EXAMPLE_NONCE
    )
    # The inputs as the doc states them.
    for text in (
        EXAMPLE_SEED.hex(),
        key.public_key.hex(),
        node_id,
        str(EXAMPLE_CREATED),
        EXAMPLE_NONCE,
        EXAMPLE_BODY.hex(),
        EXAMPLE_URL,
    ):
        assert text in doc, text
    # The outputs, header by header.
    for name, value in headers.items():
        assert f"{name}: {value}\n" in doc, name
    # The signature base, rebuilt from the doc's rules without the library, and
    # the Signature checked over it.
    signature_params = headers["Signature-Input"].removeprefix("hubnet=")
    base = (
        '"@method": POST\n'
        '"@path": /federation/v1/messages\n'
        f'"content-digest": {headers["Content-Digest"]}\n'
        f'"@signature-params": {signature_params}'
    )
    assert f"```text\n{base}\n```" in doc
    signature = base64.b64decode(headers["Signature"].removeprefix("hubnet=:").removesuffix(":"))
    assert verify(key.public_key, base.encode(), signature)
    received = _verify(
        headers, url="/federation/v1/messages", body=EXAMPLE_BODY, now=EXAMPLE_CREATED
    )
    assert received == SignedRequest(key_id=node_id, created=EXAMPLE_CREATED, nonce=EXAMPLE_NONCE)
