"""Hubs that sign real assembly messages in their own chained logs, for tally tests."""

from __future__ import annotations

from typing import Any

from crypto.digest import sha256
from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, node_id_from_public_key
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.assembly import (
    DelegateMandate,
    DelegateRecall,
    DelegateReveal,
    DelegateVote,
    Motion,
    MotionSecond,
)
from protocol.kinds.network import NetworkWitness
from protocol.tally import REVEAL_SECONDS, Result, commitment, tally
from protocol.witness import Witnesses

DAY = 86_400
# Every test hub by node id, so count() can have each member witness honestly.
KNOWN: dict[NodeId, LogHub] = {}
START = 1_767_225_600  # 2026-01-01T00:00:00Z, seconds
CLOSES = START + 14 * DAY


class LogHub:
    """One hub's log: each message links to the one before, signed with its key."""

    def __init__(self, n: int) -> None:
        self.key = SigningKey(n.to_bytes(2, "big") * 16)
        self.node_id: NodeId = node_id_from_public_key(self.key.public_key)
        self.seq = 0
        self.prev: MessageId | None = None
        KNOWN[self.node_id] = self

    def send(self, kind: str, body: Any, at: int) -> Message:
        """A message signed at `at` seconds (ts is in ms)."""
        self.seq += 1
        message = create_message(self.key, kind, body, self.seq, self.prev, at * 1000)
        self.prev = message.id
        return message

    def mandate(self, at: int = START, body: str = "national", name: str = "Sam") -> Message:
        return self.send(
            "delegate.mandate",
            DelegateMandate(delegate=name, body=body, starts=at, ends=at + 365 * DAY),
            at,
        )

    def recall(self, mandate: Message, at: int) -> Message:
        return self.send("delegate.recall", DelegateRecall(mandate=mandate.id), at)

    def motion(self, at: int = START + DAY, **rules: Any) -> Message:
        fields: dict[str, Any] = {
            "body": "national",
            "title": "Join the national day of action",
            "text": "The network joins the day of action on 1 May.",
            "options": ("For", "Against", "Abstain"),
            "seconds_needed": 2,
            "closes": CLOSES,
            "rule": "majority",
            "quorum_percent": 50,
        } | rules
        return self.send("motion", Motion(**fields), at)

    def second(self, motion: Message, at: int = START + 2 * DAY) -> Message:
        return self.send("motion.second", MotionSecond(motion=motion.id), at)

    def vote(self, motion: Message, mandate: Message, choice: str, at: int) -> Message:
        return self.send(
            "delegate.vote", DelegateVote(motion=motion.id, mandate=mandate.id, choice=choice), at
        )

    def seal(
        self, motion: Message, mandate: Message, choice: str, at: int, secret: bytes
    ) -> Message:
        sealed = commitment(motion.id, self.node_id, choice, secret)
        return self.send(
            "delegate.vote",
            DelegateVote(motion=motion.id, mandate=mandate.id, commitment=sealed),
            at,
        )

    def reveal(
        self, motion: Message, vote: Message, choice: str, secret: bytes, at: int
    ) -> Message:
        return self.send(
            "delegate.reveal",
            DelegateReveal(motion=motion.id, vote=vote.id, choice=choice, secret=secret),
            at,
        )


NETWORK = sha256(b"the test network")
HONEST_SEQ = 2**40  # after anything a test hub writes: a witness covers its own log before it


def honest_witness(
    hub: LogHub, messages: list[Message], at_ms: int, network: bytes = NETWORK
) -> Message:
    """What `hub` would witness at `at_ms` had it received every message when its ts says.

    Signed with the hub's key but outside its test log (seq far ahead), so a test
    keeps its own seqs; the tally does not link logs, it only reads citations.
    """
    heads: dict[str, Message] = {}
    for m in messages:
        seen = m.created_at < at_ms and m.kind != "network.witness"
        if seen and (m.origin not in heads or m.seq > heads[m.origin].seq):
            heads[m.origin] = m
    origins = sorted(heads)
    body = NetworkWitness(
        network=network,
        origins=tuple(origins),
        seqs=tuple(heads[o].seq for o in origins),
        ids=tuple(heads[o].id for o in origins),
    )
    outside = MessageId(sha256(b"outside the test log"))
    return create_message(hub.key, "network.witness", body, HONEST_SEQ, outside, at_ms)


def count(
    motion: Message,
    messages: list[Message],
    now: int = CLOSES + 30 * DAY,
    members: frozenset[NodeId] | None = None,
    witnesses: list[Message] | None = None,
    hubs: list[LogHub] | None = None,
) -> Result:
    """Sort messages into the tally's lists by kind, as a node does.

    Every hub that wrote a message is a member unless `members` says otherwise. With
    no `witnesses` given, each member (or each of `hubs`) witnesses honestly just before
    the close and just before the end of the reveal window.
    """

    def of(kind: str) -> list[Message]:
        return [m for m in messages if m.kind == kind]

    everyone = frozenset({motion.origin, *(m.origin for m in messages)})
    if members is None:
        members = everyone
    if witnesses is None:
        hubs = hubs if hubs is not None else [KNOWN[o] for o in sorted(members) if o in KNOWN]
        close_ms = motion.body.closes * 1000
        reveal_end_ms = close_ms + REVEAL_SECONDS * 1000
        witnesses = [
            honest_witness(hub, [motion, *messages], at)
            for hub in hubs
            for at in (close_ms - 1, reveal_end_ms - 1)
        ]
    return tally(
        motion,
        of("motion.second"),
        of("delegate.mandate"),
        of("delegate.recall"),
        of("delegate.vote"),
        of("delegate.reveal"),
        now * 1000,
        members=members,
        witnesses=Witnesses(NETWORK, witnesses),
    )
