"""`hubnet network`: found or join the network, sponsor a newcomer, leave, read the roster."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from node import config as settings
from node.accounts.permissions import OPERATOR
from node.cli.federation import node_id_argument
from node.errors import NodeError
from node.network.actions import (
    DEFAULT_REGIONS,
    DEFAULT_SPONSORS,
    NetworkActions,
    founding_statement,
)
from protocol.errors import SchemaViolation
from protocol.schema import check_body

if TYPE_CHECKING:
    from node.node import Node


def _network_id(text: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != 32:
        raise NodeError("a network id is 64 hexadecimal characters")
    return value


async def _with_node(args: argparse.Namespace, work: Callable[[Node], Any]) -> None:
    from node.node import Node  # here, not at the top: other commands stay quick

    node = await Node.open(settings.load(args.data_dir))
    try:
        await work(node)
    finally:
        await node.close()


def _actions(node: Node) -> NetworkActions:
    return NetworkActions(node.messages, node.membership)


async def _found(args: argparse.Namespace) -> None:
    async def work(node: Node) -> None:
        founders = [node_id_argument(f) for f in args.founder]
        statement = founding_statement(
            args.name,
            [node.node_id, *founders],
            args.sponsors_needed,
            args.region or DEFAULT_REGIONS,
        )
        try:
            check_body(statement)
        except SchemaViolation as exc:
            raise NodeError(f"cannot found a network that way: {exc.message}") from exc
        network = await _actions(node).found(statement)
        print(f"Signed the founding statement of {args.name!r}")
        print(f"network id: {network.hex()}")
        print(
            f"Founders: {len(statement.founders)}. Each of the others runs this same command "
            "with the same names and founders, so all sign the same statement."
        )

    await _with_node(args, work)


async def _join(args: argparse.Namespace) -> None:
    async def work(node: Node) -> None:
        asked = await _actions(node).join(_network_id(args.network))
        if asked is None:
            print("This hub is a member of that network already.")
        else:
            print(
                "Asked to join. Peer with a member hub ('hubnet peer add'); its organisers "
                "sponsor this hub, and it becomes a member once enough have."
            )

    await _with_node(args, work)


async def _sponsor(args: argparse.Namespace) -> None:
    async def work(node: Node) -> None:
        await _actions(node).sponsor(node_id_argument(args.hub), by=OPERATOR)
        print(f"Sponsored {args.hub}.")

    await _with_node(args, work)


async def _leave(args: argparse.Namespace) -> None:
    async def work(node: Node) -> None:
        await _actions(node).leave(args.reason)
        print("This hub has left the network.")

    await _with_node(args, work)


async def _roster(args: argparse.Namespace) -> None:
    async def work(node: Node) -> None:
        membership = node.membership
        roster = membership.roster
        if membership.network is None:
            print("This hub belongs to no network yet ('hubnet network found' or 'join').")
            return
        from node.community.hubs import hub_names  # only this command reads the names

        names = await hub_names(node.db)
        print(f"network: {roster.statement.name if roster.statement else '(statement not held)'}")
        print(f"network id: {membership.network.hex()}")
        print(f"members: {len(membership.members)}")
        for hub in sorted(membership.members, key=lambda h: (names.get(h, ""), h)):
            print(f"  {hub}  {names.get(hub, '?')}")
        if roster.candidates:
            print("asking to join:")
            for c in roster.candidates:
                sponsors = len(c.sponsors)
                print(f"  {c.hub}  {names.get(c.hub, '?')}  sponsors: {sponsors}")
        print(f"digest: {roster.digest}")

    await _with_node(args, work)


def add_commands(commands: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    network = commands.add_parser(
        "network",
        help="the network this hub belongs to: found, join, sponsor, leave, roster",
        description="Who is in the network is decided by the hubs together, by signed "
        "messages every node counts for itself (docs/PROTOCOL.md §14).",
    )
    actions = network.add_subparsers(dest="network_command", required=True, metavar="ACTION")

    found = actions.add_parser(
        "found",
        help="sign a founding statement with the other founders",
        description="Sign a network's founding statement. Every founder runs this with the "
        "same name, founders, sponsor number and regions: the statement's hash is the "
        "network's id.",
    )
    data_dir(found)
    found.add_argument("--name", required=True, help="the network's name")
    found.add_argument(
        "--founder",
        action="append",
        default=[],
        metavar="NODE_ID",
        help="another founding hub's node id (repeat for each; this hub is always one)",
    )
    found.add_argument(
        "--sponsors-needed",
        type=int,
        default=DEFAULT_SPONSORS,
        help=f"member hubs that must sponsor a newcomer (default {DEFAULT_SPONSORS})",
    )
    found.add_argument(
        "--region",
        action="append",
        metavar="NAME",
        help="a region of the network (repeat; default: the UK's nations and regions)",
    )
    found.set_defaults(func=lambda args: _run(_found(args)))

    join = actions.add_parser("join", help="ask to join a network by its id")
    data_dir(join)
    join.add_argument("network", metavar="NETWORK_ID", help="the network's id (64 hex characters)")
    join.set_defaults(func=lambda args: _run(_join(args)))

    sponsor = actions.add_parser("sponsor", help="sponsor a hub that asked to join")
    data_dir(sponsor)
    sponsor.add_argument("hub", metavar="NODE_ID", help="the hub's node id")
    sponsor.set_defaults(func=lambda args: _run(_sponsor(args)))

    leave = actions.add_parser("leave", help="leave the network")
    data_dir(leave)
    leave.add_argument("--reason", help="a sentence for the other hubs")
    leave.set_defaults(func=lambda args: _run(_leave(args)))

    roster = actions.add_parser(
        "roster", help="print the members, the hubs asking to join and the roster's digest"
    )
    data_dir(roster)
    roster.set_defaults(func=lambda args: _run(_roster(args)))


def _run(coro: Any) -> int:
    asyncio.run(coro)
    return 0
