"""The `hubnet` command.

Every command has --help, prints a one-line reason and exits non-zero on failure.
`run` is the composition root: it is the one place in node/ that reaches up to
web/ for the application factory (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from node import config as settings
from node.errors import NodeError

EXIT_ERROR = 1

Command = Callable[[argparse.Namespace], int]


def _data_dir_argument(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get(settings.DATA_DIR_ENV)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(default) if default else None,
        required=default is None,
        help=f"the node's data directory (or set {settings.DATA_DIR_ENV})",
    )


def cmd_init(args: argparse.Namespace) -> int:
    from node.setup import NetworkChoice, init_data_dir

    network: NetworkChoice = args.network_name
    if args.no_network:
        network = False
    elif args.join:
        try:
            network = bytes.fromhex(args.join)
        except ValueError:
            network = b""
        if len(network) != 32:
            raise NodeError("--join takes a network id: 64 hexadecimal characters")
    node_id, password = asyncio.run(
        init_data_dir(
            args.data_dir,
            args.name,
            args.url,
            args.organiser_email,
            args.organiser_name,
            network=network,
        )
    )
    print(f"Created hub node {args.name!r} in {args.data_dir}")
    print(f"node id: {node_id}")
    if args.join:
        print(f"asked to join network {args.join}")
    elif not args.no_network:
        print(f"founded a network of this hub alone: {args.network_name or args.name + ' network'}")
    print(f"organiser email: {args.organiser_email}")
    print(f"organiser password: {password}")
    print("(The password is shown only now: log in and change it.)")
    print(f"Start it with: hubnet run --data-dir {args.data_dir}")
    return 0


def cmd_admin_create(args: argparse.Namespace) -> int:
    password = asyncio.run(_admin_create(args))
    print(f"Created organiser account {args.email}")
    print(f"password: {password}")
    print("(The password is shown only now: log in and change it.)")
    return 0


async def _admin_create(args: argparse.Namespace) -> str:
    import secrets

    from node.accounts.members import AccountError
    from node.node import Node

    node = await Node.open(settings.load(args.data_dir))
    try:
        password = secrets.token_urlsafe(12)
        try:
            await node.members.create_founder(args.name, args.email, password)
        except AccountError as exc:
            raise NodeError(str(exc)) from exc
    finally:
        await node.close()
    return password


def cmd_id(args: argparse.Namespace) -> int:
    from node.identity import load_identity

    print(load_identity(args.data_dir)[1])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = settings.load(args.data_dir, {"host": args.host, "port": args.port})
    from node import logs

    passphrase = None
    if args.ask_passphrase:
        from node.cli.atrest import read_passphrase

        passphrase = read_passphrase("Passphrase for members' details: ")
    logs.configure(config.log_level, config.log_format, config.forget_client_addresses)
    asyncio.run(_serve(config, passphrase))
    return 0


KEEPALIVE_SECONDS = 15  # how long an idle HTTP connection is kept open for its next request
ONION_HOST = "127.0.0.1"  # where tor's HiddenServicePort sends the onion_port's requests


async def _serve(config: settings.Config, passphrase: str | None = None) -> None:
    from aiohttp import web

    # The event loop hands work to threads (SQLite, parsing) and waits for the
    # answer; with CPython's default 5 ms switch interval a busy loop thread keeps
    # the GIL from a finished worker that long. 1 ms trades a little throughput
    # for much lower latency on a loaded node (measured with make bench).
    sys.setswitchinterval(0.001)

    from web.app import create_app  # composition root: see the module docstring
    from web.connections import listen

    # An idle keep-alive connection holds a file descriptor; aiohttp keeps one 75 s
    # by default, so a crowd of idle clients could use up the unit's LimitNOFILE.
    runner = web.AppRunner(
        create_app(config, passphrase=passphrase),
        access_log=None,
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    await runner.setup()
    servers: list[asyncio.Server] = []
    try:
        try:
            listening = await listen(runner, config.host, config.port, config.max_connections)
        except OSError as exc:
            raise NodeError(
                f"cannot listen on {config.host}:{config.port}: {exc.strerror}"
            ) from exc
        servers.append(listening)
        port = int(listening.sockets[0].getsockname()[1])
        if config.onion_port:
            # The onion service's own port, on loopback only: tor runs on this machine,
            # and a request arriving here is known to come through it (web/onion.py).
            try:
                servers.append(
                    await listen(runner, ONION_HOST, config.onion_port, config.max_connections)
                )
            except OSError as exc:
                raise NodeError(
                    f"cannot listen on {ONION_HOST}:{config.onion_port} (onion_port): "
                    f"{exc.strerror}"
                ) from exc
            print(f"hubnet: onion service port {ONION_HOST}:{config.onion_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # Tests and scripts read this line to learn the port when --port 0 was given.
        print(f"hubnet: {config.name} listening on http://{config.host}:{port}", flush=True)
        await stop.wait()
        print("hubnet: stopping", flush=True)
    finally:
        for server in servers:
            server.close()  # accept no more; the runner closes the open connections
        await runner.cleanup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubnet", description="Run a hubnet node: one community hub's own server."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
        help="create a new node: keys, config and database",
        description=(
            "Create a new node in a data directory: an Ed25519 key (node.key, mode 0600), "
            "config.toml and the database. Refuses to touch an existing node."
        ),
    )
    _data_dir_argument(init)
    init.add_argument("--name", required=True, help="the hub's name, e.g. 'Riverside'")
    init.add_argument(
        "--url", required=True, help="public base URL of this node, e.g. https://hub.example.org"
    )
    init.add_argument(
        "--organiser-email",
        default="organiser@localhost",
        help="login email of the first organiser account (default organiser@localhost)",
    )
    init.add_argument("--organiser-name", default="Organiser", help="the first organiser's name")
    choice = init.add_mutually_exclusive_group()
    choice.add_argument(
        "--network-name",
        help="found a new network of this hub alone under this name (the default, named "
        "after the hub); other hubs then ask to join it",
    )
    choice.add_argument(
        "--join",
        metavar="NETWORK_ID",
        help="ask to join an existing network (its id, from another hub's organiser)",
    )
    choice.add_argument(
        "--no-network",
        action="store_true",
        help="belong to no network yet: found or join one later with 'hubnet network'",
    )
    init.set_defaults(func=cmd_init)

    admin = commands.add_parser("admin", help="organiser accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    create = admin_commands.add_parser(
        "create",
        help="create an organiser account in the interim steering group",
        description="Create an active account with the interim steering group's powers "
        "(for a hub's founders, before its first election). Prints the password once.",
    )
    _data_dir_argument(create)
    create.add_argument("--email", required=True, help="login email")
    create.add_argument("--name", required=True, help="the organiser's name")
    create.set_defaults(func=cmd_admin_create)

    run = commands.add_parser(
        "run",
        help="serve the node until Ctrl-C",
        description=(
            "Serve the node's web pages and federation API until interrupted (Ctrl-C or "
            "SIGTERM). Flags override config.toml and HUBNET_* variables."
        ),
    )
    _data_dir_argument(run)
    run.add_argument("--host", help="address to listen on (setting: host)")
    run.add_argument("--port", type=int, help="TCP port, 0 for any free one (setting: port)")
    run.add_argument(
        "--ask-passphrase",
        action="store_true",
        help="ask for the passphrase that unlocks members' details before serving (read "
        "from standard input when it is not a terminal); the node does not start if it "
        "is wrong",
    )
    run.set_defaults(func=cmd_run)

    ident = commands.add_parser(
        "id", help="print this node's id", description="Print the node id (derived from its key)."
    )
    _data_dir_argument(ident)
    ident.set_defaults(func=cmd_id)

    from node.cli.federation import add_commands

    add_commands(commands, _data_dir_argument)

    from node.cli.network import add_commands as add_network_commands

    add_network_commands(commands, _data_dir_argument)
    from node.cli.motion import add_commands as add_motion_commands

    add_motion_commands(commands, _data_dir_argument)
    from node.cli import bundle, operations

    bundle.add_commands(commands, _data_dir_argument)

    operations.add_commands(commands, _data_dir_argument)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command = args.func
    try:
        return func(args)
    except NodeError as exc:
        print(f"hubnet: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
