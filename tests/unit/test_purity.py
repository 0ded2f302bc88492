"""crypto/ and protocol/ are pure: no web, no database, no clock, imports point down."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import crypto
import protocol

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_MODULES = ("aiohttp", "aiosqlite", "sqlite3")


def _all_modules() -> list[str]:
    names = []
    for package in (crypto, protocol):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            names.append(info.name)
    return sorted(names)


def test_there_are_modules_to_check() -> None:
    modules = _all_modules()
    assert "protocol.kinds.event" in modules
    assert "crypto.nodeid" in modules


def test_importing_crypto_and_protocol_loads_no_web_or_database_module() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {_all_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in {FORBIDDEN_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


PROTOCOL_FILES = sorted((ROOT / "protocol").rglob("*.py"))
CRYPTO_FILES = sorted((ROOT / "crypto").rglob("*.py"))


@pytest.mark.parametrize("path", PROTOCOL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_protocol_imports_only_crypto_and_pure_libraries(path: Path) -> None:
    # No clock reads, no I/O, no upward imports (docs/ARCHITECTURE.md, "Layers": protocol/ is pure).
    bad = _imports(path) & {
        "aiohttp",
        "aiosqlite",
        "sqlite3",
        "asyncio",
        "socket",
        "time",
        "datetime",
        "os",
        "random",
        "node",
        "web",
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", CRYPTO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_crypto_imports_nothing_above_it(path: Path) -> None:
    bad = _imports(path) & {
        "aiohttp",
        "aiosqlite",
        "sqlite3",
        "asyncio",
        "socket",
        "time",
        "datetime",
        "protocol",
        "node",
        "web",
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"
