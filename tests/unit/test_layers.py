"""The layers hold: SQL lives only in node/store (docs/ARCHITECTURE.md, "Layers"); no
module grows past 400 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A string that starts as a statement does: what a query written outside the store
# would look like, however it is later sent.
SQL = re.compile(
    r"^\s*((SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|BEGIN|WITH|SAVEPOINT"
    r"|RELEASE|ROLLBACK|ATTACH|DETACH)\s+[\w*(]|(COMMIT|ROLLBACK|END|VACUUM|ANALYZE)\s*;?\s*$)"
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


# What may hold the whole `Node`: the edges that put the node together or run it
# (the web app and its routes, the CLI, the demo, metrics, key ceremonies). Every
# service depends on the few parts it uses (node/federation/local.py, for one).
_WHOLE_NODE = ("node/appkeys.py", "node/cli/", "node/demo.py", "node/keys.py", "node/metrics.py")


def _imports_node(path: Path) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    return any(
        (isinstance(n, ast.ImportFrom) and n.module == "node.node")
        or (isinstance(n, ast.Import) and any(a.name == "node.node" for a in n.names))
        for n in ast.walk(tree)
    )


def test_services_do_not_take_the_whole_node() -> None:
    services = [
        path
        for path in sorted((ROOT / "node").rglob("*.py"))
        if path.name != "node.py" and not str(path.relative_to(ROOT)).startswith(_WHOLE_NODE)
    ]
    assert len(services) > 100
    found = [str(p.relative_to(ROOT)) for p in services if _imports_node(p)]
    assert not found, "services holding the whole Node:\n" + "\n".join(found)
    # The check can fail: the edges do import it.
    assert _imports_node(ROOT / "node" / "metrics.py")


# A module that grows past this holds more than one job: split it and name the parts
# for what they hold (docs/ARCHITECTURE.md, issue 15's rule).
MOST_LINES = 400


def test_no_module_is_over_four_hundred_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in ("node", "web", "protocol", "crypto")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert long == {}, f"modules over {MOST_LINES} lines (split them by job): {long}"
