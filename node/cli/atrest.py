"""Commands for members' data sealed at rest: `hubnet key passphrase`, `hubnet key
file`, `hubnet lock` and `hubnet unlock` (node/atrest.py; docs/OPERATIONS.md,
"Members' data at rest").

They open the database beside a running node, as other commands do: `hubnet lock`
records the lock and the running node forgets its key within a second.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node import config as settings
from node.errors import NodeError

if TYPE_CHECKING:
    from node.atrest import AtRest


def read_passphrase(prompt: str) -> str:
    """From the terminal without echo; from standard input when it is not one (scripts)."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


@asynccontextmanager
async def _opened(data_dir: Path, need_key: bool = True) -> AsyncIterator[AtRest]:
    """The hub's database, unlocked with its key file if it can be; when `need_key`
    and it cannot, with the passphrase asked for here (the lock stays as it was)."""
    from node.atrest import AtRest, key_places
    from node.clock import system_clock
    from node.store.database import Database

    config = settings.load(data_dir)
    places = key_places(config)
    db = await Database.open(config.database_path, places)
    try:
        atrest = AtRest(db, places, system_clock)
        if need_key and atrest.locked:
            status = await atrest.status()
            if not status.passphrase:
                raise NodeError(
                    "the hub is locked and no key file that unlocks it was found: put the key"
                    " file in place (setting data_key_file) or give it with --key-file"
                )
            await atrest.unlock(read_passphrase("Current passphrase: "), lift_lock=False)
        yield atrest
    finally:
        await db.close()


def cmd_key_passphrase(args: argparse.Namespace) -> int:
    async def run() -> None:
        async with _opened(args.data_dir) as atrest:
            first = read_passphrase("New passphrase: ")
            if sys.stdin.isatty() and read_passphrase("Again: ") != first:
                raise NodeError("the two passphrases differ; nothing was changed")
            await atrest.set_passphrase(first, only=args.only)

    asyncio.run(run())
    print("The passphrase now unlocks members' details.")
    if args.only:
        print("No key file unlocks them any more: without the passphrase they are lost.")
    return 0


def cmd_key_file(args: argparse.Namespace) -> int:
    path: Path = args.path.expanduser().absolute()

    async def run() -> None:
        async with _opened(args.data_dir) as atrest:
            await atrest.move_key_file(path)

    asyncio.run(run())
    settings.set_in_file(args.data_dir / settings.CONFIG_FILE, {"data_key_file": str(path)})
    print(f"Wrote a new key file to {path}; the one in the data directory is gone.")
    print("Keep a copy somewhere safe: without it (or the passphrase) members' details are lost.")
    print("Restart the node ('systemctl restart hubnet') so it looks for the key there.")
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    from node.accounts.permissions import OPERATOR

    async def run() -> None:
        async with _opened(args.data_dir, need_key=False) as atrest:
            await atrest.lock(OPERATOR, "locked from the command line")

    asyncio.run(run())
    print("Locked: members' details are sealed and everyone is logged out.")
    print("Unlock with 'hubnet unlock' or the hub's /unlock page.")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    async def run() -> None:
        async with _opened(args.data_dir, need_key=False) as atrest:
            if args.key_file is not None:
                from node.store.sealing import read_key_file

                key = read_key_file(args.key_file)
                if key is None:
                    raise NodeError(f"there is no key file at {args.key_file}")
                await atrest.unlock(key_file=key)
            else:
                await atrest.unlock(read_passphrase("Passphrase: "))

    asyncio.run(run())
    print("Unlocked. A running node unlocks within a second if its key file is in place;")
    print("one that unlocks only by passphrase: give it on the hub's /unlock page.")
    return 0


def add_key_commands(
    key_commands: Any, data_dir: Callable[[argparse.ArgumentParser], None]
) -> None:
    passphrase = key_commands.add_parser(
        "passphrase",
        help="add or change the passphrase that unlocks members' details",
        description="Wrap the key to members' sealed details under a passphrase (scrypt), "
        "asked for on the terminal. With --only, no key file unlocks them any more and the "
        "one in the data directory is overwritten and removed.",
    )
    data_dir(passphrase)
    passphrase.add_argument(
        "--only", action="store_true", help="forget every key file: only the passphrase unlocks"
    )
    passphrase.set_defaults(func=cmd_key_passphrase)

    key_file = key_commands.add_parser(
        "file",
        help="write a new key file for members' details elsewhere (a USB stick)",
        description="Write a new key file at PATH, make it the one that unlocks members' "
        "details, overwrite and remove the one in the data directory, and set data_key_file.",
    )
    data_dir(key_file)
    key_file.add_argument("path", type=Path, metavar="PATH", help="where to write the key file")
    key_file.set_defaults(func=cmd_key_file)


def add_commands(
    commands: Any,
    data_dir: Callable[[argparse.ArgumentParser], None],
) -> None:
    lock = commands.add_parser(
        "lock",
        help="lock members' details now (a running node forgets its key within a second)",
        description="The panic lock: members' details stay sealed, every session ends, and "
        "a restart stays locked until 'hubnet unlock' or the /unlock page.",
    )
    data_dir(lock)
    lock.set_defaults(func=cmd_lock)

    unlock = commands.add_parser(
        "unlock",
        help="lift the lock with the passphrase (asked for) or a key file",
        description="Check the passphrase or key file against the hub and lift its lock.",
    )
    data_dir(unlock)
    unlock.add_argument("--key-file", type=Path, help="a key file that unlocks the hub")
    unlock.set_defaults(func=cmd_unlock)
