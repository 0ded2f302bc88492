"""`hubnet init`, `run` and `id` as real processes, as an organiser would use them."""

from __future__ import annotations

import json
import signal
import stat
import urllib.request
from pathlib import Path

from crypto.nodeid import parse_node_id
from tests.integration.procs import NodeProcess, run_cli


def get_json(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


def init(data_dir: Path, name: str = "Riverside") -> str:
    result = run_cli(
        "init", "--data-dir", str(data_dir), "--name", name, "--url", "http://127.0.0.1:8080"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_init_then_run_serves_health_and_identity(tmp_path: Path) -> None:
    data = tmp_path / "riverside"
    out = init(data)
    node_id = parse_node_id(out.split("node id: ")[1].split()[0])
    assert stat.S_IMODE((data / "node.key").stat().st_mode) == 0o600

    ident = run_cli("id", "--data-dir", str(data))
    assert ident.returncode == 0 and ident.stdout.strip() == node_id

    node = NodeProcess(data)
    try:
        status, health = get_json(node.url + "/healthz")
        assert status == 200 and health["status"] == "ok"
        # Written at init: the hub.profile, and the network.found of its one-hub network.
        assert health["messages"] == 2
        status, info = get_json(node.url + "/.well-known/hubnet")
        assert info["node_id"] == node_id and info["name"] == "Riverside"
        assert info["protocol_version"] == 1 and info["software"] == "hubnet"
        assert bytes.fromhex(str(info["public_key"])).hex() == info["public_key"]
    finally:
        assert node.stop(signal.SIGINT) == 0
    assert "stopping" in "".join(node.output)


def test_run_before_init_says_what_to_do(tmp_path: Path) -> None:
    result = run_cli("run", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 1
    assert "hubnet init" in result.stderr and "Traceback" not in result.stderr


def test_init_twice_is_refused_and_keeps_the_key(tmp_path: Path) -> None:
    init(tmp_path / "n")
    key = (tmp_path / "n" / "node.key").read_bytes()
    result = run_cli("init", "--data-dir", str(tmp_path / "n"), "--name", "X", "--url", "http://x")
    assert result.returncode == 1 and "already holds a node" in result.stderr
    assert (tmp_path / "n" / "node.key").read_bytes() == key


def test_init_refuses_a_bad_url_before_writing_anything(tmp_path: Path) -> None:
    result = run_cli("init", "--data-dir", str(tmp_path / "n"), "--name", "X", "--url", "ftp://x")
    assert result.returncode == 1 and "url must be" in result.stderr
    assert not (tmp_path / "n").exists()


def test_data_dir_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_cli(
        "init", "--data-dir", str(blocker / "node"), "--name", "X", "--url", "http://x"
    )
    assert result.returncode == 1 and "cannot create data directory" in result.stderr


def test_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    init(tmp_path / "n")
    (tmp_path / "n" / "node.key").write_text("garbage")
    for command in ("id", "run"):
        result = run_cli(command, "--data-dir", str(tmp_path / "n"))
        assert result.returncode == 1, command
        assert "corrupt" in result.stderr and "Traceback" not in result.stderr


def test_corrupt_database_stops_run_with_a_clear_error(tmp_path: Path) -> None:
    init(tmp_path / "n")
    (tmp_path / "n" / "hubnet.db").write_bytes(b"\0garbage" * 1000)
    result = run_cli("run", "--data-dir", str(tmp_path / "n"), "--port", "0")
    assert result.returncode == 1
    assert "restore it from a backup" in result.stderr and "Traceback" not in result.stderr


def test_unknown_setting_in_config_or_environment_is_an_error(tmp_path: Path) -> None:
    init(tmp_path / "n")
    result = run_cli("run", "--data-dir", str(tmp_path / "n"), env={"HUBNET_PROT": "9"})
    assert result.returncode == 1 and "HUBNET_PROT is not a hubnet setting" in result.stderr
    with (tmp_path / "n" / "config.toml").open("a") as f:
        f.write("\nprot = 9\n")
    result = run_cli("run", "--data-dir", str(tmp_path / "n"))
    assert result.returncode == 1 and "unknown setting(s): prot" in result.stderr


def test_every_command_has_help() -> None:
    for command in ("init", "run", "id"):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "--data-dir" in result.stdout
