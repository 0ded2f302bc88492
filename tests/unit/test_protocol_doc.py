"""docs/PROTOCOL.md documents every kind, every field and every limit the code has."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from protocol import PROTOCOL_VERSION
from protocol.kinds import KINDS
from protocol.limits import DEFAULT_LIMITS
from protocol.schema import describe

DOC = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")


def kind_section(kind: str) -> str:
    """The text of the §5 subsection headed with the kind's name."""
    match = re.search(rf"^### 5\.\d+ `{re.escape(kind)}`\n(.*?)(?=^#)", DOC, flags=re.M | re.S)
    assert match, f"no §5 subsection for {kind}"
    return match[1]


def table_rows(section: str) -> list[tuple[str, str, bool]]:
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows.append((cells[0].strip("`"), cells[1], cells[2] == "yes"))
    return rows


def test_document_is_for_this_protocol_version() -> None:
    assert DOC.startswith(f"# The hubnet protocol, version {PROTOCOL_VERSION}\n")


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_appears(kind: str) -> None:
    assert f"`{kind}`" in DOC


@pytest.mark.parametrize(
    ("kind", "field"), [(k, name) for k, cls in KINDS.items() for name, _, _ in describe(cls)]
)
def test_every_field_appears(kind: str, field: str) -> None:
    assert f"`{field}`" in DOC
    assert f"`{field}`" in kind_section(kind)


@pytest.mark.parametrize("kind", list(KINDS))
def test_kind_table_matches_the_schema(kind: str) -> None:
    # Field, type and required columns are exactly what protocol.schema.describe says.
    assert table_rows(kind_section(kind)) == describe(KINDS[kind])


def test_kinds_are_numbered_in_registry_order() -> None:
    headings = re.findall(r"^### 5\.(\d+) `([^`]+)`$", DOC, flags=re.M)
    assert [kind for _, kind in headings] == list(KINDS)
    assert [int(n) for n, _ in headings] == list(range(1, len(KINDS) + 1))


@pytest.mark.parametrize("field", dataclasses.fields(DEFAULT_LIMITS), ids=lambda f: f.name)
def test_every_limit_is_documented_with_its_value(field: dataclasses.Field[int]) -> None:
    value = getattr(DEFAULT_LIMITS, field.name)
    assert re.search(rf"^\| `{field.name}` \| {value} \|", DOC, flags=re.M), field.name


def test_federation_api_has_its_section() -> None:
    assert re.search(r"^## 9\. Federation HTTP API$", DOC, flags=re.M)


def test_documented_small_order_points_are_refused() -> None:
    from crypto.ed25519 import check_public_key
    from crypto.errors import BadPublicKey

    points = re.findall(r"^([0-9a-f]{64})  order [1248]", DOC, flags=re.M)
    assert len(set(points)) == 8
    for point in points:
        with pytest.raises(BadPublicKey, match="small order"):
            check_public_key(bytes.fromhex(point))


# -- exact rules an independent implementer needs (§4.8, §5.22, §5.25, §9.1, §10.4, §12) --


def section(number: str) -> str:
    """The text of the section or subsection numbered `number`, up to the next heading."""
    match = re.search(rf"^#+ {re.escape(number)}\.? .*?\n(.*?)(?=^#)", DOC, flags=re.M | re.S)
    assert match, f"no section {number}"
    return match[1]


def _text_rule(cls: type, field: str) -> Any:
    from typing import get_args, get_type_hints

    from protocol.schema import Text

    hint = get_type_hints(cls, include_extras=True)[field]
    (rule,) = [m for m in get_args(hint)[1:] if isinstance(m, Text)]
    return rule


def _documented_regex(text: str, field: str) -> str:
    match = re.search(rf"`{field}` matches the regular expression `([^`]+)`", text)
    assert match, f"no regular expression documented for {field}"
    return match[1]


def _as_whole_pattern(rule: Any) -> str:
    """The schema's Text rule (length, then pattern) written as one regular expression."""
    base = rule.pattern.removesuffix("+").removesuffix(f"{{{rule.max_len}}}")
    if rule.min_len == rule.max_len:
        return f"{base}{{{rule.max_len}}}"
    return f"{base}{{{rule.min_len},{rule.max_len}}}"


def test_comment_author_pattern_is_the_schemas() -> None:
    from protocol.kinds.discussion import DISPLAY_NAME_PATTERN, Comment

    documented = _documented_regex(kind_section("comment"), "author")
    assert documented == DISPLAY_NAME_PATTERN
    assert documented == _as_whole_pattern(_text_rule(Comment, "author"))


def test_comment_author_examples_are_accepted_and_refused_as_documented() -> None:
    from protocol.errors import SchemaViolation
    from protocol.kinds.discussion import Comment
    from protocol.schema import parse

    text = kind_section("comment")
    accepted = re.search(r"Accepted:\s+(.*?)\. Refused:", text, flags=re.S)
    refused = re.search(r"Refused:\s+(.*?)\.\n", text, flags=re.S)
    assert accepted and refused
    good = re.findall(r"`([^`]+)`", accepted[1])
    bad = re.findall(r"`([^`]+)`", refused[1])
    assert len(good) >= 3 and len(bad) >= 4
    body = {"subject": bytes(32), "text": "Hello"}
    for name in good:
        parse(Comment, {**body, "author": name})
    for name in bad:
        with pytest.raises(SchemaViolation):
            parse(Comment, {**body, "author": name})


def test_report_to_pattern_and_examples_are_the_schemas() -> None:
    from crypto.errors import BadNodeId
    from crypto.nodeid import parse_node_id
    from protocol.kinds.discussion import Report
    from protocol.schema import parse

    text = kind_section("report")
    assert _documented_regex(text, "to") == _as_whole_pattern(_text_rule(Report, "to"))
    valid, bogus = re.findall(r"`([a-z2-7]{56})`", text)
    parse_node_id(valid)
    with pytest.raises(BadNodeId):
        parse_node_id(bogus)
    for to in (valid, bogus):  # the schema checks the pattern only
        parse(Report, {"to": to, "comment": bytes(32), "reason": "spam"})


def _prefix_rows(text: str, columns: int) -> dict[str, list[str]]:
    """Rows of a table whose first column is a refusal prefix, by prefix."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == columns and re.fullmatch(r"`[a-z-]+`", cells[0]):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def _prefix_table(text: str, columns: int, status_column: int) -> dict[str, set[int]]:
    return {
        prefix: {int(n) for n in re.findall(r"\d{3}", cells[status_column - 1])}
        for prefix, cells in _prefix_rows(text, columns).items()
    }


def _request_refusals_in_code() -> dict[str, set[int]]:
    """(prefix, status) pairs the federation API can answer, read from its source."""
    import ast
    import inspect

    import node.federation.api as api

    found: dict[str, set[int]] = {}
    for call in ast.walk(ast.parse(inspect.getsource(api))):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            continue
        args = call.args
        if not args or not isinstance(args[0], ast.Constant) or len(args) < 2:
            continue
        status, text = args[0].value, args[1]
        assert isinstance(status, int)
        if call.func.id == "ApiError" and isinstance(text, ast.Constant):
            found.setdefault(str(text.value), set()).add(status)
        elif call.func.id == "_error":
            first = text.values[0] if isinstance(text, ast.JoinedStr) else text
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value.split(":")[0], set()).add(status)
    # Not literal in the source: a body that does not decode (a ProtocolError) is
    # a 400, and aiohttp's routing answers an unknown path 404 and a wrong method
    # 405, all as `invalid:` (errors_middleware).
    found.setdefault("invalid", set()).update({400, 404, 405})
    return found


def _message_refusals_in_code() -> set[str]:
    """The prefixes a refused push result can carry: every RemoteProtocolError's."""
    import node.store.messages  # noqa: F401  (defines TooManyHeld, BlockedOrigin)
    from protocol.errors import RemoteProtocolError

    def subclasses(cls: type[RemoteProtocolError]) -> set[type[RemoteProtocolError]]:
        return {cls} | {s for c in cls.__subclasses__() for s in subclasses(c)}

    return {c.reason for c in subclasses(RemoteProtocolError)}


def test_refusal_prefixes_and_statuses_in_4_8_are_the_codes() -> None:
    text = section("4.8")
    as_requests = {p: s for p, s in _prefix_table(text, 3, 2).items() if s}  # not "never"
    assert as_requests == _request_refusals_in_code()
    in_results = {
        p for p, cells in _prefix_rows(text, 3).items() if not cells[0].startswith("never")
    }
    assert in_results == _message_refusals_in_code()


def test_error_table_in_9_1_agrees_with_4_8() -> None:
    assert _prefix_table(section("9.1"), 3, 1) == _request_refusals_in_code()


def test_error_body_example_is_what_the_code_sends() -> None:
    from protocol.federation import encode_error

    text = section("9.1")
    match = re.search(r'^\{"error": "([^"]+)"\}\n([0-9a-f ]+)\n', text, flags=re.M)
    assert match
    assert encode_error(match[1]) == bytes.fromhex(match[2])
    assert "`Content-Type: application/msgpack`" in text
    from node.federation.api import MSGPACK

    assert MSGPACK == "application/msgpack"


def test_signature_window_is_the_receivers() -> None:
    from crypto.httpsig import MAX_FUTURE_SKEW
    from node.federation.api import SIGNATURE_MAX_AGE

    text = section("10.4")
    assert f"later than `now + {MAX_FUTURE_SKEW}`" in text
    assert f"`max_age` is {SIGNATURE_MAX_AGE} seconds" in text
    assert f"its future skew is {MAX_FUTURE_SKEW} seconds" in text
    assert f"`created` from\n`now - {SIGNATURE_MAX_AGE}` to `now + {MAX_FUTURE_SKEW}`" in text


async def test_invite_urls_are_joined_and_signed_as_documented() -> None:
    import aiohttp

    from crypto.ed25519 import SigningKey
    from crypto.httpsig import verify_request
    from crypto.nodeid import node_id_from_public_key
    from node.federation.client import FederationClient, PeerUnreachable
    from node.federation.invites import Invite, parse_invite

    rows = re.findall(r"^\| `(https?://[^`]*)` \| `(https?://[^`]*)` \|$", section("12"), re.M)
    assert len(rows) >= 3
    sent: list[tuple[str, dict[str, str], bytes]] = []

    class Refuse:
        async def __aenter__(self) -> None:
            raise aiohttp.ClientConnectionError("not sent")

        async def __aexit__(self, *exc: object) -> None:
            return None

    class Session:
        def request(self, method: str, url: str, **kw: Any) -> Refuse:
            sent.append((url, kw["headers"], kw["data"]))
            return Refuse()

    key = SigningKey(bytes(range(32)))
    node_id = node_id_from_public_key(key.public_key)
    client = FederationClient(Session(), key, node_id, lambda: 1_767_225_600_000)  # type: ignore[arg-type]
    for base, expected in rows:
        invite = parse_invite(str(Invite(node_id, base, "token")))
        with pytest.raises(PeerUnreachable):
            await client.peering(invite.url, "token", "https://b.example", "B")
        url, headers, body = sent.pop()
        assert url == expected
        # The signed @path is the endpoint's alone, whatever the URL's prefix.
        verify_request("POST", "/federation/v1/peering", headers, body, 1_767_225_600, 60)


def test_onion_invite_example_is_what_the_code_makes_and_reads() -> None:
    from crypto.ed25519 import SigningKey
    from crypto.nodeid import node_id_from_public_key
    from node.federation.invites import Invite, parse_invite

    text = section("12.1")
    line = re.search(r"```text\n(hubnet://invite\?[^\n]+)\n```", text)
    rows = dict(re.findall(r"^\| (with an onion proxy|without[^|]*) \| `([^`]+)` \|$", text, re.M))
    assert line and len(rows) == 2
    node_id = node_id_from_public_key(SigningKey(bytes(range(32))).public_key)
    invite = parse_invite(line[1])
    assert invite.node_id == node_id and invite.token == "8Jk2q5Zt3YbVx0mWn4Lr1g"
    assert str(Invite(node_id, invite.url, invite.token, None, invite.onion)) == line[1]
    assert invite.address_for(has_onion_proxy=True) == rows["with an onion proxy"]
    assert invite.address_for(has_onion_proxy=False) == rows["without, or predating the field"]
    assert invite.url == rows["without, or predating the field"]
