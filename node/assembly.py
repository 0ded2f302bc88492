"""The network's assemblies as this node sees them: bodies, motions, votes and tallies.

Reading: every tally is recomputed from the signed messages in the store by the
pure `protocol.tally.tally`, after each message's signature is checked again
from its stored bytes. Writing: this hub's own motions, seconds, votes, reveals
and recalls, each one signed message through `MessageStore.append`. Nothing here
holds personal data: mandates carry only the delegate's chosen display name.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from crypto.nodeid import NodeId, public_key_from_node_id
from node.clock import Clock
from node.errors import NodeError, NotFound
from node.network.membership import Membership
from node.projections.runner import CaughtUp
from node.store.database import Database
from node.store.hubs import hub_profiles
from node.store.messages import MessageStore
from protocol.envelope import Message, MessageId, parse_payload
from protocol.errors import LocalProtocolError
from protocol.kinds.assembly import (
    DelegateMandate,
    DelegateRecall,
    DelegateReveal,
    DelegateVote,
    Motion,
    MotionSecond,
)
from protocol.kinds.keys import KeyRotate
from protocol.roster import ASSEMBLY_KINDS
from protocol.tally import Phase, Result, commitment, tally

NATIONAL = "national"


class AssemblyError(NodeError):
    """A motion, second, vote or recall that cannot be made; the message is for the user."""


class MotionNotFound(AssemblyError, NotFound):
    """This node does not hold the motion."""


@dataclass(frozen=True, slots=True)
class Seat:
    """A hub's current delegate on a body."""

    origin: NodeId
    hub: str
    delegate: str
    mandate: MessageId
    starts: int
    ends: int


@dataclass(frozen=True, slots=True)
class Checked:
    """A tally with each input message's signature checked from the stored bytes."""

    motion: Message
    result: Result
    signatures: dict[MessageId, bool]
    messages: dict[MessageId, Message]

    @property
    def all_signatures_check(self) -> bool:
        return all(self.signatures.values())


def body_title(body: str) -> str:
    return "National assembly" if body == NATIONAL else f"Region: {body.removeprefix('region:')}"


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
        """Every assembly message held, in the order stored (the tally does not care)."""
        marks = ", ".join("?" * len(ASSEMBLY_KINDS))
        rows = await self._db.fetchall(
            f"SELECT payload, signature FROM messages WHERE kind IN ({marks}) ORDER BY rowid",
            ASSEMBLY_KINDS,
        )
        return [parse_payload(p, s) for p, s in rows]

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
        now_ms = self._clock()
        names = await self.hub_names()
        latest: dict[tuple[NodeId, str], Message] = {}
        recalled: set[tuple[NodeId, bytes]] = set()  # a recall counts only from its own hub
        for m in await self._all():
            if isinstance(m.body, DelegateMandate):
                key = (m.origin, m.body.body)
                if key not in latest or latest[key].seq < m.seq:
                    latest[key] = m
            elif isinstance(m.body, DelegateRecall):
                recalled.add((m.origin, m.body.mandate))
        bodies: dict[str, list[Seat]] = {NATIONAL: []}
        for region in await self.regions():
            bodies.setdefault(f"region:{region}", [])
        for (origin, body), m in sorted(latest.items()):
            mandate: DelegateMandate = m.body
            current = mandate.starts * 1000 <= now_ms < mandate.ends * 1000
            if current and (origin, m.id) not in recalled:
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
        """This hub's mandate in force now for `body`: its latest, not recalled or expired."""
        now_ms = self._clock()
        own = [m for m in await self._messages.log(self.node_id, 0, 1_000_000)]
        mandates = [m for m in own if isinstance(m.body, DelegateMandate) and m.body.body == body]
        if not mandates:
            return None
        latest = mandates[-1]
        if any(isinstance(m.body, DelegateRecall) and m.body.mandate == latest.id for m in own):
            return None
        if not latest.body.starts * 1000 <= now_ms < latest.body.ends * 1000:
            return None
        return latest

    async def own_mandates(self) -> list[Message]:
        """This hub's mandates in force now, one per body at most."""
        bodies = {NATIONAL} | {f"region:{r}" for r in await self.regions()}
        own = await self._messages.log(self.node_id, 0, 1_000_000)
        bodies |= {m.body.body for m in own if isinstance(m.body, DelegateMandate)}
        found = [await self.own_mandate(b) for b in sorted(bodies)]
        return [m for m in found if m is not None]

    async def motions(self) -> list[Checked]:
        """Every motion held, with its tally, newest first."""
        messages = await self._all()
        checked = [self._tally(m, messages, {}) for m in messages if isinstance(m.body, Motion)]
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
        """The motion's tally, every input's signature checked again from its bytes."""
        motion = await self._messages.get(motion_id)
        if motion is None or not isinstance(motion.body, Motion):
            return None
        messages = await self._all()
        keys = await self._rotations()
        return self._tally(motion, messages, keys, check=True)

    def _tally(
        self,
        motion: Message,
        messages: list[Message],
        rotations: dict[NodeId, list[tuple[int, bytes]]],
        check: bool = False,
    ) -> Checked:
        by_kind: dict[str, list[Message]] = defaultdict(list)
        for m in messages:
            by_kind[m.kind].append(m)
        signatures: dict[MessageId, bool] = {}
        if check:
            for m in [motion, *messages]:
                signatures[m.id] = m.signed_by(_key_at(m, rotations))
            # A message whose stored bytes no longer verify (a damaged or altered
            # database) is left out of the count, and the result page says so.
            by_kind = {k: [m for m in ms if signatures[m.id]] for k, ms in by_kind.items()}
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
        return Checked(motion, result, signatures, {m.id: m for m in messages})

    async def _rotations(self) -> dict[NodeId, list[tuple[int, bytes]]]:
        rows = await self._db.fetchall(
            "SELECT payload, signature FROM messages WHERE kind = 'key.rotate' ORDER BY seq"
        )
        found: dict[NodeId, list[tuple[int, bytes]]] = defaultdict(list)
        for p, s in rows:
            m = parse_payload(p, s)
            if isinstance(m.body, KeyRotate):
                found[m.origin].append((m.seq, m.body.new_key))
        return found

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

    async def _append(self, kind: str, body: Any) -> Message:
        try:
            return await self._messages.append(kind, body)
        except LocalProtocolError as exc:
            raise AssemblyError(_plain(exc.message)) from exc

    async def table(self, motion: Motion) -> Message:
        if motion.closes * 1000 <= self._clock():
            raise AssemblyError("The voting window must close in the future.")
        region = motion.body.removeprefix("region:")
        if motion.body != NATIONAL and region not in await self.regions():
            raise AssemblyError(
                f"{region!r} is not one of the network's regions: choose one from the list."
            )
        return await self._append("motion", motion)

    async def _motion(self, motion_id: bytes) -> Checked:
        checked = await self.result(motion_id)
        if checked is None:
            raise MotionNotFound("This node does not hold that motion.")
        return checked

    async def second(self, motion_id: bytes) -> Message:
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
                f"Only hubs with a delegate on the {body_title(rules.body)} can second its "
                "motions, and this hub has no mandate in force for it."
            )
        return await self._append("motion.second", MotionSecond(motion=bytes(motion_id)))

    async def vote(self, motion_id: bytes, choice: str) -> Message:
        """Cast this hub's vote; on a sealed motion, a commitment whose secret is kept here."""
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
                f"This hub has no delegate mandate in force for the {body_title(rules.body)}."
            )
        if not rules.sealed:
            return await self._append(
                "delegate.vote",
                DelegateVote(motion=bytes(motion_id), mandate=mandate.id, choice=choice),
            )
        secret = secrets.token_bytes(32)
        sealed = commitment(motion_id, self.node_id, choice, secret)
        vote = await self._append(
            "delegate.vote",
            DelegateVote(motion=bytes(motion_id), mandate=mandate.id, commitment=sealed),
        )
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO vote_secrets (vote_id, motion_id, choice, secret, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (vote.id, bytes(motion_id), choice, secret, self._clock()),
            )
        return vote

    async def reveal_due(self) -> list[Message]:
        """Reveal this hub's sealed votes on motions that have closed (PROTOCOL.md §13.5).

        The node holds the secret, so it opens the vote itself: a delegate who forgets
        does not abstain by accident. Each motion is looked at until it is done with.
        """
        rows = await self._db.fetchall("SELECT DISTINCT motion_id FROM vote_secrets")
        revealed = []
        now = self._clock()
        for (motion_id,) in rows:
            if bytes(motion_id) in self._done:
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
                revealed.append(await self.reveal(motion_id))
            else:
                self._done.add(bytes(motion_id))
        return revealed

    async def sealed_choice(self, motion_id: bytes) -> str | None:
        """What this hub chose in its counted sealed vote, known only here until revealed."""
        checked = await self.result(motion_id)
        if checked is None:
            return None
        hub = next((h for h in checked.result.hubs if h.origin == self.node_id), None)
        if hub is None or hub.vote is None:
            return None
        row = await self._db.fetchone(
            "SELECT choice FROM vote_secrets WHERE vote_id = ?", (hub.vote,)
        )
        return str(row[0]) if row else None

    async def reveal(self, motion_id: bytes) -> Message:
        checked = await self._motion(motion_id)
        if checked.result.phase is not Phase.REVEALING:
            raise AssemblyError("Votes are revealed after the close, within the reveal window.")
        hub = next((h for h in checked.result.hubs if h.origin == self.node_id), None)
        if hub is None or hub.vote is None:
            raise AssemblyError("This hub has no counted vote on this motion to reveal.")
        if hub.choice is not None:
            raise AssemblyError("This hub's vote is already revealed.")
        row = await self._db.fetchone(
            "SELECT choice, secret FROM vote_secrets WHERE vote_id = ?", (hub.vote,)
        )
        if row is None:
            raise AssemblyError("This node no longer holds the secret of that vote.")
        return await self._append(
            "delegate.reveal",
            DelegateReveal(motion=bytes(motion_id), vote=hub.vote, choice=row[0], secret=row[1]),
        )


def _key_at(message: Message, rotations: dict[NodeId, list[tuple[int, bytes]]]) -> bytes:
    """The origin's key in force at the message's seq (PROTOCOL.md §7)."""
    key = public_key_from_node_id(message.origin)
    for seq, new_key in rotations.get(message.origin, []):
        if seq < message.seq:
            key = new_key
    return key


def _plain(text: str) -> str:
    # Schema errors name the field ("motion body.title must be 1 to 200 characters");
    # for a form, the field's name is enough.
    return text.split(": ", 1)[-1].replace("motion body.", "").capitalize()
