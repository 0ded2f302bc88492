"""docs/OPERATIONS.md shows only commands that exist, with options they accept.

Every `hubnet …` line in the manual's shell examples is parsed by the real
argument parser; every `deploy/install.sh` option it uses is one the script
knows; every command in the commands table exists; and every command the CLI
has appears in the manual. The scenarios behind the examples (backup and
restore, key rotation and revocation, the doctor, install) run for real in
tests/integration/test_operations.py and test_deploy.py.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from node.cli import build_parser
from node.metrics import NodeMetrics

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
INSTALL = (ROOT / "deploy" / "install.sh").read_text(encoding="utf-8")
RUN_AS_NODE_USER = "sudo -u hubnet /opt/hubnet/venv/bin/"


def shell_lines() -> list[str]:
    lines = []
    for block in re.findall(r"^ *```sh\n(.*?)^ *```", DOC, flags=re.M | re.S):
        lines += [line.strip() for line in block.splitlines() if line.strip()]
    return lines


HUBNET_LINES = [
    line.removeprefix(RUN_AS_NODE_USER)
    for line in shell_lines()
    if line.startswith(("hubnet ", RUN_AS_NODE_USER + "hubnet "))
]
# …and commands written inline in the text (the table's rows use [ ] for options).
HUBNET_LINES += [
    span
    for line in DOC.splitlines()
    if not line.startswith("|")
    for span in re.findall(r"`(hubnet [^`]+)`", line)
    if "--data-dir" in span and "…" not in span
]
INSTALL_LINES = [line for line in shell_lines() if "deploy/install.sh" in line]


def test_the_manual_has_examples_to_check() -> None:
    assert len(HUBNET_LINES) >= 11 and INSTALL_LINES


@pytest.mark.parametrize("line", HUBNET_LINES)
def test_each_example_parses(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A command substitution such as $(date +%F) stands for one word.
    words = shlex.split(re.sub(r"\$\([^)]*\)", "X", line))
    try:
        build_parser().parse_args(words[1:])
    except SystemExit:
        pytest.fail(f"{line!r} is not a valid command: {capsys.readouterr().err}")


def test_install_examples_use_real_options() -> None:
    for line in INSTALL_LINES:
        for option in re.findall(r"(?<!\S)(--[a-z-]+)", line):
            assert f"\n        {option})" in INSTALL, f"install.sh has no {option} ({line})"


def commands(parser: argparse.ArgumentParser, prefix: str = "hubnet") -> list[str]:
    """Every runnable command, e.g. 'hubnet key rotate'."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                below = commands(sub, f"{prefix} {name}")
                found += below or [f"{prefix} {name}"]
    return found


def test_every_command_is_documented_in_the_table() -> None:
    rows = [line for line in DOC.splitlines() if line.startswith("| `")]
    missing = [
        c
        for c in commands(build_parser())
        if not any(f"`{c} " in r or f"`{c}`" in r or f"`{c[7:]}`" in r for r in rows)
    ]
    assert not missing, f"commands missing from docs/OPERATIONS.md's table: {missing}"


def test_every_command_in_the_table_exists() -> None:
    real = commands(build_parser())
    for cell in re.findall(r"^\| `hubnet ([^`]+)`", DOC, flags=re.M):
        words = []
        for word in cell.split():
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            words.append(word)
        command = "hubnet " + " ".join(words)
        assert any(r == command or r.startswith(command + " ") for r in real), command


def test_every_metric_is_documented() -> None:
    names = {m.name for m in NodeMetrics().registry.collect()}
    assert names, "the registry lists its metrics"
    # prometheus_client names a counter without its _total suffix here.
    missing = [n for n in names if f"`{n}" not in DOC]
    assert not missing, f"metrics missing from docs/OPERATIONS.md's Monitoring table: {missing}"
