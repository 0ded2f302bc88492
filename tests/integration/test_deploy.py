"""deploy/: the install script into a temporary root, and the systemd unit it installs."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from node import config as settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def install(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEPLOY / "install.sh"), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # install.sh makes the user with systemd-sysusers, or useradd where it is missing.
    assert shutil.which("systemd-sysusers") or shutil.which("useradd"), (
        "neither systemd-sysusers nor useradd is installed; `make test` installs systemd"
    )
    root = tmp_path_factory.mktemp("root")
    # --no-deps: the dependencies come from the package index and are the same as in
    # the test environment; installing hubnet itself is what this checks.
    result = install(root, "--pip-args", "--no-deps")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"Installed hubnet into {root}")
    return root


def test_install_creates_the_user_the_environment_and_the_unit(installed: Path) -> None:
    passwd = (installed / "etc" / "passwd").read_text()
    assert re.search(r"^hubnet:x:\d+:\d+:[^:]*:/var/lib/hubnet:/usr/sbin/nologin$", passwd, re.M)
    venv = installed / "opt" / "hubnet" / "venv"
    show_version = "import importlib.metadata as m; print(m.version('hubnet'))"
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", show_version],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "0.1.0"
    assert (venv / "bin" / "hubnet").is_file()
    data = installed / "var" / "lib" / "hubnet"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    unit = (installed / "etc" / "systemd" / "system" / "hubnet.service").read_text()
    assert not re.search(r"@[A-Z_]+@", unit), "a placeholder was left in the unit"
    for line in (
        "User=hubnet",
        "ExecStart=/opt/hubnet/venv/bin/hubnet run --data-dir /var/lib/hubnet",
        "StateDirectory=hubnet",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
    ):
        assert line in unit.splitlines()


def test_installed_unit_passes_systemd_analyze_verify(installed: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is not installed; `make test` installs systemd"
    unit = (installed / "etc" / "systemd" / "system" / "hubnet.service").read_text()
    # verify checks that ExecStart exists: point it at the temporary root's copy.
    check = tmp_path / "hubnet.service"
    check.write_text(unit.replace("/opt/hubnet/", f"{installed}/opt/hubnet/"))
    result = subprocess.run(
        [analyze, "verify", str(check)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "hubnet.service" not in result.stderr, result.stderr  # no warnings about the unit


def test_install_refuses_an_unknown_option(tmp_path: Path) -> None:
    result = install(tmp_path, "--colour", "blue")
    assert result.returncode == 1
    assert "unknown option --colour" in result.stderr


def test_container_files_set_only_real_settings() -> None:
    # Every HUBNET_ variable must be a setting, or the node refuses to start.
    names = {s.name.upper() for s in settings.SETTINGS} | {"DATA_DIR"}
    for path in DEPLOY.iterdir():
        for var in re.findall(r"\bHUBNET_([A-Z_]+)", path.read_text()):
            assert var in names, f"{path.name}: HUBNET_{var} is not a hubnet setting"


def test_the_unit_raises_the_open_files_limit() -> None:
    # 1,100 idle connections used up the default 1,024 descriptors (issue 21).
    unit = (DEPLOY / "hubnet.service").read_text()
    match = re.search(r"^LimitNOFILE=(\d+)$", unit, flags=re.M)
    assert match and int(match.group(1)) >= 65536
