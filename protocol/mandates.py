"""Which delegate mandate is in force (PROTOCOL.md §13.2), as one pure rule.

A hub's mandate for a body is its latest `delegate.mandate` for that body in its
own log, unless the hub has recalled that very mandate or the time given is
outside its term. The tally (at each vote and second, and at the close), the
seats of the assemblies page and the node's own "may we vote?" all ask
`MandateBook.in_force`, so no page can show a delegate the tally would not count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crypto.nodeid import NodeId
from protocol.envelope import Message
from protocol.kinds.assembly import DelegateMandate, DelegateRecall


def log_order(m: Message) -> tuple[int, bytes]:
    # Within one origin the log's seq is the order; a fork's two messages at one seq
    # are ordered by id, so every node orders the same set the same way.
    return (m.seq, m.id)


@dataclass(frozen=True, slots=True)
class MandateBook:
    """One body's mandates and every recall, by hub, each hub's in log order, no repeats."""

    body: str
    mandates: Mapping[NodeId, tuple[Message, ...]]
    recalls: Mapping[NodeId, tuple[Message, ...]]

    def in_force(
        self, origin: NodeId, at_ms: int, before_seq: int | None = None
    ) -> tuple[Message | None, str]:
        """The hub's mandate in force at `at_ms`, and if none, why not.

        With `before_seq`, only messages before that point of the hub's log count
        (a vote is judged by the mandates and recalls its hub had signed before it).
        """
        mandates = [
            m for m in self.mandates.get(origin, ()) if before_seq is None or m.seq < before_seq
        ]
        if not mandates:
            return None, "the hub had no mandate for this body"
        latest = mandates[-1]
        # A recall ends exactly the mandate it names, and only its own hub's: an older
        # mandate does not come back, and a later one is untouched.
        for recall in self.recalls.get(origin, ()):
            if recall.body.mandate == latest.id and (before_seq is None or recall.seq < before_seq):
                return None, f"the hub had recalled its delegate (recall at seq {recall.seq})"
        body: DelegateMandate = latest.body
        if at_ms < body.starts * 1000:
            return None, "the delegate's term had not started"
        if at_ms >= body.ends * 1000:
            return None, "the delegate's term had ended"
        return latest, ""

    def holders(self, at_ms: int) -> dict[NodeId, Message]:
        """Every hub with a mandate for the body in force at `at_ms`, with that mandate."""
        found = {origin: self.in_force(origin, at_ms)[0] for origin in self.mandates}
        return {origin: m for origin, m in sorted(found.items()) if m is not None}


def mandate_book(body: str, messages: Iterable[Message]) -> MandateBook:
    """The book for `body` from any messages: its mandates and all recalls; others are ignored."""
    mandates: dict[NodeId, dict[bytes, Message]] = defaultdict(dict)
    recalls: dict[NodeId, dict[bytes, Message]] = defaultdict(dict)
    for m in messages:
        if isinstance(m.body, DelegateMandate) and m.body.body == body:
            mandates[m.origin].setdefault(m.id, m)
        elif isinstance(m.body, DelegateRecall):
            recalls[m.origin].setdefault(m.id, m)
    return MandateBook(
        body,
        {o: tuple(sorted(ms.values(), key=log_order)) for o, ms in mandates.items()},
        {o: tuple(sorted(rs.values(), key=log_order)) for o, rs in recalls.items()},
    )


def bodies_of(messages: Iterable[Message]) -> set[str]:
    """Every body some mandate among `messages` names."""
    return {m.body.body for m in messages if isinstance(m.body, DelegateMandate)}


def mandates_in_force(messages: Iterable[Message], at_ms: int) -> dict[str, dict[NodeId, Message]]:
    """Each body some mandate names, with the hubs whose mandate for it is in force at `at_ms`."""
    held = list(messages)
    return {body: mandate_book(body, held).holders(at_ms) for body in sorted(bodies_of(held))}
