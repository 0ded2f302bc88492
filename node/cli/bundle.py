"""`hubnet bundle export` and `hubnet bundle import`: news by USB stick (PROTOCOL.md §15).

Both work whether or not the node is running: like the other commands they write
to the same database (SQLite serialises the writers), and a running node notices
the new messages within a couple of seconds and passes them on to its peers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from node import config as settings
from node.cli.federation import node_id_argument
from node.errors import NodeError
from protocol.bundle import BundleRefused, read_header


def parse_since(text: str) -> int:
    """A date (2026-05-01) or date and time (2026-05-01T18:30), UTC, in ms."""
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise NodeError(f"--since takes a date such as 2026-05-01, got {text!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return int(when.timestamp() * 1000)


def _write_atomically(path: Path, data: bytes) -> None:
    # A stick pulled out mid-write leaves no half bundle under the real name.
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except OSError as exc:
        raise NodeError(f"cannot write {path}: {exc.strerror}") from exc


async def _export(args: argparse.Namespace) -> None:
    from node.node import Node
    from node.progress import Progress

    since = parse_since(args.since) if args.since else 0
    for_hub = node_id_argument(args.for_hub) if args.for_hub else None
    node = await Node.open(settings.load(args.data_dir))
    try:
        total = await node.bundles.count_to_export(since, for_hub)
        with Progress("export", total, "messages") as progress:
            exported = await node.bundles.export(since, for_hub, progress.update)
    finally:
        await node.close()
    _write_atomically(args.out, exported.data)
    header = exported.header
    print(
        f"Wrote {header.messages:,} messages from {header.origins:,} hubs to {args.out} "
        f"({len(exported.data):,} bytes), signed by this hub ({header.hub})."
    )


async def _import(args: argparse.Namespace) -> None:
    from node.node import Node
    from node.progress import Progress

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise NodeError(f"cannot read {args.file}: {exc.strerror}") from exc
    node = await Node.open(settings.load(args.data_dir))
    try:
        try:
            with Progress("import", read_header(data).messages, "messages") as progress:
                result = await node.bundles.read(data, progress.update)
        except BundleRefused as exc:
            raise NodeError(f"refused {args.file}, nothing was stored: {exc.message}") from exc
    finally:
        await node.close()
    when = datetime.datetime.fromtimestamp(result.created_at / 1000, datetime.UTC)
    print(f"Bundle from hub {result.hub}, written {when:%Y-%m-%d %H:%M} UTC.")
    print(result.summary()[0].upper() + result.summary()[1:] + ".")
    for reason, count in sorted(result.reasons.items()):
        print(f"  refused as {reason}: {count:,}")


def _run(coro: Any) -> int:
    asyncio.run(coro)
    return 0


def add_commands(commands: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    bundle = commands.add_parser(
        "bundle", help="exchange messages with another hub by file (USB stick), no network needed"
    )
    actions = bundle.add_subparsers(dest="bundle_command", required=True, metavar="ACTION")

    export = actions.add_parser(
        "export",
        help="write a signed file of the messages this node holds",
        description="Write every message this node would pass on to a peer, exactly as "
        "signed, into one file signed by this hub. Carry it to another hub and run "
        "'hubnet bundle import' there.",
    )
    data_dir(export)
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    export.add_argument(
        "--since", help="only messages this node stored on or after this date (2026-05-01, UTC)"
    )
    export.add_argument(
        "--for",
        dest="for_hub",
        metavar="HUB",
        help="the receiving hub's node id: leave out what it held when it last wrote a "
        "bundle this node imported",
    )
    export.set_defaults(func=lambda a: _run(_export(a)))

    imp = actions.add_parser(
        "import",
        help="check and store the messages of a bundle file",
        description="Check the bundle's signature and every message in it exactly as if "
        "a peer had sent them, then store them. A damaged or altered bundle is refused "
        "whole, with nothing stored. Importing the same bundle again stores nothing new.",
    )
    data_dir(imp)
    imp.add_argument("file", help="the bundle file")
    imp.set_defaults(func=lambda a: _run(_import(a)))
