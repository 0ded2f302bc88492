"""Our Ed25519 acceptance policy against published vectors (tests/vectors/README.md).

A signature is accepted only if its public key passes `check_public_key` (as the
node does when it first sees a key) and `verify` accepts it. Wycheproof's
"valid" vectors must be accepted and its "invalid" ones refused. C2SP/CCTV's
vectors are edge cases on which implementations differ; our policy for each of
their flags is the table in docs/THREAT_MODEL.md ("Ed25519 edge cases"), which
this test reads, so the doc and the behaviour cannot drift apart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crypto.ed25519 import check_public_key, verify
from crypto.errors import BadPublicKey

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"


def accepted(key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        check_public_key(key)
    except BadPublicKey:
        return False
    return verify(key, message, signature)


def wycheproof() -> list[tuple[int, bytes, bytes, bytes, str]]:
    data = json.loads((VECTORS / "wycheproof_ed25519_test.json").read_text())
    return [
        (
            t["tcId"],
            bytes.fromhex(g["publicKey"]["pk"]),
            bytes.fromhex(t["msg"]),
            bytes.fromhex(t["sig"]),
            t["result"],
        )
        for g in data["testGroups"]
        for t in g["tests"]
    ]


def policy() -> dict[str, str]:
    """Flag -> "accepted" or "refused", from the table in docs/THREAT_MODEL.md."""
    text = (ROOT / "docs" / "THREAT_MODEL.md").read_text()
    section = text.split("### Ed25519 edge cases", 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `(\w+)` \| (accepted|refused) \|", section, re.MULTILINE))


def test_the_wycheproof_file_is_whole() -> None:
    data = json.loads((VECTORS / "wycheproof_ed25519_test.json").read_text())
    cases = wycheproof()
    assert [c[0] for c in cases] == list(range(1, data["numberOfTests"] + 1))
    assert {c[4] for c in cases} == {"valid", "invalid"}


@pytest.mark.parametrize(("tc_id", "key", "message", "signature", "result"), wycheproof())
def test_wycheproof_valid_is_accepted_and_invalid_refused(
    tc_id: int, key: bytes, message: bytes, signature: bytes, result: str
) -> None:
    assert accepted(key, message, signature) == (result == "valid"), f"tcId {tc_id}"


def cctv() -> list[dict[str, object]]:
    vectors: list[dict[str, object]] = json.loads(
        (VECTORS / "cctv_ed25519vectors.json").read_text()
    )
    return vectors


def test_the_cctv_file_is_whole_and_every_flag_has_a_documented_policy() -> None:
    vectors = cctv()
    assert [v["number"] for v in vectors] == list(range(914))
    flags = {f for v in vectors for f in v["flags"] or ()}  # type: ignore[attr-defined]
    assert flags == set(policy()), f"undocumented: {flags - set(policy())}"


@pytest.mark.parametrize("vector", cctv(), ids=lambda v: f"cctv-{v['number']}")
def test_cctv_edge_case_gets_the_documented_result(vector: dict[str, object]) -> None:
    rules = policy()
    flags = vector["flags"] or []  # one vector, a plain valid signature, has none
    assert isinstance(flags, list)
    expected = all(rules[flag] == "accepted" for flag in flags)
    key, sig = bytes.fromhex(str(vector["key"])), bytes.fromhex(str(vector["sig"]))
    assert accepted(key, str(vector["msg"]).encode(), sig) == expected
