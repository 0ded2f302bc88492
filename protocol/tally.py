"""Counting a network motion from signed messages (PROTOCOL.md §13).

`tally` is a pure function of the messages it is given: the same set, in any
order and with any repeats, gives the same result. Only hubs on the network's
roster at the close take part (PROTOCOL.md §14), and a mandate, second, vote or
reveal counts only if a majority of those hubs had witnessed it in time
(protocol.witness): its own signed `ts` is its author's word, never proof.
`now_ms` decides nothing but the phase shown (seconding, voting, revealing,
closed). Every message given gets a verdict saying whether it counted and, if
not, why.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crypto.digest import sha256
from crypto.nodeid import NodeId
from protocol.envelope import Message, MessageId
from protocol.kinds.assembly import (
    DelegateMandate,
    DelegateRecall,
    DelegateReveal,
    DelegateVote,
    Motion,
    MotionSecond,
)
from protocol.mandates import log_order, mandate_book
from protocol.tally_rules import (
    COMMITMENT_CONTEXT,
    REVEAL_SECONDS,
    SECRET_SIZE,
    commitment,
    forked_origins,
    is_abstain,
    reveal_problem,
    vote_problem,
    why_ignored,
    winner,
)
from protocol.witness import Witnesses, majority

# The rules live in protocol/tally_rules.py; these names are read from here too.
__all__ = [
    "COMMITMENT_CONTEXT",
    "REVEAL_SECONDS",
    "SECRET_SIZE",
    "HubVote",
    "Outcome",
    "Phase",
    "Result",
    "Verdict",
    "commitment",
    "input_digest",
    "is_abstain",
    "tally",
]


class Phase(enum.StrEnum):
    SECONDING = "seconding"  # open, not yet seconded by enough hubs
    VOTING = "voting"  # open and seconded
    REVEALING = "revealing"  # sealed, closed, reveals still accepted
    CLOSED = "closed"


class Outcome(enum.StrEnum):
    NOT_SECONDED = "not-seconded"
    NO_QUORUM = "no-quorum"
    NO_DECISION = "no-decision"  # no option met the rule
    DECIDED = "decided"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the tally made of one message."""

    id: MessageId
    kind: str
    origin: NodeId
    seq: int
    ts: int
    counted: bool
    reason: str  # why it counted, or why not, in words for people


@dataclass(frozen=True, slots=True)
class HubVote:
    """One hub's part in the result."""

    origin: NodeId
    mandate: MessageId | None  # the mandate behind the counted vote, or in force at the close
    delegate: str | None  # the display name in that mandate
    in_body: bool  # held a mandate for the body at the close, or cast a counted vote
    vote: MessageId | None  # the counted vote
    choice: str | None  # the option counted, None if it did not vote or did not reveal
    note: str


@dataclass(frozen=True, slots=True)
class Result:
    motion: MessageId
    body: str
    phase: Phase
    outcome: Outcome
    decided: str | None  # the option that met the rule
    seconds: int  # counted seconds
    seconds_needed: int
    counts: tuple[tuple[str, int], ...]  # each option, in the motion's order, with its votes
    cast: int  # counted votes for options other than abstain
    participating: int  # hubs with a counted vote (abstentions and unrevealed included)
    hubs_in_body: int
    quorum_needed: int  # hubs that must take part for the quorum
    hubs: tuple[HubVote, ...]  # sorted by origin
    verdicts: tuple[Verdict, ...]  # every message given, sorted by (origin, seq, id)
    inputs: tuple[MessageId, ...]  # the messages the result depends on, sorted
    digest: str  # SHA-256 over `inputs`, hex

    @property
    def final(self) -> bool:
        return self.phase is Phase.CLOSED


def input_digest(ids: Iterable[bytes]) -> str:
    """SHA-256 of the distinct ids, sorted bytewise and concatenated (PROTOCOL.md §13.7)."""
    return sha256(b"".join(sorted(set(ids)))).hex()


def tally(
    motion: Message,
    seconds: Sequence[Message],
    mandates: Sequence[Message],
    recalls: Sequence[Message],
    votes: Sequence[Message],
    reveals: Sequence[Message],
    now_ms: int,
    *,
    members: frozenset[NodeId],
    witnesses: Witnesses,
) -> Result:
    """Count `motion` from the messages given (PROTOCOL.md §13, §14.4).

    `members` are the hubs on the network's roster at the close (protocol.roster);
    `witnesses` the witness messages held about the network.
    """
    rules: Motion = motion.body
    if not isinstance(rules, Motion):
        raise TypeError("tally needs a motion message")
    close_ms = rules.closes * 1000
    reveal_end_ms = (rules.closes + REVEAL_SECONDS) * 1000
    verdicts: list[Verdict] = []

    def judge(m: Message, counted: bool, reason: str) -> None:
        verdicts.append(Verdict(m.id, m.kind, m.origin, m.seq, m.created_at, counted, reason))

    # Repeats of one message are one message; each list may only hold its own kind.
    pool: dict[bytes, Message] = {}
    for m in (*seconds, *mandates, *recalls, *votes, *reveals):
        pool.setdefault(m.id, m)
    ordered = sorted(pool.values(), key=lambda m: (m.origin, *log_order(m)))
    inputs: set[bytes] = {motion.id}
    forked = forked_origins(ordered)

    def outsider(m: Message) -> str | None:
        """Why `m`'s hub cannot take part at all, or None: §14.2 membership, §6 forks."""
        if m.origin not in members:
            return "the hub was not a member of the network at the close"
        if m.origin in forked:
            return f"the hub signed two different messages at seq {forked[m.origin]}"
        return None

    def standing(m: Message, deadline_ms: int, what: str) -> str | None:
        """Why `m` cannot take part, or None: `outsider`, then §14.4 witnesses."""
        problem = outsider(m)
        if problem is not None:
            return problem
        in_time, count = witnesses.in_time(members, m, deadline_ms)
        if not in_time:
            return (
                f"not witnessed before the {what} by a majority of the network's hubs "
                f"({count} of {len(members)}; {majority(len(members))} needed)"
            )
        return None

    # §13.2: the body's mandates and recalls signed before the close.
    mandate_ids: dict[bytes, Message] = {}
    for m in ordered:
        mandate = m.body
        if (
            isinstance(mandate, DelegateMandate)
            and mandate.body == rules.body
            and m.created_at < close_ms
        ):
            problem = standing(m, close_ms, "close")
            if problem is not None:
                judge(m, False, f"a mandate for this body that does not count: {problem}")
                inputs.add(m.id)
                continue
            mandate_ids[m.id] = m
            inputs.add(m.id)
    counted_recalls: list[Message] = []
    for m in ordered:
        if isinstance(m.body, DelegateRecall) and m.created_at < close_ms:
            cited = mandate_ids.get(m.body.mandate)
            if cited is not None and cited.origin == m.origin and m.id not in inputs:
                # A recall only ever takes a hub out: no witness is needed for it.
                counted_recalls.append(m)
                inputs.add(m.id)
    book = mandate_book(rules.body, [*mandate_ids.values(), *counted_recalls])

    # §13.3: seconds.
    seconders: set[NodeId] = set()
    for m in ordered:
        if not isinstance(m.body, MotionSecond) or m.body.motion != motion.id:
            continue
        inputs.add(m.id)
        if m.origin == motion.origin:
            judge(m, False, "a hub cannot second its own motion")
        elif m.created_at >= close_ms:
            judge(m, False, "sent after the close")
        elif (problem := standing(m, close_ms, "close")) is not None:
            judge(m, False, problem)
        elif m.origin in seconders:
            judge(m, False, "this hub had already seconded it")
        else:
            held, why = book.in_force(m.origin, m.created_at, before_seq=m.seq)
            if held is None:
                judge(m, False, f"not counted: {why}")
            else:
                seconders.add(m.origin)
                judge(m, True, "seconded")
    seconded = len(seconders) >= rules.seconds_needed

    # §13.4: votes. Each hub's last valid vote before the close counts.
    valid: dict[NodeId, list[tuple[Message, Message]]] = defaultdict(list)
    for m in ordered:
        if not isinstance(m.body, DelegateVote) or m.body.motion != motion.id:
            continue
        inputs.add(m.id)
        problem = outsider(m) or vote_problem(m, rules, close_ms, mandate_ids, book)
        if problem is None:
            problem = standing(m, close_ms, "close")
        if problem is None and not seconded:
            problem = f"the motion was not seconded by {rules.seconds_needed} hubs before the close"
        if problem is not None:
            judge(m, False, problem)
        else:
            valid[m.origin].append((m, mandate_ids[m.body.mandate]))
    counted: dict[NodeId, tuple[Message, Message]] = {}
    for origin, cast in valid.items():
        counted[origin] = cast[-1]
        last = cast[-1][0]
        for m, _ in cast[:-1]:
            judge(m, False, f"replaced by this hub's later vote (seq {last.seq})")
        judge(last, True, "counted" if not rules.sealed else "counted: sealed until revealed")

    # §13.5: reveals of counted commitments.
    revealed: dict[NodeId, str] = {}
    for m in ordered:
        if not isinstance(m.body, DelegateReveal) or m.body.motion != motion.id:
            continue
        inputs.add(m.id)
        problem = reveal_problem(m, motion, counted, close_ms, reveal_end_ms)
        if problem is None:
            problem = standing(m, reveal_end_ms, "end of the reveal window")
        if problem is None and m.origin in revealed:
            problem = "this hub's vote was already revealed"
        if problem is not None:
            judge(m, False, problem)
        else:
            revealed[m.origin] = m.body.choice
            judge(m, True, "revealed")

    # §13.6: counting.
    counts = dict.fromkeys(rules.options, 0)
    hubs: list[HubVote] = []
    at_close = book.holders(close_ms - 1)
    origins = sorted(set(at_close) | set(counted))
    for origin in origins:
        if origin in counted:
            vote, mandate = counted[origin]
            if rules.sealed:
                choice = revealed.get(origin)
                note = "revealed" if choice is not None else "not revealed: counts as abstention"
            else:
                choice, note = vote.body.choice, "voted"
            if choice is not None:
                counts[choice] += 1
            hubs.append(
                HubVote(origin, mandate.id, mandate.body.delegate, True, vote.id, choice, note)
            )
        else:
            held = at_close[origin]
            hubs.append(
                HubVote(origin, held.id, held.body.delegate, True, None, None, "did not vote")
            )
    participating = len(counted)
    hubs_in_body = len(origins)
    cast_total = sum(n for option, n in counts.items() if not is_abstain(option))
    quorum_needed = -(-rules.quorum_percent * hubs_in_body // 100)  # ceiling, in integers
    quorum_met = participating * 100 >= rules.quorum_percent * hubs_in_body

    decided = winner(counts, cast_total, rules.rule)
    if not seconded:
        outcome = Outcome.NOT_SECONDED
    elif not quorum_met:
        outcome = Outcome.NO_QUORUM
    elif decided is None:
        outcome = Outcome.NO_DECISION
    else:
        outcome = Outcome.DECIDED
    if now_ms < close_ms:
        phase = Phase.VOTING if seconded else Phase.SECONDING
    elif rules.sealed and seconded and now_ms < reveal_end_ms:
        phase = Phase.REVEALING
    else:
        phase = Phase.CLOSED

    judged = {v.id for v in verdicts}
    for m in ordered:
        if m.id in judged:
            continue
        if m.id not in inputs:
            judge(m, False, why_ignored(m, motion, rules))
        elif isinstance(m.body, DelegateMandate):
            judge(m, True, f"a mandate for this body ({m.body.delegate})")
        else:
            judge(m, True, "a recall of a mandate for this body")
    verdicts.sort(key=lambda v: (v.origin, v.seq, v.id))
    # The witnesses that could have counted are inputs too: another one changes the result.
    inputs |= witnesses.ids_before(members, reveal_end_ms if rules.sealed else close_ms)
    ids = tuple(MessageId(i) for i in sorted(inputs))
    return Result(
        motion=motion.id,
        body=rules.body,
        phase=phase,
        outcome=outcome,
        decided=decided if outcome is Outcome.DECIDED else None,
        seconds=len(seconders),
        seconds_needed=rules.seconds_needed,
        counts=tuple(counts.items()),
        cast=cast_total,
        participating=participating,
        hubs_in_body=hubs_in_body,
        quorum_needed=quorum_needed,
        hubs=tuple(hubs),
        verdicts=tuple(verdicts),
        inputs=ids,
        digest=input_digest(ids),
    )
