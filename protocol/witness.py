"""When did a message exist? What the network's witnesses can show (PROTOCOL.md §14.4).

A message's own `ts` is only its author's word: a hub can sign a vote after a motion
closes and date it before. Instead, a message counts as existing before time T when a
majority of the network's member hubs had witnessed it before T: each hub's node
signs `network.witness` messages citing how far it held each member's log. One
dishonest hub can date its own witnesses as it likes, but not anybody else's.

`Witnesses` indexes the witness messages a node holds; it is pure and reads no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from crypto.nodeid import NodeId
from protocol.envelope import Message, MessageId
from protocol.kinds.network import NetworkWitness

# (ts of the witness in ms, seq cited, id cited, id of the witness): tuples, not
# objects, because a node holds one per member per witness.
_Citation = tuple[int, int, bytes, MessageId]


def majority(count: int) -> int:
    """The fewest hubs that are more than half of `count`."""
    return count // 2 + 1


class Witnesses:
    """The witness messages about one network, indexed by witness and cited origin."""

    def __init__(self, network: bytes, messages: Iterable[Message]) -> None:
        self.network = network
        # witness hub -> cited origin -> citations
        self._cited: dict[NodeId, dict[NodeId, list[_Citation]]] = defaultdict(
            lambda: defaultdict(list)
        )
        # witness hub -> each of its witnesses: each covers its own log before it
        self._own: dict[NodeId, list[_Citation]] = defaultdict(list)
        self._seen: set[bytes] = set()
        for m in messages:
            self.add(m)

    def add(self, m: Message) -> bool:
        """Index one more message; False if it is not a new witness about this network."""
        body = m.body
        if not isinstance(body, NetworkWitness) or body.network != self.network:
            return False
        if m.id in self._seen:
            return False
        self._seen.add(m.id)
        ts, witness = m.created_at, m.id
        self._own[m.origin].append((ts, m.seq, witness, witness))
        cited = self._cited[m.origin]
        for origin, seq, cited_id in zip(body.origins, body.seqs, body.ids, strict=True):
            cited[NodeId(origin)].append((ts, seq, cited_id, witness))
        return True

    def covers(self, hub: NodeId, message: Message, before_ms: int) -> MessageId | None:
        """A witness by `hub`, signed before `before_ms`, that covers `message`, if any.

        A citation of the origin at a later seq covers every message before it in that
        log; at the same seq only the very message cited. A hub's own witness covers
        every message of its own log at a lower seq.
        """
        if hub == message.origin:
            for ts, seq, _, witness in self._own.get(hub, ()):
                if ts < before_ms and seq > message.seq:
                    return witness
        cited = self._cited.get(hub)
        for ts, seq, cited_id, witness in cited.get(message.origin, ()) if cited else ():
            if ts < before_ms and (
                seq > message.seq or (seq == message.seq and cited_id == message.id)
            ):
                return witness
        return None

    def witnessed_by(
        self, hubs: Iterable[NodeId], message: Message, before_ms: int
    ) -> list[NodeId]:
        """Which of `hubs` had witnessed `message` before `before_ms`, sorted."""
        return sorted(h for h in set(hubs) if self.covers(h, message, before_ms) is not None)

    def in_time(
        self, hubs: frozenset[NodeId], message: Message, before_ms: int
    ) -> tuple[bool, int]:
        """Whether a majority of `hubs` witnessed `message` before `before_ms`, and how many."""
        count = len(self.witnessed_by(hubs, message, before_ms))
        return count >= majority(len(hubs)), count

    def ids_before(self, hubs: Iterable[NodeId], before_ms: int) -> set[bytes]:
        """The ids of the witnesses by `hubs` signed before `before_ms` (a tally's inputs)."""
        return {
            witness
            for hub in set(hubs)
            for ts, _, _, witness in self._own.get(hub, ())
            if ts < before_ms
        }

    def times(self) -> list[int]:
        """Every witness's ts, ascending, once each: when what is witnessed can change."""
        return sorted({own[0] for owns in self._own.values() for own in owns})
