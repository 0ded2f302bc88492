"""The rules a tally applies to each message, and its sums (PROTOCOL.md §13).

Pure, like protocol/tally.py, which walks the messages and builds the result from
these: what a sealed vote commits to, why a vote or a reveal does not count, and
which option a count decides. Which mandate is in force is protocol/mandates.py's.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.digest import sha256
from crypto.nodeid import NodeId
from protocol.envelope import Message
from protocol.kinds.assembly import (
    DelegateMandate,
    DelegateRecall,
    DelegateReveal,
    DelegateVote,
    Motion,
    MotionSecond,
)
from protocol.mandates import MandateBook

# PROTOCOL.md §13.5: reveals count from the close until this many seconds after it.
REVEAL_SECONDS = 7 * 24 * 3600
COMMITMENT_CONTEXT = b"hubnet delegate.vote v1\x00"
SECRET_SIZE = 32


def commitment(motion_id: bytes, origin: str, choice: str, secret: bytes) -> bytes:
    """SHA-256 of context || motion id || origin || secret || choice (PROTOCOL.md §13.5).

    The motion and the hub are inside the hash, so a hub cannot copy another
    hub's commitment and later copy its reveal.
    """
    if len(secret) != SECRET_SIZE or len(motion_id) != 32:
        raise ValueError("the secret and the motion id are 32 bytes each")
    return sha256(
        COMMITMENT_CONTEXT + motion_id + origin.encode("ascii") + secret + choice.encode("utf-8")
    )


def is_abstain(option: str) -> bool:
    """An option named "abstain" (any case) counts towards quorum but not as a vote cast."""
    return option.strip().casefold() == "abstain"


def forked_origins(ordered: Sequence[Message]) -> dict[NodeId, int]:
    """Origins with two different messages at one seq among those given (PROTOCOL.md §6)."""
    at: dict[tuple[NodeId, int], bytes] = {}
    forked: dict[NodeId, int] = {}
    for m in ordered:
        other = at.setdefault((m.origin, m.seq), m.id)
        if other != m.id:
            forked.setdefault(m.origin, m.seq)
    return forked


def vote_problem(
    m: Message, rules: Motion, close_ms: int, mandate_ids: dict[bytes, Message], book: MandateBook
) -> str | None:
    vote: DelegateVote = m.body
    if m.created_at >= close_ms:
        return "cast after the close"
    if rules.sealed and vote.commitment is None:
        return "this motion's votes are sealed, but this vote is open"
    if not rules.sealed and vote.choice is None:
        return "this motion's votes are open, but this vote is sealed"
    if vote.choice is not None and vote.choice not in rules.options:
        return "its choice is not one of the motion's options"
    cited = mandate_ids.get(vote.mandate)
    if cited is None:
        return "it cites no mandate for this body signed before the close"
    if cited.origin != m.origin:
        return "it cites another hub's mandate: a mandate counts only for the hub that issued it"
    held, why = book.in_force(m.origin, m.created_at, before_seq=m.seq)
    if held is None:
        return f"no valid mandate when cast: {why}"
    if held.id != cited.id:
        return "it cites a mandate the hub had replaced with a later one"
    return None


def reveal_problem(
    m: Message,
    motion: Message,
    counted: dict[NodeId, tuple[Message, Message]],
    close_ms: int,
    reveal_end_ms: int,
) -> str | None:
    reveal: DelegateReveal = m.body
    rules: Motion = motion.body
    if not rules.sealed:
        return "this motion's votes are open: there is nothing to reveal"
    if m.created_at < close_ms:
        return "sent before the close: reveals count only after it"
    if m.created_at >= reveal_end_ms:
        return "sent after the reveal window"
    vote = counted.get(m.origin)
    if vote is None or vote[0].id != reveal.vote:
        return "it does not open this hub's counted vote"
    if reveal.choice not in rules.options:
        return "its choice is not one of the motion's options"
    expected = commitment(motion.id, m.origin, reveal.choice, reveal.secret)
    if vote[0].body.commitment != expected:
        return "it does not match the commitment"
    return None


def why_ignored(m: Message, motion: Message, rules: Motion) -> str:
    if isinstance(m.body, DelegateMandate):
        if m.body.body != rules.body:
            return "a mandate for another body"
        return "a mandate signed after the close"
    if isinstance(m.body, DelegateRecall):
        return "not a recall, signed before the close, of a mandate for this body by its own hub"
    if isinstance(m.body, MotionSecond | DelegateVote | DelegateReveal):
        return "about another motion"
    return f"a {m.kind} message plays no part in a tally"


def winner(counts: dict[str, int], cast: int, rule: str) -> str | None:
    """The option that meets the rule among votes cast; None on a tie or a shortfall."""
    ranked = sorted(
        ((n, option) for option, n in counts.items() if not is_abstain(option)), reverse=True
    )
    if cast == 0 or not ranked:
        return None
    top, option = ranked[0]
    if len(ranked) > 1 and ranked[1][0] == top:
        return None
    if rule == "two-thirds":
        return option if 3 * top >= 2 * cast else None
    return option if 2 * top > cast else None
