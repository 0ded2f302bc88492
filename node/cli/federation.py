"""Federation commands: peering, blocking, writing and reading messages from the shell.

They work while the node runs: they write to the same database (SQLite serialises
the writers) and the running node notices within a couple of seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import mimetypes
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crypto.digest import sha256
from crypto.errors import BadNodeId
from crypto.nodeid import NodeId, parse_node_id
from node import config as settings
from node.clock import describe_age
from node.errors import NodeError
from node.federation.invites import Invite
from node.onion import own_onion_url
from node.store.peers import PeerStore
from protocol.errors import LocalProtocolError, SchemaViolation
from protocol.kinds.hub import Announcement, Resource
from protocol.schema import check_body

if TYPE_CHECKING:
    from node.node import Node


@asynccontextmanager
async def _open(args: argparse.Namespace) -> AsyncIterator[Node]:
    # Imported here, not at the top: `hubnet id` and `--help` stay quick (no aiohttp).
    from node.node import Node

    node = await Node.open(settings.load(args.data_dir))
    try:
        yield node
    finally:
        await node.close()


def node_id_argument(text: str) -> NodeId:
    try:
        return parse_node_id(text)
    except BadNodeId as exc:
        raise NodeError(f"{text!r} is not a node id: {exc}") from exc


def _run(coro: Any) -> int:
    asyncio.run(coro)
    return 0


# -- peer invite / add / list / block / unblock -----------------------------------------


async def _invite(args: argparse.Namespace) -> None:
    async with _open(args) as node:
        onion = own_onion_url(node.config)
        token = await PeerStore(node.db, node.clock).create_invite()
        invite = Invite(node.node_id, node.config.url, token, node.membership.network, onion)
    print(invite)
    if sys.stdout.isatty() and not args.no_qr:
        import segno  # only here: it costs memory in every `hubnet run` otherwise

        out = io.StringIO()
        segno.make(str(invite), error="m").terminal(out=out, compact=True)
        print(out.getvalue())
    print(
        "Give this to the other hub's organiser; they run 'hubnet peer add' with it. "
        "It works once, within 7 days.",
        file=sys.stderr,
    )


async def _add(args: argparse.Namespace) -> None:
    async with _open(args) as node:
        from node.federation.peering import accept_invite

        card, url = await accept_invite(node, args.invite)
    print(f"Peered with {card.name} ({card.node_id}) at {url}")


async def _list(args: argparse.Namespace) -> None:
    async with _open(args) as node:
        peers = await PeerStore(node.db, node.clock).all()
        now = node.clock()
    if not peers:
        print("No peers yet. 'hubnet peer invite' makes an invite for another hub.")
        return
    rows = [("NODE ID", "NAME", "URL", "STATE", "LAST CONTACT", "OUTBOX", "LAST ERROR")]
    for p in peers:
        state = "blocked" if p.blocked else ("failing" if p.failures else "ok")
        rows.append(
            (
                p.node_id,
                p.name or "?",
                p.url,
                state,
                describe_age(p.last_contact, now),
                str(p.outbox_depth),
                (p.last_error or "")[:60],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _set_peer_blocked(blocked: bool) -> Callable[[argparse.Namespace], Any]:
    async def command(args: argparse.Namespace) -> None:
        node_id = node_id_argument(args.node_id)
        async with _open(args) as node:
            if not await PeerStore(node.db, node.clock).set_blocked(node_id, blocked):
                raise NodeError(f"{node_id} is not a peer ('hubnet peer list' shows them)")
        print(f"{'Blocked' if blocked else 'Unblocked'} peer {node_id}")

    return command


def _set_origin_blocked(blocked: bool) -> Callable[[argparse.Namespace], Any]:
    async def command(args: argparse.Namespace) -> None:
        origin = node_id_argument(args.node_id)
        async with _open(args) as node:
            if origin == node.node_id:
                raise NodeError("a node cannot block itself")
            reason = getattr(args, "reason", "") or ""
            await PeerStore(node.db, node.clock).set_origin_blocked(origin, blocked, reason)
        print(f"{'Blocked' if blocked else 'Unblocked'} messages from {origin}")

    return command


# -- announce / log ----------------------------------------------------------------


async def _announce(args: argparse.Namespace) -> None:
    async with _open(args) as node:
        try:
            message = await node.messages.append(
                "announcement", Announcement(text=args.text, title=args.title)
            )
        except LocalProtocolError as exc:
            raise NodeError(exc.message) from exc
    print(f"Announced as message {message.id.hex()} (seq {message.seq})")


async def _resource_add(args: argparse.Namespace) -> None:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NodeError(f"cannot read {path}: {exc.strerror}") from exc
    media_type = args.media_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    body = Resource(
        hash=sha256(data),
        name=path.name,
        media_type=media_type,
        size=len(data),
        title=args.title,
        description=args.description,
    )
    try:
        check_body(body)
    except SchemaViolation as exc:
        raise NodeError(f"cannot publish that file: {exc.message}") from exc
    async with _open(args) as node:
        await node.resources.save(data)  # the file first: a resource message must never dangle
        # Listed (by the message store) and marked held in the message's own transaction.
        files = node.resources
        message = await node.messages.append(
            "resource", body, then=lambda conn, _: files.stored_txn(conn, body.hash)
        )
    print(f"Published {path.name} ({len(data)} bytes) as resource {body.hash.hex()}")
    print(f"message {message.id.hex()} (seq {message.seq})")


async def _forks(args: argparse.Namespace) -> None:
    async with _open(args) as node:
        forked = await node.messages.forked_origins()
        evidence = {o: await node.messages.fork_evidence(o) for o in forked}
    if not forked:
        print("No origin has signed two histories.")
        return
    for origin, at in forked.items():
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(at / 1000))
        print(f"{origin} forked (first seen {when} UTC); not relayed any more")
        for message, kept in evidence[origin]:
            print(f"  seq {message.seq}: kept {kept.hex()[:16]}…,", end=" ")
            print(f"also signed {message.id.hex()[:16]}…")


def _summary(body: Any) -> str:
    for field in ("title", "name", "text", "delegate", "reason", "statement"):
        value = getattr(body, field, None) if not isinstance(body, dict) else body.get(field)
        if isinstance(value, str):
            return value.replace("\n", " ")[:70]
    return ""


async def _log(args: argparse.Namespace) -> None:
    origin = node_id_argument(args.origin) if args.origin else None
    async with _open(args) as node:
        messages = await node.messages.recent(kind=args.kind, origin=origin, limit=args.limit)
    for m in reversed(messages):
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(m.created_at / 1000))
        print(f"{when}  {m.origin[:12]}…  #{m.seq:<5} {m.kind:<17} {_summary(m.body)}")
    if not messages:
        print("No messages match.", file=sys.stderr)


def add_commands(commands: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    peer = commands.add_parser("peer", help="peer with other hubs: invite, add, list, block")
    peer_commands = peer.add_subparsers(dest="peer_command", required=True, metavar="ACTION")

    invite = peer_commands.add_parser(
        "invite", help="print an invite for another hub (and a QR code on a terminal)"
    )
    data_dir(invite)
    invite.add_argument("--no-qr", action="store_true", help="never print the QR code")
    invite.set_defaults(func=lambda a: _run(_invite(a)))

    add = peer_commands.add_parser(
        "add",
        help="accept another hub's invite; both nodes then know each other",
        description="Accept an invite made by 'hubnet peer invite' on another hub's node. "
        "That node must be running and reachable.",
    )
    data_dir(add)
    add.add_argument("invite", help="the invite line, hubnet://invite?…")
    add.set_defaults(func=lambda a: _run(_add(a)))

    listing = peer_commands.add_parser("list", help="show peers: state, last contact, outbox")
    data_dir(listing)
    listing.set_defaults(func=lambda a: _run(_list(a)))

    for name, blocked, text in (
        ("block", True, "stop exchanging with a peer and drop its messages"),
        ("unblock", False, "undo 'peer block'"),
    ):
        sub = peer_commands.add_parser(name, help=text)
        data_dir(sub)
        sub.add_argument("node_id", metavar="ID", help="the peer's node id")
        sub.set_defaults(func=lambda a, b=blocked: _run(_set_peer_blocked(b)(a)))

    for name, blocked, text in (
        ("block-origin", True, "drop every message from an origin, from any peer"),
        ("unblock-origin", False, "undo 'block-origin'"),
    ):
        sub = commands.add_parser(name, help=text)
        data_dir(sub)
        sub.add_argument("node_id", metavar="ID", help="the origin's node id")
        if blocked:
            sub.add_argument("--reason", help="a note for the other organisers")
        sub.set_defaults(func=lambda a, b=blocked: _run(_set_origin_blocked(b)(a)))

    announce = commands.add_parser("announce", help="publish a signed announcement")
    data_dir(announce)
    announce.add_argument("text", help="what to announce")
    announce.add_argument("--title", help="an optional title")
    announce.set_defaults(func=lambda a: _run(_announce(a)))

    resource = commands.add_parser(
        "resource", help="publish a file (fact sheet, leaflet, image) to the network"
    )
    resource_commands = resource.add_subparsers(
        dest="resource_command", required=True, metavar="ACTION"
    )
    resource_add = resource_commands.add_parser(
        "add", help="store a file and publish a signed resource message naming its hash"
    )
    data_dir(resource_add)
    resource_add.add_argument("file", help="the file to publish (at most 50 MiB)")
    resource_add.add_argument("--title", required=True, help="what the file is")
    resource_add.add_argument("--description", help="a longer description")
    resource_add.add_argument("--media-type", help="e.g. application/pdf (guessed by default)")
    resource_add.set_defaults(func=lambda a: _run(_resource_add(a)))

    forks = commands.add_parser(
        "forks", help="list origins seen signing two messages at one seq (kept as evidence)"
    )
    data_dir(forks)
    forks.set_defaults(func=lambda a: _run(_forks(a)))

    log = commands.add_parser("log", help="list stored messages, oldest first")
    data_dir(log)
    log.add_argument("--origin", help="only messages from this node id")
    log.add_argument("--kind", help="only messages of this kind, e.g. announcement")
    log.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    log.set_defaults(func=lambda a: _run(_log(a)))
