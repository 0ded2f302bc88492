"""News by USB stick: write a signed bundle of messages, and read one in (PROTOCOL.md §15).

Export gathers every message the node would pass on to a peer (blocked and forked
origins left out), in each origin's seq order, after what the receiving hub is known
to hold, and signs the whole file with this node's key.

Import checks the bundle's signature over the whole file, then that every message in
it is signed by its origin, before a single one is stored: a damaged or altered
bundle is refused whole. Then the messages go through `MessageStore.ingest`, the very
path a peer's push takes (chains, held gaps, forks, key rules, the membership gate),
again while the roster grows, as `hubnet catch-up` does.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId, public_key_from_node_id
from node.accounts import permissions
from node.accounts.permissions import Acting, Permission
from node.clock import Clock
from node.network.membership import Membership
from node.store.bundles import BundleStore
from node.store.messages import MessageStore
from node.store.outcomes import NotMember, Status
from node.verifier import open_chunk
from protocol.bundle import (
    BundleHeader,
    BundleRefused,
    encode_unsigned,
    open_bundle,
    read_header,
    signing_input,
)
from protocol.envelope import Message
from protocol.errors import RemoteProtocolError, TooFarInFuture
from protocol.kinds.forks import ForkResolve
from protocol.kinds.keys import KeyRevoke, KeyRotate

# Messages read from the database, or handed to ingest, at once.
PAGE = 500

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Exported:
    data: bytes
    header: BundleHeader


@dataclass(slots=True)
class Imported:
    """What became of a bundle's messages: the summary an organiser is shown."""

    hub: NodeId
    created_at: int
    total: int
    stored: int = 0
    already: int = 0
    waiting: int = 0  # held until the messages before them arrive
    refused: int = 0
    forks: int = 0
    hubs: int = 0  # origins that had at least one message stored
    reasons: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        hubs = "hub" if self.hubs == 1 else "hubs"
        messages = "message" if self.stored == 1 else "messages"
        line = (
            f"stored {self.stored:,} new {messages} from {self.hubs:,} {hubs}; "
            f"{self.already:,} already held; {self.refused:,} refused"
        )
        if self.waiting:
            line += f"; {self.waiting:,} waiting for earlier ones"
        if self.forks:
            line += f"; {self.forks:,} showed a hub signing two histories"
        return line


class Bundles:
    def __init__(
        self,
        store: BundleStore,
        messages: MessageStore,
        membership: Membership,
        key: SigningKey,
        node_id: NodeId,
        clock: Clock,
    ) -> None:
        self._store = store
        self._messages = messages
        self._membership = membership
        self._key = key
        self._node_id = node_id
        self._clock = clock

    # -- export ------------------------------------------------------------------------

    async def count_to_export(self, since: int = 0, for_hub: NodeId | None = None) -> int:
        """Roughly how many messages an export would hold (for a progress bar)."""
        known = await self._store.holdings(for_hub) if for_hub else {}
        return sum(
            max(0, seq - known.get(origin, 0)) for origin, seq in await self._store.offered_heads()
        )

    async def export(
        self,
        since: int = 0,
        for_hub: NodeId | None = None,
        progress: Progress | None = None,
    ) -> Exported:
        """A signed bundle of the messages stored here since `since` (ms; 0: all), after
        what `for_hub` said it held in the last bundle read from it, if any."""
        heads = await self._store.offered_heads()
        known = await self._store.holdings(for_hub) if for_hub else {}
        envelopes: list[bytes] = []
        origins = 0
        for origin, head in heads:
            after = known.get(origin, 0)
            first = len(envelopes)
            while after < head:
                page = await self._store.envelopes_after(origin, after, since, PAGE)
                if not page:
                    break
                envelopes.extend(e for _, e in page)
                after = page[-1][0]
                if progress is not None:
                    progress(len(page))
            origins += len(envelopes) > first
        header = BundleHeader(
            hub=self._node_id,
            created_at=self._clock(),
            messages=len(envelopes),
            origins=origins,
            heads=tuple(heads),
        )
        unsigned = encode_unsigned(header, envelopes)
        return Exported(unsigned + self._key.sign(signing_input(unsigned)), header)

    async def export_for(self, by: Acting, since: int = 0) -> Exported:
        """An organiser's download from the exchange page."""
        permissions.require(by, Permission.MANAGE_PEERS)
        return await self.export(since)

    # -- import ------------------------------------------------------------------------

    async def _signers(self, origin: str) -> list[bytes]:
        keys = [public_key_from_node_id(origin)]
        in_force = await self._messages.key_in_force(origin)
        if in_force is not None:
            keys.append(in_force)
        return keys

    async def open(self, data: bytes) -> tuple[BundleHeader, list[tuple[bytes, str]]]:
        """Check the bundle whole; BundleRefused if anything in it was altered.

        PROTOCOL.md §15.2: the file's signature first, under its hub's key (as this
        node knows it), then every message's own signature, before anything is stored.
        """
        hub = read_header(data).hub
        refusal: BundleRefused | None = None
        for key in await self._signers(hub):
            try:
                header, envelopes = open_bundle(data, key)
                break
            except BundleRefused as exc:
                refusal = exc
        else:
            assert refusal is not None
            raise refusal
        opened = await asyncio.to_thread(open_chunk, envelopes, self._clock())
        every: list[Message] = []
        unsigned: list[Message] = []
        origins: list[str] = []
        for number, result in enumerate(opened, start=1):
            if isinstance(result, TooFarInFuture):
                origins.append("")  # this node's clock may be behind: ingest refuses it alone
                continue
            if isinstance(result, RemoteProtocolError):
                raise BundleRefused(f"message {number} of the bundle is damaged: {result.message}")
            every.append(result.message)
            origins.append(result.message.origin)
            if not result.signed_by_id_key:
                unsigned.append(result.message)
        await self._check_rotated(unsigned, every)
        return header, list(zip(envelopes, origins, strict=True))

    async def _check_rotated(self, unsigned: list[Message], every: list[Message]) -> None:
        """Messages not signed by the key inside their origin's id must be signed by a key
        the origin has rotated to: the one this node holds, or one a key message in the
        bundle names (ingest then judges those by the key rules, PROTOCOL.md §7)."""
        named: dict[str, set[bytes]] = {}
        for message in every:
            if isinstance(message.body, KeyRotate | KeyRevoke | ForkResolve):
                named.setdefault(message.origin, set()).add(message.body.new_key)
        for message in unsigned:
            keys = [*await self._signers(message.origin), *named.get(message.origin, ())]
            if not any(message.signed_by(k) for k in keys):
                raise BundleRefused(
                    f"a message from {message.origin} (seq {message.seq}) is not signed by "
                    "that hub: the bundle was altered"
                )

    async def read(self, data: bytes, progress: Progress | None = None) -> Imported:
        """Check a bundle whole, then store its messages as a peer's push is stored."""
        header, envelopes = await self.open(data)
        result = Imported(hub=header.hub, created_at=header.created_at, total=len(envelopes))
        stored_from: set[str] = set()
        pending: Sequence[tuple[bytes, str]] = envelopes
        members = None
        # A hub's messages are stored only once the roster names it a member (§14.5),
        # and the roster follows from messages in this very bundle: go again while it grows.
        while pending and members != self._membership.members:
            members = self._membership.members
            waiting: list[tuple[bytes, str]] = []
            for start in range(0, len(pending), PAGE):
                batch = pending[start : start + PAGE]
                report = await self._messages.ingest([wire for wire, _ in batch])
                for item, outcome in zip(batch, report.outcomes, strict=True):
                    if isinstance(outcome.error, NotMember):
                        waiting.append(item)
                        continue
                    self._count(result, outcome.status, outcome.reason)
                    if outcome.status is Status.STORED:
                        stored_from.add(item[1])
                result.stored += report.released
                if progress is not None:
                    progress(len(batch))
            await self._membership.refresh()
            pending = waiting
        for _ in pending:
            self._count(result, Status.REFUSED, "not-member: from a hub not in this network")
        result.hubs = len(stored_from)
        if header.hub != self._node_id:
            await self._store.record_holdings(header.hub, header.heads, self._clock())
        return result

    async def read_for(self, by: Acting, data: bytes) -> Imported:
        """An organiser's upload from the exchange page."""
        permissions.require(by, Permission.MANAGE_PEERS)
        return await self.read(data)

    @staticmethod
    def _count(result: Imported, status: Status, reason: str | None) -> None:
        if status is Status.STORED:
            result.stored += 1
        elif status is Status.DUPLICATE:
            result.already += 1
        elif status is Status.HELD:
            result.waiting += 1
        elif status is Status.FORK:
            result.forks += 1
        else:
            result.refused += 1
            result.reasons[(reason or "refused").split(":", 1)[0]] += 1
