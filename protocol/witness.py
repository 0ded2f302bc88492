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
from dataclasses import dataclass

from crypto.nodeid import NodeId
from protocol.envelope import Message, MessageId
from protocol.kinds.network import NetworkWitness


@dataclass(frozen=True, slots=True)
class _Citation:
    ts: int  # the witness's own ts, ms
    seq: int
    id: bytes
    witness: MessageId


def majority(count: int) -> int:
    """The fewest hubs that are more than half of `count`."""
    return count // 2 + 1


class Witnesses:
    """The witness messages about one network, indexed by witness and cited origin."""

    def __init__(self, network: bytes, messages: Iterable[Message]) -> None:
        self.network = network
        # witness hub -> cited origin -> citations, by ts
        self._cited: dict[NodeId, dict[NodeId, list[_Citation]]] = defaultdict(
            lambda: defaultdict(list)
        )
        # witness hub -> (ts, seq, id) of each of its witnesses: each covers its own log
        self._own: dict[NodeId, list[_Citation]] = defaultdict(list)
        seen: set[bytes] = set()
        for m in messages:
            body = m.body
            if not isinstance(body, NetworkWitness) or body.network != network or m.id in seen:
                continue
            seen.add(m.id)
            self._own[m.origin].append(_Citation(m.created_at, m.seq, m.id, m.id))
            for origin, seq, cited in zip(body.origins, body.seqs, body.ids, strict=True):
                self._cited[m.origin][NodeId(origin)].append(
                    _Citation(m.created_at, seq, cited, m.id)
                )

    def covers(self, hub: NodeId, message: Message, before_ms: int) -> MessageId | None:
        """A witness by `hub`, signed before `before_ms`, that covers `message`, if any.

        A citation of the origin at a later seq covers every message before it in that
        log; at the same seq only the very message cited. A hub's own witness covers
        every message of its own log at a lower seq.
        """
        if hub == message.origin:
            for own in self._own.get(hub, ()):
                if own.ts < before_ms and own.seq > message.seq:
                    return own.witness
        for c in self._cited.get(hub, {}).get(message.origin, ()):
            if c.ts < before_ms and (
                c.seq > message.seq or (c.seq == message.seq and c.id == message.id)
            ):
                return c.witness
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
            own.witness for hub in set(hubs) for own in self._own.get(hub, ()) if own.ts < before_ms
        }

    def times(self) -> list[int]:
        """Every witness's ts, ascending, once each: when what is witnessed can change."""
        return sorted({own.ts for owns in self._own.values() for own in owns})
