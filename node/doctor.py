"""`hubnet doctor`: check a node's setup and say what to fix.

Each check gives a finding: ok, warn (works, but should be fixed) or fail (the
node does not work, or is unsafe, until it is). Nothing here changes anything.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from node import config as settings
from node.clock import Clock, system_clock
from node.errors import NodeError
from node.identity import KEY_FILE, load_identity
from node.onion import own_onion_url, parse_proxy, url_is_onion
from node.outbound import Outbound
from node.store import offline
from node.store.migrations import LATEST_VERSION
from protocol.envelope import parse_payload
from protocol.forks import reporters_of

# Node-to-node requests are refused beyond a minute of skew (PROTOCOL.md §10.4);
# warn well before that.
SKEW_FAIL_SECONDS = 60
SKEW_WARN_SECONDS = 10
PEER_TIMEOUT_SECONDS = 10


class Level(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    what: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.level.value:<4}  {self.what}"
        return f"{text}\n      fix: {self.fix}" if self.fix else text


def check_permissions(data_dir: Path) -> list[Finding]:
    found: list[Finding] = []
    key = data_dir / KEY_FILE
    try:
        mode = stat.S_IMODE(key.stat().st_mode)
    except FileNotFoundError:
        return [Finding(Level.FAIL, f"{key} is missing", "restore node.key from your backup")]
    if mode & 0o077:
        found.append(
            Finding(
                Level.FAIL,
                f"{key} has mode {mode:04o}: other users of this machine can read the key",
                f"chmod 600 {key}",
            )
        )
    else:
        found.append(Finding(Level.OK, f"{key} is readable by its owner only ({mode:04o})"))
    dir_mode = stat.S_IMODE(data_dir.stat().st_mode)
    if dir_mode & 0o022:
        found.append(
            Finding(
                Level.FAIL,
                f"{data_dir} has mode {dir_mode:04o}: other users can change the node's files",
                f"chmod 700 {data_dir}",
            )
        )
    elif dir_mode & 0o007:
        found.append(
            Finding(
                Level.WARN,
                f"{data_dir} has mode {dir_mode:04o}: other users can list the node's files",
                f"chmod 700 {data_dir}",
            )
        )
    staged = data_dir / (KEY_FILE + ".new")
    if staged.exists():
        found.append(
            Finding(
                Level.WARN,
                f"{staged} exists: a key rotation or revocation was interrupted",
                "run 'hubnet doctor' again after the node has started; if the node refuses to "
                "write with 'key was rotated', move node.key.new over node.key",
            )
        )
    return found


def check_data_key(config: settings.Config) -> list[Finding]:
    """Where the key to members' sealed details is (docs/OPERATIONS.md, "Members' data
    at rest"): beside the database, a copy of the disk holds both."""
    from node.atrest import key_file_path  # not at the top: `doctor --help` stays quick

    path = key_file_path(config)
    if not path.exists():
        return [Finding(Level.OK, "no key to members' details in the data directory")]
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return [
            Finding(
                Level.FAIL,
                f"{path} has mode {mode:04o}: other users can read the key to members' details",
                f"chmod 600 {path}",
            )
        ]
    if path.resolve().parent == config.data_dir.resolve():
        return [
            Finding(
                Level.WARN,
                f"{path}, the key to members' details, is beside the database: a copy of the "
                "disk holds both",
                f"hubnet key file --data-dir {config.data_dir} /media/usb/hub.key (or "
                "'hubnet key passphrase --only')",
            )
        ]
    return [Finding(Level.OK, f"the key to members' details is away from the database ({path})")]


def check_database(path: Path) -> list[Finding]:
    if not path.exists():
        return [Finding(Level.FAIL, f"{path} is missing", "restore it with 'hubnet restore'")]
    try:
        health = offline.file_health(path)
    except sqlite3.Error as exc:
        return [Finding(Level.FAIL, f"{path} cannot be read: {exc}", "restore it from a backup")]
    rows, version, recovering = health.integrity, health.version, health.recovering
    found: list[Finding] = []
    if rows != ["ok"]:
        found.append(
            Finding(
                Level.FAIL,
                f"{path} is damaged: {'; '.join(rows[:3])}",
                "restore it from a backup with 'hubnet restore'",
            )
        )
    else:
        found.append(Finding(Level.OK, f"{path} passes SQLite's integrity check"))
    if version > LATEST_VERSION:
        found.append(
            Finding(
                Level.FAIL,
                f"the database has schema version {version}; this hubnet knows up to "
                f"{LATEST_VERSION}",
                "install the newer hubnet that wrote it",
            )
        )
    elif version < LATEST_VERSION:
        found.append(
            Finding(Level.OK, f"schema version {version}; upgraded to {LATEST_VERSION} at start")
        )
    if recovering:
        found.append(
            Finding(
                Level.WARN,
                f"the node is recovering ({recovering}): it writes nothing of its own until it "
                "has fetched its own log back from its peers",
                "start it with 'hubnet run' and keep its peers reachable; it finishes by itself",
            )
        )
    return found


def check_own_fork(path: Path, node_id: str) -> list[Finding]:
    """Is this hub's own log held as forked, here or by hubs that published proof of it?

    PROTOCOL.md §6.1-§6.2: peers stop relaying a forked hub, so its organisers must
    hear of it from the node itself, with the way back.
    """
    try:
        evidence = offline.fork_evidence(path, node_id)
    except sqlite3.Error:
        return []  # an older schema, upgraded at start, or check_database said what is wrong
    reporters = reporters_of(
        node_id, [parse_payload(p, s) for p, s in evidence.proofs], evidence.resolved
    )
    if evidence.forked_at is None and not reporters:
        return [Finding(Level.OK, "this hub's own log is not forked")]
    seen = f"; {len(reporters)} hub(s) published proof of it" if reporters else ""
    return [
        Finding(
            Level.FAIL,
            "this hub signed two messages at one seq of its own log: other hubs stop "
            f"relaying it{seen}",
            "make sure only one copy of this node runs; if it was restored from an old backup "
            "or a copy ran elsewhere, run 'hubnet fork resolve --successor-key FILE "
            "--successor-out NEW-FILE' with the successor key kept offline (docs/OPERATIONS.md, "
            "'Restore'); if nobody did, the key may be stolen: 'hubnet key revoke' first",
        )
    ]


async def _probe(outbound: Outbound, url: str, clock: Clock) -> tuple[dict[str, object], float]:
    """GET url/.well-known/hubnet: its answer and the peer's clock minus ours, in seconds."""
    sent = clock()
    target = url.rstrip("/") + "/.well-known/hubnet"
    async with outbound.request("GET", target) as response:
        response.raise_for_status()
        data = await response.json()
        date = response.headers.get("Date")
    received = clock()
    if not date or not isinstance(data, dict):
        raise ValueError("answer without a Date header or a node description")
    theirs = email.utils.parsedate_to_datetime(date).timestamp() * 1000
    # The Date header is whole seconds, taken somewhere between send and receive.
    return data, (theirs + 500 - (sent + received) / 2) / 1000


async def check_network(
    config: settings.Config, node_id: str, peers: list[tuple[str, str, bool]], clock: Clock
) -> list[Finding]:
    found: list[Finding] = []
    timeout = aiohttp.ClientTimeout(total=PEER_TIMEOUT_SECONDS)
    # Through the onion proxy where the node's own connections go through it.
    outbound = Outbound(config.onion_proxy, config.onion_proxy_all, timeout=timeout)
    try:
        targets = [("this node", node_id, config.url)] + [
            (f"peer {pid[:12]}…", pid, url) for pid, url, blocked in peers if not blocked
        ]
        results = await asyncio.gather(
            *(_probe(outbound, url, clock) for _, _, url in targets), return_exceptions=True
        )
    finally:
        await outbound.close()
    for (who, expected_id, url), result in zip(targets, results, strict=True):
        if isinstance(result, BaseException):
            fix = (
                "start the node ('hubnet run'), and check that the url setting is the address "
                "others reach it at"
                if who == "this node"
                else "ask that hub's organisers whether their node is up, or check this "
                "machine's network and firewall"
            )
            found.append(Finding(Level.WARN, f"{who} at {url} does not answer: {result}", fix))
            continue
        data, skew = result
        if data.get("node_id") != expected_id:
            found.append(
                Finding(
                    Level.FAIL,
                    f"{who} at {url} answers as {data.get('node_id')}, not {expected_id}",
                    "correct the url setting"
                    if who == "this node"
                    else "peer again with a new invite from that hub",
                )
            )
            continue
        found.append(Finding(Level.OK, f"{who} at {url} answers"))
        if who == "this node":
            continue
        if abs(skew) > SKEW_WARN_SECONDS:
            level = Level.FAIL if abs(skew) > SKEW_FAIL_SECONDS else Level.WARN
            found.append(
                Finding(
                    level,
                    f"this machine's clock is {abs(skew):.0f} s "
                    f"{'behind' if skew > 0 else 'ahead of'} {who}'s; requests between nodes "
                    f"are refused beyond {SKEW_FAIL_SECONDS} s",
                    "turn on time synchronisation: 'timedatectl set-ntp true' (and check "
                    "'timedatectl status')",
                )
            )
    return found


def check_onion_address(config: settings.Config) -> list[Finding]:
    """The hub's own onion address, when it is meant to have one (docs/OPERATIONS.md,
    "A hub on Tor")."""
    try:
        onion = own_onion_url(config)
    except NodeError as exc:
        return [Finding(Level.FAIL, str(exc), "start tor, or set onion_url to the address")]
    if onion is None:
        if config.onion_port:
            return [
                Finding(
                    Level.WARN,
                    "onion_port is set but this hub has no onion address: invites carry none",
                    "set onion_url to what the hidden service's hostname file holds",
                )
            ]
        return []
    found = [Finding(Level.OK, f"onion address {onion}")]
    if not config.onion_port and not url_is_onion(config.url):
        found.append(
            Finding(
                Level.WARN,
                "no onion_port: tor's requests reach the main port from this machine, "
                "so they pass for this machine's own (/metrics) and their headers are read",
                "point the torrc's HiddenServicePort at a port of its own and set onion_port "
                "to it (deploy/torrc)",
            )
        )
    return found


async def check_onion_proxy(config: settings.Config) -> list[Finding]:
    """Whether the onion proxy answers at all: with tor stopped, no onion peer can be
    reached (and with onion_proxy_all, no peer)."""
    if not config.onion_proxy:
        return []
    proxy = parse_proxy(config.onion_proxy)
    try:
        async with asyncio.timeout(PEER_TIMEOUT_SECONDS):
            _, writer = await asyncio.open_connection(proxy.host, proxy.port)
        writer.close()
    except (OSError, TimeoutError) as exc:
        return [
            Finding(
                Level.FAIL if config.onion_proxy_all else Level.WARN,
                f"the onion proxy at {proxy.host}:{proxy.port} does not answer ({exc})",
                "start tor ('sudo systemctl start tor'), or correct onion_proxy",
            )
        ]
    return [Finding(Level.OK, f"the onion proxy at {proxy.host}:{proxy.port} answers")]


async def diagnose(
    data_dir: Path, clock: Clock = system_clock, network: bool = True
) -> list[Finding]:
    try:
        config = settings.load(data_dir)
    except NodeError as exc:
        return [Finding(Level.FAIL, f"config: {exc}", "correct config.toml (docs/OPERATIONS.md)")]
    found = [Finding(Level.OK, f"config.toml is valid ({config.name}, {config.url})")]
    found += check_permissions(data_dir)
    found += check_onion_address(config)
    found += check_data_key(config)
    try:
        _, node_id = load_identity(data_dir)
    except NodeError as exc:
        return [*found, Finding(Level.FAIL, str(exc), "restore node.key from your backup")]
    database = check_database(config.database_path)
    found += database
    if not any(f.level is Level.FAIL for f in database):
        found += check_own_fork(config.database_path, node_id)
    if network:
        found += await check_onion_proxy(config)
    if network and not any(f.level is Level.FAIL for f in database):
        found += await check_network(
            config, node_id, offline.peer_addresses(config.database_path), clock
        )
    return found


def report(findings: list[Finding], out: Callable[[str], None] = print) -> int:
    for finding in findings:
        out(finding.line())
    failed = sum(f.level is Level.FAIL for f in findings)
    warned = sum(f.level is Level.WARN for f in findings)
    out(f"{failed} to fix, {warned} to look at, {len(findings) - failed - warned} ok")
    return 1 if failed else 0
