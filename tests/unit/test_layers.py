"""The layers hold: SQL lives only in node/store (STYLE.md "All SQL in node/store")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A string that starts as a statement does: what a query written outside the store
# would look like, however it is later sent.
SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|BEGIN|WITH)\s+[\w*(]"
)


def _sql_strings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_sql_appears_only_in_node_store() -> None:
    outside = [
        path
        for top in ("node", "web", "protocol", "crypto")
        for path in sorted((ROOT / top).rglob("*.py"))
        if not path.is_relative_to(ROOT / "node" / "store")
    ]
    assert len(outside) > 100, "the walk found too few modules to mean anything"
    found = [hit for path in outside for hit in _sql_strings(path)]
    assert not found, "SQL outside node/store:\n" + "\n".join(found)


def test_the_check_finds_sql_where_it_is() -> None:
    # The same walk over the store finds its queries: the check can fail.
    store = [hit for path in (ROOT / "node" / "store").rglob("*.py") for hit in _sql_strings(path)]
    assert len(store) > 100
