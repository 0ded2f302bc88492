"""The network's assemblies as this node sees them: bodies, motions, votes and tallies.

Reading: every tally is recomputed from the signed messages in the store by the
pure `protocol.tally.tally`; each was verified when stored, and `audit` checks every
signature again from the stored bytes for `hubnet motion verify`. Writing: this hub's
own motions, seconds, votes, reveals and recalls, each one signed message through
`MessageStore.append`. Nothing here holds personal data: mandates carry only the
delegate's chosen display name.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Any

import aiosqlite

from crypto.nodeid import NodeId
from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.assembly_records import Audited, Checked, Seat
from node.clock import Clock
from node.errors import NodeError, NotAllowed, NotFound
from node.network.membership import Membership
from node.projections.runner import CaughtUp
from node.store.assembly import (
    add_vote_secret_txn,
    assembly_messages,
    motions_with_secrets,
    vote_secret,
)
from node.store.database import Database
from node.store.hubs import hub_profiles
from node.store.key_messages import key_messages_by_origin
from node.store.messages import MessageStore
from node.store.outcomes import Then
from node.wording import Term, Wording
from protocol.envelope import Message
from protocol.errors import LocalProtocolError
from protocol.keys import KeyHistory, KeyRuleBroken, key_history, signed_in_force
from protocol.kinds.assembly import (
    DelegateMandate,
    DelegateReveal,
    DelegateVote,
    Motion,
    MotionSecond,
)
from protocol.mandates import mandate_book, mandates_in_force
from protocol.tally import Phase, commitment, tally

NATIONAL = "national"


class AssemblyError(NodeError):
    """A motion, second, vote or recall that cannot be made; the message is for the user."""


class MotionNotFound(AssemblyError, NotFound):
    """This node does not hold the motion."""


class AssemblyNotAllowed(AssemblyError, NotAllowed):
    """A member whose roles do not let them act for the hub in the assembly."""


def body_words(body: str) -> Wording:
    """An assembly's name, put in the reader's language where shown (node/wording.py)."""
    if body == NATIONAL:
        return Wording("National assembly")
    return Wording("Region: %(region)s", {"region": Term(body.removeprefix("region:"))})


def body_title(body: str) -> str:
    """An assembly's name in English: "National assembly", "Region: Wales"."""
    return str(body_words(body))


class Assembly:
    def __init__(
        self,
        db: Database,
        messages: MessageStore,
        clock: Clock,
        node_id: NodeId,
        membership: Membership,
        projections: CaughtUp,
    ) -> None:
        self._db = db
        self._messages = messages
        self._clock = clock
        self.node_id = node_id
        self._membership = membership
        self._projections = projections  # hub names and regions come from `hubs`
        self._done: set[bytes] = set()  # motions whose sealed vote needs no more reveal

    # -- reading ---------------------------------------------------------------

    async def _all(self) -> list[Message]:
        return await assembly_messages(self._db)

    async def hub_names(self) -> dict[NodeId, str]:
        await self._projections.caught_up()
        return {o: hub.name for o, hub in (await hub_profiles(self._db)).items()}

    async def regions(self) -> list[str]:
        """The founding statement's regions (PROTOCOL.md §14.1), else those hubs name."""
        if self._membership.roster.statement is not None:
            return list(self._membership.roster.regions)
        await self._projections.caught_up()
        return sorted({hub.region for hub in (await hub_profiles(self._db)).values() if hub.region})

    async def seats(self) -> dict[str, list[Seat]]:
        """Each body's hubs with a mandate in force now (PROTOCOL.md §13.2), by body."""
        names = await self.hub_names()
        bodies: dict[str, list[Seat]] = {NATIONAL: []}
        for region in await self.regions():
            bodies.setdefault(f"region:{region}", [])
        for body, holders in mandates_in_force(await self._all(), self._clock()).items():
            for origin, m in holders.items():
                mandate: DelegateMandate = m.body
                bodies.setdefault(body, []).append(
                    Seat(
                        origin,
                        names.get(origin, origin[:12]),
                        mandate.delegate,
                        m.id,
                        mandate.starts,
                        mandate.ends,
                    )
                )
        return bodies

    async def own_mandate(self, body: str) -> Message | None:
        """This hub's mandate in force now for `body` (PROTOCOL.md §13.2), if any."""
        own = await self._messages.log(self.node_id, 0, 1_000_000)
        return mandate_book(body, own).in_force(self.node_id, self._clock())[0]

    @property
    def is_member(self) -> bool:
        """Whether this hub is a member of the network now (it sits in the national body)."""
        return self._membership.is_member(self.node_id)

    async def own_mandates(self) -> list[Message]:
        """This hub's mandates in force now, one per body at most."""
        own = await self._messages.log(self.node_id, 0, 1_000_000)
        in_force = mandates_in_force(own, self._clock())
        return [h[self.node_id] for _, h in sorted(in_force.items()) if self.node_id in h]

    async def motions(self) -> list[Checked]:
        """Every motion held, with its tally, newest first."""
        messages = await self._all()
        checked = [self._tally(m, messages) for m in messages if isinstance(m.body, Motion)]
        checked.sort(key=lambda c: c.motion.created_at, reverse=True)
        return checked

    async def waiting(self) -> list[Message]:
        """Seconds, votes and reveals citing a motion this node does not hold (yet).

        They are kept, not refused: a motion may arrive after votes on it, through
        another peer, and is then counted with them.
        """
        messages = await self._all()
        motions = {m.id for m in messages if isinstance(m.body, Motion)}
        return [
            m
            for m in messages
            if isinstance(m.body, MotionSecond | DelegateVote | DelegateReveal)
            and m.body.motion not in motions
        ]

    async def result(self, motion_id: bytes) -> Checked | None:
        """The motion's tally from the messages held (their signatures checked on receipt)."""
        motion = await self._messages.get(motion_id)
        if motion is None or not isinstance(motion.body, Motion):
            return None
        return self._tally(motion, await self._all())

    async def audit(self, motion_id: bytes) -> Audited | None:
        """The motion's tally, every input's signature checked again from its bytes.

        Each is checked under its origin's key in force at its seq, which the key rules
        (protocol.keys) work out from the origin's key messages held here.
        """
        motion = await self._messages.get(motion_id)
        if motion is None or not isinstance(motion.body, Motion):
            return None
        messages = await self._all()
        held = await self._key_histories()
        inputs = {m.id: m for m in (motion, *messages)}  # the motion is among them
        signatures = {i: signed_in_force(m, held.get(m.origin, ())) for i, m in inputs.items()}
        counted = self._tally(motion, [m for m in messages if signatures[m.id]])
        return Audited(counted.motion, counted.result, {m.id: m for m in messages}, signatures)

    def _tally(self, motion: Message, messages: list[Message]) -> Checked:
        by_kind: dict[str, list[Message]] = defaultdict(list)
        for m in messages:
            by_kind[m.kind].append(m)
        result = tally(
            motion,
            seconds=by_kind.get("motion.second", []),
            mandates=by_kind.get("delegate.mandate", []),
            recalls=by_kind.get("delegate.recall", []),
            votes=by_kind.get("delegate.vote", []),
            reveals=by_kind.get("delegate.reveal", []),
            now_ms=self._clock(),
            # PROTOCOL.md §14: the roster at the close, and the witnesses held.
            members=self._membership.roster.members_at(motion.body.closes * 1000),
            witnesses=self._membership.witnesses,
        )
        return Checked(motion, result, {m.id: m for m in messages})

    async def _key_histories(self) -> dict[NodeId, KeyHistory | None]:
        """Each origin's key history from its key messages; None where they break the rules."""
        histories: dict[NodeId, KeyHistory | None] = {}
        for origin, held in (await key_messages_by_origin(self._db)).items():
            try:
                histories[origin] = key_history(origin, held)
            except KeyRuleBroken:
                histories[origin] = None  # not a log this node would have stored: damaged
        return histories

    async def record(self, origin: NodeId) -> list[tuple[Checked, Any]]:
        """A hub's part in every motion it seconded or voted on: (tally, its verdicts)."""
        rows = []
        for checked in await self.motions():
            acts = ("motion.second", "delegate.vote", "delegate.reveal")
            mine = [v for v in checked.result.verdicts if v.origin == origin and v.kind in acts]
            hub = next((h for h in checked.result.hubs if h.origin == origin), None)
            if mine or hub is not None or checked.motion.origin == origin:
                rows.append((checked, {"verdicts": mine, "hub": hub}))
        return rows

    # -- writing ---------------------------------------------------------------

    async def _append(self, kind: str, body: Any, then: Then | None = None) -> Message:
        try:
            return await self._messages.append(kind, body, then=then)
        except LocalProtocolError as exc:
            raise AssemblyError(_plain(exc.message)) from exc

    async def table(self, motion: Motion, *, by: Member) -> Message:
        require(by, Permission.TABLE_MOTIONS, AssemblyNotAllowed)
        if motion.closes * 1000 <= self._clock():
            raise AssemblyError("The voting window must close in the future.")
        region = motion.body.removeprefix("region:")
        if motion.body != NATIONAL and region not in await self.regions():
            raise AssemblyError(
                "%(region)s is not one of the network's regions: choose one from the list.",
                region=repr(region),
            )
        return await self._append("motion", motion)

    async def _motion(self, motion_id: bytes) -> Checked:
        checked = await self.result(motion_id)
        if checked is None:
            raise MotionNotFound("This node does not hold that motion.")
        return checked

    async def second(self, motion_id: bytes, *, by: Member) -> Message:
        require(by, Permission.TABLE_MOTIONS, AssemblyNotAllowed)
        checked = await self._motion(motion_id)
        rules: Motion = checked.motion.body
        if checked.motion.origin == self.node_id:
            raise AssemblyError("A hub cannot second its own motion.")
        if checked.result.phase is not Phase.SECONDING and checked.result.phase is not Phase.VOTING:
            raise AssemblyError("This motion has closed.")
        # Signed is enough: a second counts once a majority of hubs have witnessed it
        # (PROTOCOL.md §14.4), and a repeat would only ever be refused as a repeat.
        if any(
            v.origin == self.node_id and v.kind == "motion.second" for v in checked.result.verdicts
        ):
            raise AssemblyError("This hub has already seconded this motion.")
        if await self.own_mandate(rules.body) is None:
            raise AssemblyError(
                "Only hubs with a delegate on the %(body)s can second its motions, and this hub"
                " has no mandate in force for it.",
                body=body_words(rules.body),
            )
        return await self._append("motion.second", MotionSecond(motion=bytes(motion_id)))

    async def vote(self, motion_id: bytes, choice: str, *, by: Member) -> Message:
        """Cast this hub's vote; on a sealed motion, a commitment whose secret is kept here."""
        require(by, Permission.CAST_NETWORK_VOTES, AssemblyNotAllowed)
        checked = await self._motion(motion_id)
        rules: Motion = checked.motion.body
        if checked.result.phase is Phase.SECONDING:
            raise AssemblyError("This motion has not been seconded yet: it is not open to votes.")
        if checked.result.phase is not Phase.VOTING:
            raise AssemblyError("Voting on this motion has closed.")
        if choice not in rules.options:
            raise AssemblyError("Choose one of the motion's options.")
        mandate = await self.own_mandate(rules.body)
        if mandate is None:
            raise AssemblyError(
                "This hub has no delegate mandate in force for the %(body)s.",
                body=body_words(rules.body),
            )
        if not rules.sealed:
            return await self._append(
                "delegate.vote",
                DelegateVote(motion=bytes(motion_id), mandate=mandate.id, choice=choice),
            )
        secret = secrets.token_bytes(32)
        sealed = commitment(motion_id, self.node_id, choice, secret)
        now = self._clock()

        async def keep_secret(conn: aiosqlite.Connection, vote: Message) -> None:
            # With the vote itself: a vote whose secret was lost could never be revealed.
            await add_vote_secret_txn(conn, vote.id, bytes(motion_id), choice, secret, now)

        return await self._append(
            "delegate.vote",
            DelegateVote(motion=bytes(motion_id), mandate=mandate.id, commitment=sealed),
            then=keep_secret,
        )

    async def reveal_due(self) -> list[Message]:
        """Reveal this hub's sealed votes on motions that have closed (PROTOCOL.md §13.5).

        The node holds the secret, so it opens the vote itself: a delegate who forgets
        does not abstain by accident. Each motion is looked at until it is done with.
        """
        revealed = []
        now = self._clock()
        for motion_id in await motions_with_secrets(self._db):
            if motion_id in self._done:
                continue
            motion = await self._messages.get(motion_id)
            if motion is None or not isinstance(motion.body, Motion):
                continue
            if now < motion.body.closes * 1000:
                continue  # not yet: nothing to do until the close
            checked = await self.result(motion_id)
            assert checked is not None
            hub = next((h for h in checked.result.hubs if h.origin == self.node_id), None)
            if checked.result.phase is Phase.REVEALING and hub and hub.vote and hub.choice is None:
                try:
                    revealed.append(await self._reveal(motion_id))
                except AssemblyError:
                    # No secret to reveal with: node/network/delegates.py tells the hub.
                    self._done.add(motion_id)
            else:
                self._done.add(motion_id)
        return revealed

    async def sealed_choice(self, motion_id: bytes) -> str | None:
        """What this hub chose in its counted sealed vote, known only here until revealed."""
        checked = await self.result(motion_id)
        if checked is None:
            return None
        hub = next((h for h in checked.result.hubs if h.origin == self.node_id), None)
        if hub is None or hub.vote is None:
            return None
        held = await vote_secret(self._db, hub.vote)
        return held[0] if held else None

    async def secret_held(self, vote_id: bytes) -> bool:
        """Whether this node still holds the secret of one of this hub's sealed votes."""
        return await vote_secret(self._db, vote_id) is not None

    async def reveal(self, motion_id: bytes, *, by: Member) -> Message:
        """A delegate opens the hub's sealed vote (`reveal_due` does it for the node)."""
        require(by, Permission.CAST_NETWORK_VOTES, AssemblyNotAllowed)
        return await self._reveal(motion_id)

    async def _reveal(self, motion_id: bytes) -> Message:
        checked = await self._motion(motion_id)
        if checked.result.phase is not Phase.REVEALING:
            raise AssemblyError("Votes are revealed after the close, within the reveal window.")
        hub = next((h for h in checked.result.hubs if h.origin == self.node_id), None)
        if hub is None or hub.vote is None:
            raise AssemblyError("This hub has no counted vote on this motion to reveal.")
        if hub.choice is not None:
            raise AssemblyError("This hub's vote is already revealed.")
        held = await vote_secret(self._db, hub.vote)
        if held is None:
            raise AssemblyError("This node no longer holds the secret of that vote.")
        choice, secret = held
        return await self._append(
            "delegate.reveal",
            DelegateReveal(motion=bytes(motion_id), vote=hub.vote, choice=choice, secret=secret),
        )


def _plain(text: str) -> str:
    # Schema errors name the field ("motion body.title must be 1 to 200 characters");
    # for a form, the field's name is enough.
    return text.split(": ", 1)[-1].replace("motion body.", "").capitalize()
