"""A network of real hubnet node processes on loopback, for integration tests."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.procs import NodeProcess, run_cli

# Short timings so faults heal within a test: retries back off to at most 1 s,
# requests give up after 3 s, and heads are compared every 2 s.
FAST = {
    "HUBNET_RETRY_MAX": "1",
    "HUBNET_REQUEST_TIMEOUT": "3",
    "HUBNET_PULL_INTERVAL": "2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hub:
    """One hub: a data directory and, while running, its `hubnet run` process."""

    def __init__(self, root: Path, name: str, url: str | None = None) -> None:
        self.name = name
        self.data_dir = root / name.lower()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The address other hubs are told to use (a fault proxy, in some tests).
        self.public_url = url or self.url
        result = run_cli(
            "init", "--data-dir", str(self.data_dir), "--name", name, "--url", self.public_url
        )
        assert result.returncode == 0, result.stderr
        self.node_id = self.cli("id").strip()
        self.process: NodeProcess | None = None

    def start(self) -> Hub:
        self.process = NodeProcess(self.data_dir, port=self.port, env=FAST)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.stop(sig)
            self.process = None

    def cli(self, command: str, *args: str) -> str:
        result = run_cli(command, "--data-dir", str(self.data_dir), *args)
        assert result.returncode == 0, f"hubnet {command} {' '.join(args)}: {result.stderr}"
        return result.stdout

    def peer_cli(self, action: str, *args: str) -> str:
        result = run_cli("peer", action, "--data-dir", str(self.data_dir), *args)
        assert result.returncode == 0, f"hubnet peer {action}: {result.stderr}"
        return result.stdout

    def peer_with(self, other: Hub) -> None:
        """`other` invites, this hub accepts: both then know each other."""
        invite = other.peer_cli("invite", "--no-qr").splitlines()[0]
        self.peer_cli("add", invite)

    def announce(self, text: str) -> None:
        self.cli("announce", text)

    def texts(self) -> list[str]:
        """Every announcement's text this hub holds, oldest first."""
        out = self.cli("log", "--kind", "announcement", "--limit", "100000")
        return [line.split("announcement", 1)[1].strip() for line in out.splitlines()]

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/healthz", timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
