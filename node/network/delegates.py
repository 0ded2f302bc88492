"""The delegate's work: what the network assembly waits for from this hub, and
notices to the hub's delegates when it asks for something.

A notice (and an email, when the hub has email set up) goes to the members holding
the delegate role when a motion is tabled in a body this hub sits in, when it opens
for votes, and a day before it closes if the hub has not voted. Each goes once per
motion and step: the step is recorded with the notice, in one transaction
(`Notices.notify_once`), so a restart or a second pass never repeats it. A sealed
vote the node cannot reveal after the close (its secret is gone) is never lost in
silence: the delegates and the organisers who table motions are told.

The work is driven by a small loop: it wakes when assembly messages or witnesses are
stored, and otherwise looks at the clock every few seconds against the next moment
something falls due (a reminder's day-before, a close), so a quiet node does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from node.accounts.permissions import GRANTS, Permission, Role
from node.assembly import NATIONAL, Assembly, body_words
from node.assembly_records import Checked
from node.clock import Clock
from node.governance.terms import describe_date
from node.network.background import Loop
from node.notices import Notices
from node.wording import Moment, Wording, counted
from protocol.envelope import Message
from protocol.kinds.assembly import Motion
from protocol.roster import ASSEMBLY_KINDS
from protocol.tally import Phase

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
# How often the loop compares the clock with the next moment something falls due.
LOOK_SECONDS = 5.0
# At most one recount a second, however many witnesses arrive in a burst.
PAUSE_SECONDS = 1.0
_WAKING_KINDS = frozenset({*ASSEMBLY_KINDS, "network.witness"})


@dataclass(frozen=True, slots=True)
class Waiting:
    """A motion that waits for this hub, with what it waits for."""

    checked: Checked
    hub: str  # the name of the hub that tabled it
    secret_lost: bool = False  # a sealed vote whose secret this node no longer holds

    @property
    def motion(self) -> Motion:
        body: Motion = self.checked.motion.body
        return body

    @property
    def path(self) -> str:
        return f"/network/motions/{self.checked.motion.id.hex()}"


@dataclass(frozen=True, slots=True)
class Agenda:
    """What awaits the hub's delegate, each list soonest deadline first."""

    votes: list[Waiting] = field(default_factory=list)
    seconds: list[Waiting] = field(default_factory=list)
    reveals: list[Waiting] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)  # the bodies this hub sits in

    @property
    def empty(self) -> bool:
        return not (self.votes or self.seconds or self.reveals)


class DelegateWork:
    def __init__(self, assembly: Assembly, notices: Notices, clock: Clock) -> None:
        self._assembly = assembly
        self._notices = notices
        self._clock = clock
        self._wake = asyncio.Event()
        self._next_due: int | None = None  # ms: the next reminder or close, if any
        self._loop = Loop("delegate-work", self._run)

    # -- what waits ------------------------------------------------------------

    async def bodies(self) -> set[str]:
        """The bodies this hub sits in: those it holds a mandate for, and the national
        assembly while it is a member of the network."""
        held = {m.body.body for m in await self._assembly.own_mandates()}
        return held | {NATIONAL} if self._assembly.is_member else held

    async def agenda(self) -> Agenda:
        bodies = await self.bodies()
        names = await self._assembly.hub_names()
        own = self._assembly.node_id
        votes, seconds, reveals = [], [], []
        for checked in await self._assembly.motions():
            motion: Motion = checked.motion.body
            if motion.body not in bodies:
                continue
            origin = checked.motion.origin
            item = Waiting(checked, names.get(origin, "a hub not yet described"))
            phase = checked.result.phase
            if phase is Phase.VOTING and not _acted(checked, own, "delegate.vote"):
                votes.append(item)
            elif (
                phase is Phase.SECONDING
                and origin != own
                and not _acted(checked, own, "motion.second")
            ):
                seconds.append(item)
            elif phase is Phase.REVEALING and (vote := _unrevealed(checked, own)) is not None:
                lost = not await self._assembly.secret_held(vote)
                reveals.append(Waiting(checked, item.hub, secret_lost=lost))
        for items in (votes, seconds, reveals):
            items.sort(key=lambda w: w.motion.closes)
        return Agenda(votes, seconds, reveals, sorted(bodies, key=lambda b: b != NATIONAL))

    # -- telling ---------------------------------------------------------------

    async def tell_due(self) -> int:
        """Give every notice now due that was not given before; how many went."""
        now = self._clock()
        bodies = await self.bodies()
        own = self._assembly.node_id
        names = await self._assembly.hub_names()
        delegates: list[int] | None = None
        sent = 0
        next_due: int | None = None
        for checked in await self._assembly.motions():
            motion: Motion = checked.motion.body
            if motion.body not in bodies:
                continue
            phase = checked.result.phase
            closes = motion.closes * 1000
            voted = _acted(checked, own, "delegate.vote")
            steps: list[str] = []
            if phase in (Phase.SECONDING, Phase.VOTING):
                steps.append("tabled")
                for moment in (closes - DAY_MS, closes):
                    if moment > now:
                        next_due = moment if next_due is None else min(next_due, moment)
            if phase is Phase.VOTING and not voted:
                steps.append("voting")
                if closes - now <= DAY_MS:
                    steps.append("closing")
            vote = _unrevealed(checked, own) if phase is Phase.REVEALING else None
            lost = vote if vote is not None and not await self._assembly.secret_held(vote) else None
            if steps:
                if delegates is None:
                    delegates = await self._delegates()
                hub = names.get(checked.motion.origin, "A hub")
                if await self._tell(checked, steps, delegates, hub):
                    sent += 1
            if lost is not None:
                organisers = await self._notices.holders_of(
                    {Role.DELEGATE, Role.CHAIR, *GRANTS[Permission.TABLE_MOTIONS]}
                )
                text = Wording(
                    "This hub's sealed vote on “%(title)s” cannot be revealed: the node no"
                    " longer holds its secret, so it will not be counted. Tell the other hubs'"
                    " delegates what the hub chose, and check the node's backups.",
                    {"title": motion.title},
                )
                key = f"delegate:{checked.motion.id.hex()}:reveal-lost"
                if await self._notices.notify_once(key, organisers, text, _path(checked)):
                    log.error("a sealed vote cannot be revealed: its secret is missing")
                    sent += 1
        self._next_due = next_due
        return sent

    async def _delegates(self) -> list[int]:
        """The hub's delegates; while it has none, those who may table motions for it."""
        delegates = await self._notices.holders_of({Role.DELEGATE})
        return delegates or await self._notices.holders_of(GRANTS[Permission.TABLE_MOTIONS])

    async def _tell(self, checked: Checked, steps: list[str], to: list[int], hub: str) -> bool:
        """One notice for the newest of `steps` not yet told, recording all of them."""
        motion: Motion = checked.motion.body
        keys = [f"delegate:{checked.motion.id.hex()}:{s}" for s in steps]
        fresh = [s for s, k in zip(steps, keys, strict=True) if not await self._notices.sent(k)]
        if not fresh:
            return False
        values = {
            "hub": hub,
            "body": body_words(motion.body),
            "title": motion.title,
            "closes": Moment(motion.closes * 1000, _when(motion.closes)),
            "seconds": motion.seconds_needed,
        }
        step = fresh[-1]
        if step == "tabled":
            text = counted(
                "%(hub)s tabled a motion in the %(body)s: “%(title)s”. It goes to the vote once"
                " %(seconds)s hub has seconded it.",
                "%(hub)s tabled a motion in the %(body)s: “%(title)s”. It goes to the vote once"
                " %(seconds)s hubs have seconded it.",
                motion.seconds_needed,
                values,
            )
        elif step == "voting":
            text = Wording(
                "“%(title)s” (%(body)s) is open for your vote until %(closes)s. Cast the hub's"
                " vote on its page.",
                values,
            )
        else:
            text = Wording(
                "Reminder: “%(title)s” (%(body)s) closes on %(closes)s and this hub has not"
                " voted yet.",
                values,
            )
        # The newest step's key first: it decides; the older ones are recorded with it.
        fresh_keys = [f"delegate:{checked.motion.id.hex()}:{s}" for s in reversed(fresh)]
        return await self._notices.notify_once(fresh_keys, to, text, _path(checked))

    # -- running ---------------------------------------------------------------

    def on_stored(self, messages: Iterable[Message]) -> None:
        """MessageStore callback: look again when an assembly message or witness arrives."""
        if any(m.kind in _WAKING_KINDS for m in messages):
            self._wake.set()

    async def start(self) -> None:
        self._wake.set()  # look once at start: what fell due while the node was down
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=LOOK_SECONDS)
            due = self._next_due is not None and self._clock() >= self._next_due
            if not (self._wake.is_set() or due):
                continue
            self._wake.clear()
            try:
                await self.tell_due()
            except Exception:  # logged; tried again at the next wake
                log.exception("telling the delegates failed")
            await asyncio.sleep(PAUSE_SECONDS)


def _acted(checked: Checked, origin: str, kind: str) -> bool:
    """Whether `origin` signed a message of `kind` on the motion (counted or not yet)."""
    return any(v.origin == origin and v.kind == kind for v in checked.result.verdicts)


def _unrevealed(checked: Checked, origin: str) -> bytes | None:
    """The hub's counted sealed vote that is not revealed yet, if any."""
    hub = next((h for h in checked.result.hubs if h.origin == origin), None)
    if hub is None or hub.vote is None or hub.choice is not None:
        return None
    return bytes(hub.vote)


def _path(checked: Checked) -> str:
    return f"/network/motions/{checked.motion.id.hex()}"


def _when(seconds: int) -> str:
    return describe_date(seconds * 1000)
