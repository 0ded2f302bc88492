"""Operations commands: backup and restore, recovery, keys, and the doctor.

docs/OPERATIONS.md is the manual for each; tests/unit/test_operations_doc.py
checks that every command it shows exists with the options it uses.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crypto.errors import BadNodeId
from crypto.nodeid import parse_node_id
from node import config as settings
from node import recovery
from node.errors import NodeError
from node.identity import KEY_FILE, NODE_ID_FILE

if TYPE_CHECKING:
    from node import keys
    from node.node import Node


@asynccontextmanager
async def _open(data_dir: Path) -> AsyncIterator[Node]:
    # Imported here, not at the top: `hubnet id` and `--help` stay quick (no aiohttp).
    from node.node import Node

    node = await Node.open(settings.load(data_dir))
    try:
        yield node
    finally:
        await node.close()


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    exponent = min(3, (n.bit_length() - 1) // 10)
    return f"{n / 1024**exponent:.1f} {('KiB', 'MiB', 'GiB')[exponent - 1]}"


def cmd_backup(args: argparse.Namespace) -> int:
    from node.backup import create_backup

    summary = create_backup(args.data_dir, args.out, with_key=args.with_key)
    print(
        f"Backed up {summary.node_id} to {summary.path} ({_size(summary.size)}): "
        f"{summary.messages} messages (own log up to seq {summary.own_seq}), "
        f"{summary.files} other files (key, config, library files, receipts…)"
    )
    print("The backup holds the node's private key: keep it where only organisers can read it.")
    if args.with_key:
        print("It also holds the key to members' details: keep it apart from other backups.")
    else:
        print("Members' details in it are sealed; it does not hold the key that opens them.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from node.backup import restore_backup

    manifest = restore_backup(args.backup, args.data_dir)
    print(
        f"Restored {manifest['node_id']} into {args.data_dir} "
        f"(own log up to seq {manifest['own_seq']} at the time of the backup)"
    )
    print(
        "The node is recovering: once started ('hubnet run') it fetches its own log back "
        "from its peers before it writes anything. Check the url in config.toml first "
        "if the node moved to a new address."
    )
    return 0


def cmd_recovery_finish(args: argparse.Namespace) -> int:
    async def finish() -> bool:
        async with _open(args.data_dir) as node:
            return await recovery.finish(node.db)

    if asyncio.run(finish()):
        print("Recovery finished by hand: the node writes again.")
    else:
        print("The node was not recovering.")
    return 0


def cmd_key_commit(args: argparse.Namespace) -> int:
    async def run() -> keys.KeyChange:
        from node import keys  # with the node it needs, not at the top

        async with _open(args.data_dir) as node:
            return await keys.commit(node, args.successor_out)

    change = asyncio.run(run())
    print(f"Committed to a successor key (key.commit, seq {change.seq}).")
    _successor_advice(args.successor_out)
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    async def run() -> keys.KeyChange:
        from node import keys  # with the node it needs, not at the top

        async with _open(args.data_dir) as node:
            return await keys.rotate(node, args.successor_key, args.successor_out)

    change = asyncio.run(run())
    assert change.new_public_key is not None
    print(f"Rotated to key {change.new_public_key.hex()} (key.rotate, seq {change.seq}).")
    print(f"The old key is kept as {args.data_dir / (KEY_FILE + '.old')}; delete it when done.")
    _successor_advice(args.successor_out)
    print("Restart the node ('systemctl restart hubnet') so it signs with the new key.")
    return 0


def cmd_key_revoke(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    if args.node_id:
        try:
            node_id = parse_node_id(args.node_id)
        except BadNodeId as exc:
            raise NodeError(f"--node-id: {exc}") from exc
        (data_dir / NODE_ID_FILE).write_text(node_id + "\n", encoding="ascii")
    if not (data_dir / KEY_FILE).exists():
        # The key is lost: sign with the successor from the start; its id is in node.id.
        if not (data_dir / NODE_ID_FILE).exists():
            raise NodeError(f"{data_dir / KEY_FILE} is lost: give the node id with --node-id")
        shutil.copyfile(args.successor_key, data_dir / (KEY_FILE + ".tmp"))
        (data_dir / (KEY_FILE + ".tmp")).chmod(0o600)
        (data_dir / (KEY_FILE + ".tmp")).replace(data_dir / KEY_FILE)

    async def run() -> keys.KeyChange:
        from node import keys  # with the node it needs, not at the top

        async with _open(data_dir) as node:
            return await keys.revoke(node, args.successor_key, args.successor_out, args.reason)

    change = asyncio.run(run())
    assert change.new_public_key is not None
    print(
        f"Revoked the old key; {change.new_public_key.hex()} is now in force "
        f"(key.revoke, seq {change.seq})."
    )
    _successor_advice(args.successor_out)
    print("Restart the node ('systemctl restart hubnet') so it signs with the new key.")
    return 0


def cmd_fork_resolve(args: argparse.Namespace) -> int:
    async def run() -> keys.KeyChange:
        from node import keys  # with the node it needs, not at the top

        async with _open(args.data_dir) as node:
            return await keys.resolve_fork(
                node, args.successor_key, args.successor_out, args.seq, args.reason
            )

    change = asyncio.run(run())
    assert change.new_public_key is not None
    print(
        f"Resolved the fork: this node's branch is its log (fork.resolve, seq {change.seq}); "
        f"{change.new_public_key.hex()} is now in force."
    )
    _successor_advice(args.successor_out)
    print("Restart the node ('systemctl restart hubnet'): peers relay it again once they have it.")
    return 0


def _successor_advice(path: Path) -> None:
    print(
        f"The next successor key is in {path}: move it off this machine (a USB stick in a "
        "drawer, a password manager) and delete it here. You need it to rotate again, or "
        "to revoke this key if it is ever lost or stolen."
    )


def cmd_catch_up(args: argparse.Namespace) -> int:
    from node.federation.client import PeerError
    from node.federation.service import Federation
    from node.progress import Progress

    async def run() -> tuple[int, int, list[str]]:
        async with _open(args.data_dir) as node:
            federation = Federation(node)
            await federation.connect()
            failed: list[str] = []
            try:
                peers = [p for p in await federation.peers.all() if not p.blocked]
                with Progress("catch-up", 0, "messages") as progress:
                    first = True

                    def behind(_peer: object, count: int) -> None:
                        if first:  # later rounds fetch what the first one counted
                            progress.add_total(count)

                    federation.on_pull.append(behind)
                    node.messages.on_stored.append(lambda stored: progress.update(len(stored)))
                    # A hub's messages are stored only once the roster names it a member
                    # (PROTOCOL.md §14.5), and the roster follows from messages pulled here:
                    # pull again while it grows, as a running node does.
                    members = None
                    while members != node.membership.members:
                        members = node.membership.members
                        failed = []
                        for peer in peers:
                            try:
                                await federation.pull_from(peer)
                            except PeerError as exc:
                                failed.append(f"{peer.node_id}: {exc}")
                        first = False
                        await node.membership.refresh()
                    return progress.count, len(peers), failed
            finally:
                await federation.stop()

    stored, asked, failed = asyncio.run(run())
    print(f"Stored {stored} messages from {asked - len(failed)} of {asked} peers.")
    for line in failed:
        print(f"not reached: {line}")
    return 1 if failed and len(failed) == asked else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from node.doctor import diagnose, report

    return report(asyncio.run(diagnose(args.data_dir, network=not args.offline)))


def add_commands(commands: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    backup = commands.add_parser(
        "backup",
        help="write a consistent backup of the node while it runs",
        description="Write one file holding a consistent copy of the database, the key, the "
        "config and the resource files. Safe while the node runs.",
    )
    data_dir(backup)
    backup.add_argument("out", type=Path, metavar="OUT", help="the backup file to write")
    backup.add_argument(
        "--with-key",
        action="store_true",
        help="also put in the key file that unlocks members' details (kept out by default)",
    )
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser(
        "restore",
        help="restore a backup into a new data directory",
        description="Check a backup made by 'hubnet backup' and unpack it into a new "
        "directory. The restored node fetches its own log back from its peers before it "
        "writes anything, so it never reuses a seq it published after the backup.",
    )
    data_dir(restore)
    restore.add_argument("backup", type=Path, metavar="BACKUP", help="the backup file")
    restore.set_defaults(func=cmd_restore)

    rec = commands.add_parser("recovery", help="the recovering state after a restore")
    rec_commands = rec.add_subparsers(dest="recovery_command", required=True, metavar="ACTION")
    finish = rec_commands.add_parser(
        "finish",
        help="let a restored node write before it has heard from every peer",
        description="End the recovering state by hand. Only when the peers that have not "
        "answered are gone for good: if one of them holds messages this node wrote after "
        "the backup, the next message written here forks the node's log.",
    )
    data_dir(finish)
    finish.set_defaults(func=cmd_recovery_finish)

    key = commands.add_parser(
        "key",
        help="the node's signing key (commit, rotate, revoke) and the key to members' details"
        " (passphrase, file)",
    )
    key_commands = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    commit = key_commands.add_parser(
        "commit",
        help="make a successor key to keep offline and publish a commitment to it",
    )
    data_dir(commit)
    commit.add_argument(
        "--successor-out", type=Path, required=True, help="where to write the successor key"
    )
    commit.set_defaults(func=cmd_key_commit)

    rotate = key_commands.add_parser(
        "rotate",
        help="replace the node's key, keeping its id (stop the node first)",
        description="Publish key.rotate signed by the current key and counter-signed by the "
        "new one; peers follow it. Uses the committed successor key if there is one, and "
        "commits to a new successor.",
    )
    data_dir(rotate)
    rotate.add_argument(
        "--successor-key", type=Path, help="the successor key file made by the last commit"
    )
    rotate.add_argument(
        "--successor-out", type=Path, required=True, help="where to write the next successor"
    )
    rotate.set_defaults(func=cmd_key_rotate)

    revoke = key_commands.add_parser(
        "revoke",
        help="hand over to the committed successor when the key is lost or stolen",
        description="Publish key.revoke, signed by the successor key committed in advance; "
        "from then on peers refuse anything signed by the old key.",
    )
    data_dir(revoke)
    revoke.add_argument(
        "--successor-key", type=Path, required=True, help="the committed successor key file"
    )
    revoke.add_argument(
        "--successor-out", type=Path, required=True, help="where to write the next successor"
    )
    revoke.add_argument("--reason", help="a note for other hubs, e.g. 'laptop stolen'")
    revoke.add_argument("--node-id", help="the node's id, if node.key and node.id are both lost")
    revoke.set_defaults(func=cmd_key_revoke)
    from node.cli import atrest

    atrest.add_key_commands(key_commands, data_dir)
    atrest.add_commands(commands, data_dir)

    fork = commands.add_parser("fork", help="resolve a fork of this node's own log")
    fork_commands = fork.add_subparsers(dest="fork_command", required=True, metavar="ACTION")
    resolve = fork_commands.add_parser(
        "resolve",
        help="after a stale restore forked this node's log: keep the branch it holds",
        description="Publish fork.resolve, signed by the successor key committed in advance, "
        "naming this node's own message at the forked seq; peers drop the other branch "
        "(keeping it as evidence) and relay this hub again. Stop the node first.",
    )
    data_dir(resolve)
    resolve.add_argument(
        "--successor-key", type=Path, required=True, help="the committed successor key file"
    )
    resolve.add_argument(
        "--successor-out", type=Path, required=True, help="where to write the next successor"
    )
    resolve.add_argument(
        "--seq", type=int, help="the forked seq (default: the first one this node holds proof of)"
    )
    resolve.add_argument("--reason", help="a note for other hubs, e.g. 'restored an old backup'")
    resolve.set_defaults(func=cmd_fork_resolve)

    catch_up = commands.add_parser(
        "catch-up",
        help="fetch everything the peers hold that this node lacks, now, with progress",
        description="Pull from every peer once and show progress: for a new node joining a "
        "network with a long history. The running node does the same by itself, quietly.",
    )
    data_dir(catch_up)
    catch_up.set_defaults(func=cmd_catch_up)

    doctor = commands.add_parser(
        "doctor",
        help="check config, permissions, database, clock and peers; say what to fix",
    )
    data_dir(doctor)
    doctor.add_argument(
        "--offline", action="store_true", help="skip the checks that contact this node and peers"
    )
    doctor.set_defaults(func=cmd_doctor)
