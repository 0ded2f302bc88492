"""A network of real hubnet node processes on loopback, for integration tests."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from crypto.ed25519 import SigningKey
from crypto.keyfile import load_key
from crypto.nodeid import NodeId, node_id_from_public_key
from node.federation.invites import Invite, parse_invite
from node.identity import KEY_FILE
from node.network.actions import founding_statement
from protocol.envelope import Message, create_message
from tests.helpers import T0
from tests.integration.procs import NodeProcess, run_cli

# Short timings so faults heal within a test: retries back off to at most 1 s,
# requests give up after 3 s, and heads are compared every 2 s.
FAST = {
    "HUBNET_RETRY_MAX": "1",
    "HUBNET_REQUEST_TIMEOUT": "3",
    "HUBNET_PULL_INTERVAL": "2",
    # Witness members' decisions quickly, so a test can move on to the close soon after.
    "HUBNET_WITNESS_DELAY_MS": "200",
    # The cheapest password hashing the node accepts (OWASP's minimum): each login and
    # application costs 15 ms of CPU instead of 90, and 19 MiB instead of 64.
    "HUBNET_ARGON2_MEMORY_KIB": "19456",
    "HUBNET_ARGON2_TIME_COST": "2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hub:
    """One hub: a data directory and, while running, its `hubnet run` process."""

    def __init__(
        self, root: Path, name: str, url: str | None = None, host: str = "127.0.0.1"
    ) -> None:
        """`hubnet init` a hub that belongs to no network yet: see `found_network`.

        `host`: the loopback address it listens on (any of 127.0.0.0/8).
        """
        self.name = name
        self.data_dir = root / name.lower()
        self.port = free_port()
        self.host = host
        self.url = f"http://{host}:{self.port}"
        # The address other hubs are told to use (a fault proxy, in some tests).
        self.public_url = url or self.url
        result = run_cli(
            "init",
            "--data-dir",
            str(self.data_dir),
            "--name",
            name,
            "--url",
            self.public_url,
            "--no-network",
            env=FAST,
        )
        assert result.returncode == 0, result.stderr
        self.init_output = result.stdout  # holds the first organiser's password
        # What `hubnet id` prints, read from the key file init wrote: one process fewer
        # for each of the suite's hundreds of hubs (tests/integration/test_cli.py runs `id`).
        key = load_key(self.data_dir / KEY_FILE)
        self.node_id = str(node_id_from_public_key(key.public_key))
        self.process: NodeProcess | None = None

    def start(self, env: dict[str, str] | None = None) -> Hub:
        """Run `hubnet run` for this hub, with FAST timings and any `env` added."""
        self.process = NodeProcess(
            self.data_dir, port=self.port, env={**FAST, **(env or {})}, host=self.host
        )
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.stop(sig)
            self.process = None

    def cli(self, *words: str) -> str:
        """Run `hubnet WORDS…` on this hub's data directory; its output, or fail."""
        # --data-dir belongs after the (sub)command: `hubnet peer list --data-dir D`.
        split = 2 if words[0] in ("peer", "resource", "motion", "network", "bundle") else 1
        result = run_cli(*words[:split], "--data-dir", str(self.data_dir), *words[split:])
        assert result.returncode == 0, f"hubnet {' '.join(words)}: {result.stderr}"
        return result.stdout

    def peer_cli(self, action: str, *args: str) -> str:
        return self.cli("peer", action, *args)

    def peer_with(self, other: Hub) -> None:
        """`other` invites, this hub accepts: both then know each other."""
        invite = other.peer_cli("invite", "--no-qr").splitlines()[0]
        self.peer_cli("add", invite)

    def announce(self, text: str) -> None:
        self.cli("announce", text)

    def announce_many(self, texts: Sequence[str]) -> None:
        """`hubnet announce TEXT` for each text in order, in one process (start-up is slow)."""
        script = (
            "import sys\n"
            "from node.cli import main\n"
            "for text in sys.argv[2:]:\n"
            "    if main(['announce', '--data-dir', sys.argv[1], text]) != 0:\n"
            "        sys.exit(1)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script, str(self.data_dir), *texts],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"hubnet announce: {result.stderr}"

    def peer_through(self, other: Hub, url: str) -> None:
        """Like peer_with, but this hub reaches `other` at `url` (a fault proxy to it)."""
        invite = parse_invite(other.peer_cli("invite", "--no-qr").splitlines()[0])
        self.peer_cli("add", str(Invite(invite.node_id, url, invite.token)))

    def texts(self) -> list[str]:
        """Every announcement's text this hub holds, oldest first."""
        out = self.cli("log", "--kind", "announcement", "--limit", "100000")
        return [line.split("announcement", 1)[1].strip() for line in out.splitlines()]

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/healthz", timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data


class Founding(Protocol):
    """A hub with a data directory `cli` works on: a `Hub`, or one run in the test process."""

    @property
    def node_id(self) -> str: ...

    def cli(self, *words: str) -> str: ...


def found_network(
    hubs: Sequence[Founding], name: str = "Test network", others: Sequence[str] = ()
) -> str:
    """Every hub signs one founding statement naming them all; the network's id (hex).

    `others`: node ids of further founders, keys a test plays (each a member once its
    own `network.found` of the statement is held). Works before or after the hubs
    start (a running node notices within seconds).
    """
    founders = [
        w for node_id in [*(h.node_id for h in hubs), *others] for w in ("--founder", node_id)
    ]
    ids = set()
    with ThreadPoolExecutor(len(hubs)) as pool:
        outputs = pool.map(lambda h: h.cli("network", "found", "--name", name, *founders), hubs)
        for output in outputs:
            ids.add(output.split("network id: ", 1)[1].split()[0])
    assert len(ids) == 1, f"the hubs signed different statements: {ids}"
    return ids.pop()


def founded(
    key: SigningKey, founders: Sequence[str], name: str = "Test network", ts: int = T0
) -> Message:
    """`key`'s own `network.found` of the statement naming `founders`: seq 1 of its log.

    `found_network` signs the same statement (same name, default sponsors and
    regions), so the key is one of the network's founders and a member once a node
    holds this (PROTOCOL.md §14.1).
    """
    statement = founding_statement(name, [NodeId(f) for f in founders])
    return create_message(key, "network.found", statement, 1, None, ts)


def start_hubs(
    root: Path,
    *specs: tuple[str, str | None],
    network: bool = True,
    founders: Sequence[str] = (),
) -> list[Hub]:
    """Create and start hubs side by side: each is (name, public url or None).

    With `network`, the hubs found one network together before they start, with
    the node ids in `founders` as further founders (see `found_network`).
    `hubnet init` and start-up take a second or two each, mostly waiting on
    other processes, so several at once save most of that. If any fails, the
    ones already running are stopped before the error is raised.
    """
    with ThreadPoolExecutor(len(specs)) as pool:
        made = list(pool.map(lambda spec: Hub(root, *spec), specs))
    if network:
        found_network(made, others=founders)

    def start(hub: Hub) -> Hub:
        return hub.start()

    with ThreadPoolExecutor(len(specs)) as pool:
        futures = [pool.submit(start, hub) for hub in made]
    hubs: list[Hub] = []
    errors: list[Exception] = []
    for future in futures:
        try:
            hubs.append(future.result())
        except Exception as exc:
            errors.append(exc)
    if errors:
        for hub in hubs:
            hub.stop()
        raise errors[0]
    return hubs


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def configure(hub: Hub, **values: str | int | bool) -> None:
    """Set settings in the hub's config.toml, read by `hubnet run` and every command."""
    config = hub.data_dir / "config.toml"
    kept = [
        line
        for line in config.read_text().splitlines(keepends=True)
        if line.split("=", 1)[0].strip() not in values
    ]
    added = [f"{k} = {json.dumps(v)}\n" for k, v in values.items()]
    config.write_text("".join(kept + added))
