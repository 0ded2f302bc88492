"""docs/PROTOCOL.md documents every kind, every field and every limit the code has."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

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
