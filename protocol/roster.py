"""The network's roster: who is a member, and since when (PROTOCOL.md §14).

`roster` is a pure function of the signed messages it is given, with the tally's
properties: the same set in any order and with repeats gives the same roster,
every message given gets a verdict, and a digest names the inputs.

The rules, in short:
- the founding statement names the founders; each founder that has published the
  statement is a member from the start;
- a hub that asked to join (`network.join`) becomes a member once enough members
  sponsor it (`network.sponsor`: the statement's number, or every member when
  there are fewer), or when a network motion admits it;
- a member leaves by its own `network.leave`, or is removed by a two-thirds motion;
- a sponsorship or a leave takes effect only once a majority of the members of the
  time have witnessed it (protocol.witness), at the moment they had: a date a hub
  writes on its own message moves nothing.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from crypto.digest import sha256
from crypto.nodeid import NodeId
from protocol.envelope import Message, MessageId
from protocol.kinds.assembly import Motion
from protocol.kinds.network import (
    NetworkFound,
    NetworkJoin,
    NetworkLeave,
    NetworkSponsor,
    NetworkWitness,
    network_id,
)
from protocol.tally import tally
from protocol.witness import Witnesses

# The kinds the roster reads, besides `network.witness` and the assembly's.
ROSTER_KINDS = ("network.found", "network.join", "network.sponsor", "network.leave")
ASSEMBLY_KINDS = (
    "motion",
    "motion.second",
    "delegate.mandate",
    "delegate.recall",
    "delegate.vote",
    "delegate.reveal",
)


@dataclass(frozen=True, slots=True)
class Change:
    """A hub joined (or left) the roster at `at_ms`, because of message `cause`."""

    at_ms: int
    hub: NodeId
    joined: bool
    cause: MessageId
    why: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A hub that has asked to join and is not (yet) a member."""

    hub: NodeId
    asked: MessageId
    sponsors: tuple[NodeId, ...]  # members whose sponsorship has taken effect
    pending: tuple[NodeId, ...]  # sponsorships not yet witnessed by a majority


@dataclass(frozen=True, slots=True)
class Roster:
    network: bytes
    statement: NetworkFound | None
    founders: tuple[NodeId, ...]  # founders that published the statement
    changes: tuple[Change, ...]  # in the order they took effect
    candidates: tuple[Candidate, ...]
    verdicts: dict[MessageId, str]  # every message given: what the roster made of it
    inputs: tuple[MessageId, ...]
    digest: str
    _times: tuple[int, ...] = field(default=(), repr=False)
    # Whether a witness yet to come could change it: a sponsorship or leave from a
    # member not yet witnessed, or a motion to admit or remove not yet closed.
    waiting: bool = False

    @property
    def members(self) -> frozenset[NodeId]:
        """The members after every change this node can see."""
        return self.members_at(2**63)

    def members_at(self, at_ms: int) -> frozenset[NodeId]:
        """The members just before `at_ms`: every change at an earlier instant applied."""
        members = set(self.founders)
        for change in self.changes[: bisect_left(self._times, at_ms)]:
            if change.joined:
                members.add(change.hub)
            else:
                members.discard(change.hub)
        return frozenset(members)

    @property
    def regions(self) -> tuple[str, ...]:
        return self.statement.regions if self.statement else ()


def empty_roster(network: bytes) -> Roster:
    return Roster(network, None, (), (), (), {}, (), sha256(b"").hex())


def roster(
    network: bytes,
    messages: Iterable[Message],
    now_ms: int | None = None,
    witnesses: Witnesses | None = None,
) -> Roster:
    """Who is in `network`, from the messages given (PROTOCOL.md §14.2).

    Give it every message of the kinds in ROSTER_KINDS, every `network.witness`, and
    the assembly messages (ASSEMBLY_KINDS) so motions to admit or remove are counted.
    With `now_ms`, nothing after it takes effect: a motion closing later is not
    counted yet, however its votes stand. `witnesses` may be given already indexed
    (a node keeps its index as witnesses arrive); then `messages` need not hold them.
    """
    pool: dict[bytes, Message] = {}
    for m in messages:
        pool.setdefault(m.id, m)
    ordered = sorted(pool.values(), key=lambda m: (m.origin, m.seq, m.id))
    verdicts: dict[MessageId, str] = {}
    statement: NetworkFound | None = None
    signed: set[NodeId] = set()
    inputs: set[bytes] = set()
    for m in ordered:
        if isinstance(m.body, NetworkFound):
            if network_id(m.body) != network:
                verdicts[m.id] = "the founding statement of another network"
            elif m.origin not in m.body.founders:
                verdicts[m.id] = "published by a hub the statement does not name as a founder"
            else:
                statement = m.body
                signed.add(m.origin)
                inputs.add(m.id)
                verdicts[m.id] = "a founder's signature on the statement"
    if statement is None:
        for m in ordered:
            verdicts.setdefault(m.id, "there is no founding statement for this network yet")
        return Roster(network, None, (), (), (), verdicts, (), sha256(b"").hex())
    sweep = _Sweep(network, statement, frozenset(signed), ordered, verdicts, inputs, witnesses)
    sweep.run(now_ms)
    ids = tuple(MessageId(i) for i in sorted(inputs))
    return Roster(
        network=network,
        statement=statement,
        founders=tuple(sorted(signed)),
        changes=tuple(sweep.changes),
        candidates=sweep.candidates(),
        verdicts=verdicts,
        inputs=ids,
        digest=sha256(b"".join(ids)).hex(),
        _times=tuple(c.at_ms for c in sweep.changes),
        waiting=sweep.waiting(now_ms),
    )


class _Sweep:
    """Walks the witnesses' times in order, applying each change when it is shown."""

    def __init__(
        self,
        network: bytes,
        statement: NetworkFound,
        founders: frozenset[NodeId],
        ordered: list[Message],
        verdicts: dict[MessageId, str],
        inputs: set[bytes],
        witnesses: Witnesses | None,
    ) -> None:
        self.statement = statement
        self.members: set[NodeId] = set(founders)
        self.changes: list[Change] = []
        self.verdicts = verdicts
        self.inputs = inputs
        self.all = ordered
        self.assembly: dict[str, list[Message]] = defaultdict(list)
        self.witnesses = witnesses if witnesses is not None else Witnesses(network, ordered)
        self.joins: dict[NodeId, list[Message]] = {}
        self.sponsors: list[Message] = []
        self.leaves: list[Message] = []
        self.motions: list[Message] = []
        # hub -> sponsor hub -> the sponsorship that took effect (since its last leave)
        self.vouched: dict[NodeId, dict[NodeId, Message]] = {}
        self.left_at: dict[NodeId, int] = {}  # hub -> its last leave's seq, in its own log
        for m in ordered:
            body = m.body
            if isinstance(body, NetworkFound | NetworkWitness):
                continue
            if getattr(body, "network", None) not in (None, network):
                verdicts[m.id] = "about another network"
            elif isinstance(body, NetworkJoin):
                self.joins.setdefault(m.origin, []).append(m)
                inputs.add(m.id)
            elif isinstance(body, NetworkSponsor):
                self.sponsors.append(m)
            elif isinstance(body, NetworkLeave):
                self.leaves.append(m)
            elif isinstance(body, Motion) and body.changes_roster:
                self.motions.append(m)
            elif m.kind in ASSEMBLY_KINDS:
                self.assembly[m.kind].append(m)
        for m in ordered:
            if isinstance(m.body, NetworkWitness):
                verdicts.setdefault(m.id, "a witness")

    def run(self, now_ms: int | None) -> None:
        closes = {m.body.closes * 1000 for m in self.motions}
        for t in sorted(set(self.witnesses.times()) | closes):
            if now_ms is not None and t >= now_ms:
                break
            for motion in sorted(
                (m for m in self.motions if m.body.closes * 1000 == t), key=lambda m: m.id
            ):
                self._close(motion, t)
            while self._step(t):
                pass
        self._judge_rest()

    def _asked(self, hub: NodeId) -> Message | None:
        """The hub's request to join made after its last leave, if any."""
        after = self.left_at.get(hub, 0)
        return next((j for j in self.joins.get(hub, []) if j.seq > after), None)

    def _step(self, t: int) -> bool:
        """Apply the first change shown by the witnesses up to `t`; False if none."""
        frozen = frozenset(self.members)
        for m in self.leaves:
            if m.id in self.verdicts or m.origin not in self.members:
                continue
            if self.witnesses.in_time(frozen, m, t + 1)[0]:
                self._change(t, m.origin, False, m, "left the network by its own word")
                self.verdicts[m.id] = "counted: the hub left"
                return True
        for m in self.sponsors:
            if m.id in self.verdicts or m.origin not in self.members:
                continue
            hub = NodeId(m.body.hub)
            if hub in self.members or hub == m.origin:
                # Spent: a sponsorship is for a hub outside, and it does not wait for a leave.
                self.verdicts[m.id] = "not needed: the hub was a member already"
                continue
            if not self.witnesses.in_time(frozen, m, t + 1)[0]:
                continue
            self.vouched.setdefault(hub, {})[m.origin] = m
            self.verdicts[m.id] = "counted: a sponsorship"
            self.inputs.add(m.id)
            asked = self._asked(hub)
            current = [s for s in self.vouched[hub] if s in self.members]
            if asked is not None and len(current) >= self._needed():
                self._change(t, hub, True, m, f"sponsored by {len(current)} member hubs")
            return True
        return False

    def _needed(self) -> int:
        return min(self.statement.sponsors_needed, max(1, len(self.members)))

    def _close(self, motion: Message, t: int) -> None:
        body: Motion = motion.body
        self.inputs.add(motion.id)
        result = tally(
            motion,
            self.assembly["motion.second"],
            self.assembly["delegate.mandate"],
            self.assembly["delegate.recall"],
            self.assembly["delegate.vote"],
            self.assembly["delegate.reveal"],
            t,
            members=frozenset(self.members),
            witnesses=self.witnesses,
        )
        self.inputs.update(result.inputs)
        decided = result.decided
        if body.admit is not None:
            hub = NodeId(body.admit)
            if decided != "For":
                self.verdicts[motion.id] = "a motion to admit a hub that was not carried"
            elif hub in self.members:
                self.verdicts[motion.id] = "carried, but the hub was a member already"
            elif self._asked(hub) is None:
                self.verdicts[motion.id] = "carried, but the hub had not asked to join"
            else:
                self._change(t, hub, True, motion, "admitted by a network motion")
                self.verdicts[motion.id] = "counted: the motion admitted the hub"
        elif body.remove is not None:
            hub = NodeId(body.remove)
            if decided != "For":
                self.verdicts[motion.id] = "a motion to remove a hub that was not carried"
            elif hub not in self.members:
                self.verdicts[motion.id] = "carried, but the hub was not a member"
            else:
                self._change(t, hub, False, motion, "removed by a network motion")
                self.verdicts[motion.id] = "counted: the motion removed the hub"

    def _change(self, t: int, hub: NodeId, joined: bool, cause: Message, why: str) -> None:
        self.changes.append(Change(t, hub, joined, cause.id, why))
        self.inputs.add(cause.id)
        if joined:
            self.members.add(hub)
        else:
            self.members.discard(hub)
            self.vouched.pop(hub, None)
            own = [m for m in self.leaves if m.origin == hub and m.id == cause.id]
            # A later request to join starts afresh: old sponsorships do not carry over.
            self.left_at[hub] = own[0].seq if own else self._last_seq(hub)

    def _last_seq(self, hub: NodeId) -> int:
        return max((m.seq for m in self.all if m.origin == hub), default=0)

    def waiting(self, now_ms: int | None) -> bool:
        pending = [
            m
            for m in (*self.sponsors, *self.leaves)
            if m.origin in self.members
            and not self.verdicts.get(m.id, "").startswith(("counted", "not needed"))
        ]
        opened = [m for m in self.motions if now_ms is None or m.body.closes * 1000 >= now_ms]
        return bool(pending or opened)

    def candidates(self) -> tuple[Candidate, ...]:
        out = []
        for hub in sorted(self.joins):
            asked = self._asked(hub)
            if hub in self.members or asked is None:
                continue
            counted = tuple(sorted(s for s in self.vouched.get(hub, {}) if s in self.members))
            pending = tuple(
                sorted(
                    {
                        m.origin
                        for m in self.sponsors
                        if m.body.hub == hub and m.origin in self.members
                    }
                    - set(counted)
                )
            )
            out.append(Candidate(hub, asked.id, counted, pending))
        return tuple(out)

    def _judge_rest(self) -> None:
        for m in self.all:
            if m.id in self.verdicts:
                continue
            body = m.body
            if isinstance(body, NetworkJoin):
                self.verdicts[m.id] = "a request to join"
            elif isinstance(body, NetworkSponsor):
                self.verdicts[m.id] = (
                    "not counted: the sponsor was not a member, the hub was one already, "
                    "or a majority of members had not witnessed it"
                )
            elif isinstance(body, NetworkLeave):
                self.verdicts[m.id] = (
                    "not counted: the hub was not a member, or a majority had not witnessed it"
                )
            elif isinstance(body, Motion) and body.changes_roster:
                self.verdicts.setdefault(m.id, "a motion that has not closed")
            else:
                self.verdicts[m.id] = f"a {m.kind} message plays no part in the roster"
