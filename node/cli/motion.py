"""`hubnet motion verify`: recount a network motion from this node's store, checking every
signature, so an operator can see the result with no web browser and no trust in the pages."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from node import config as settings
from node.assembly import body_title
from node.errors import NodeError

if TYPE_CHECKING:
    pass


def _when_ms(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000))


async def _verify(args: argparse.Namespace) -> bool:
    try:
        motion_id = bytes.fromhex(args.motion_id)
    except ValueError:
        motion_id = b""
    if len(motion_id) != 32:
        raise NodeError("a motion id is 64 hexadecimal characters")
    from node.node import Node  # here, not at the top: other commands stay quick

    node = await Node.open(settings.load(args.data_dir))
    try:
        assembly = node.assembly
        checked = await assembly.audit(motion_id)
        if checked is None:
            raise NodeError("this node does not hold that motion")
        names = await assembly.hub_names()
    finally:
        await node.close()
    motion, r = checked.motion.body, checked.result
    print(f"motion:   {motion.title}")
    print(f"id:       {checked.motion.id.hex()}")
    print(
        f"body:     {body_title(motion.body)}; rule {motion.rule}; quorum {motion.quorum_percent}%"
    )
    print(f"closes:   {_when_ms(motion.closes * 1000)}{'; sealed votes' if motion.sealed else ''}")
    print(f"phase:    {r.phase.value}{'' if r.final else ' (not final)'}")
    print(f"outcome:  {r.outcome.value}{f': {r.decided}' if r.decided else ''}")
    print(f"seconds:  {r.seconds} of {r.seconds_needed}")
    print(
        f"turnout:  {r.participating} of {r.hubs_in_body} hubs in the body "
        f"({r.quorum_needed} needed); {r.cast} votes cast"
    )
    for option, n in r.counts:
        print(f"  {n:>5}  {option}")
    print("hubs:")
    for h in r.hubs:
        print(
            f"  {names.get(h.origin, '?'):<20} {h.origin}  {h.delegate or '-':<20} "
            f"{h.choice or '-':<12} {h.note}"
        )
    print("messages:")
    sig = {True: "signature ok", False: "SIGNATURE FAILS"}
    print(f"  {checked.motion.id.hex()[:16]}  motion  {sig[checked.signatures[checked.motion.id]]}")
    for v in r.verdicts:
        state = "counted" if v.counted else "not counted"
        print(
            f"  {v.id.hex()[:16]}  {v.kind:<16} {v.origin[:12]}… #{v.seq:<5} "
            f"{_when_ms(v.ts)}  {sig[checked.signatures[v.id]]}  {state}: {v.reason}"
        )
    print(f"digest:   {r.digest}  (SHA-256 over the {len(r.inputs)} sorted input ids)")
    return checked.all_signatures_check


def add_commands(commands: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    motion = commands.add_parser("motion", help="network motions: recount and check one")
    actions = motion.add_subparsers(dest="motion_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="recount a motion from this node's store and check every signature",
        description="Print a motion's tally as this node counts it: every hub's vote and "
        "mandate, every message with whether it counted and why, whether each signature "
        "checks, and the digest of the input set. Works while the node runs or is stopped. "
        "Exits non-zero if the motion is not held or any signature fails.",
    )
    data_dir(verify)
    verify.add_argument(
        "motion_id", metavar="MOTION_ID", help="the motion's id (64 hex characters)"
    )
    verify.set_defaults(func=_cmd_verify)


def _cmd_verify(args: argparse.Namespace) -> int:
    if asyncio.run(_verify(args)):
        return 0
    raise NodeError("some signatures do not check: those messages were not counted")
