"""The events table, kept up to date from the stored event messages.

Raw messages are the source of truth (docs/ARCHITECTURE.md, "Storage"); `events` holds the
latest version of each event and `search` its row, both worked out with the one
rule every node shares, `protocol.event_versions.latest_version` (only the
event's origin counts, the highest seq wins, a cancellation is final). So search
can never show an event the calendar shows as cancelled, whatever order an edit
and a cancellation were sent or arrived in.

The projection runner (node/projections/runner.py) applies the messages and
keeps the cursor; pages call `settle()` first, so what a page shows never lags
what the store holds.
"""

from __future__ import annotations

from collections.abc import Callable

import aiosqlite

from crypto.nodeid import NodeId
from node.events.drafts import zone_known
from node.projections.runner import Projection, ProjectionRunner
from node.store import events as store
from node.store import search as search_index
from node.store.search import Visibility
from protocol.envelope import Message
from protocol.event_versions import latest_version
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate
from protocol.visibility import search_audience

KINDS = frozenset({"event", "event.update", "event.cancel"})


class EventProjection:
    def __init__(self, runner: ProjectionRunner) -> None:
        self._runner = runner
        # Raised after every commit that may have changed `hubs` or which hubs are
        # shown, so readers can keep the hub and region lists until it moves.
        self.hubs_version = 0
        # Raised after every commit that may have changed `events` (applied messages,
        # a rebuild, or a members-only event written by the organiser), so a reader
        # may keep what it built from the table while this stays the same.
        self.version = 0
        runner.add(Projection("events", KINDS, self._apply_txn, _reset_txn, committed=self.touched))

    @property
    def shows(self) -> Callable[[NodeId], bool]:
        """PROTOCOL.md §14.5: whose events and profiles are shown (the runner's roster)."""
        return self._runner.shows

    async def settle(self) -> None:
        """Apply every stored message this table has not yet seen."""
        await self._runner.caught_up()

    def touched(self) -> None:
        """Say that a row of `events` changed (applied messages, a members-only event)."""
        self.version += 1

    def hubs_touched(self) -> None:
        self.hubs_version += 1

    async def rebuild(self) -> None:
        """Forget the federated rows and read the whole log again (members-only rows stay)."""
        await self._runner.rebuild(["events"])

    async def _apply_txn(self, conn: aiosqlite.Connection, messages: list[Message]) -> None:
        # The whole batch in a few statements: each event's row is worked out once from
        # its original and every version held, whatever order they came in this batch.
        originals: dict[bytes, Message] = {}
        touched: list[bytes] = []
        versions: list[tuple[bytes, bytes, str, int]] = []
        for message in messages:
            body = message.body
            if isinstance(body, EventUpdate | EventCancel):
                # Kept whatever its origin: recorded, but latest_version applies only the
                # event's own origin's; one that arrives first waits here for its event.
                versions.append((message.id, body.event, message.origin, message.seq))
                touched.append(body.event)
            elif isinstance(body, EventDetails):
                originals[message.id] = message
                touched.append(message.id)
        await store.add_versions_txn(conn, versions)
        wanted = list(dict.fromkeys(touched))
        missing = [e for e in wanted if e not in originals]
        originals.update(await store.originals_txn(conn, missing))
        shown = [e for e in wanted if e in originals]
        held = await store.versions_of_txn(conn, shown)
        await _refresh_txn(conn, [(originals[e], held.get(e, [])) for e in shown])


async def _reset_txn(conn: aiosqlite.Connection) -> None:
    await store.forget_federated_txn(conn)
    await search_index.drop_kind_txn(conn, "event")


async def _refresh_txn(
    conn: aiosqlite.Connection, events: list[tuple[Message, list[Message]]]
) -> None:
    """Recompute events' rows and search entries from each original and its versions."""
    states = []
    for original, held in events:
        followers = [m for m in held if m.origin == original.origin]
        state = latest_version(original, followers, zone_known)
        if state is not None:
            states.append((original, state))
    await store.put_events_txn(conn, states)
    cancelled = [("event", o.id.hex()) for o, state in states if state.cancelled]
    await search_index.drop_many_txn(conn, cancelled)
    entries: list[search_index.Entry] = []
    for original, state in states:
        if state.cancelled:
            continue
        d = state.details
        text = " ".join(x for x in (d.description, d.place, *d.speakers) if x)
        # A network-only event is for members of the network's hubs, not the public.
        visibility: Visibility = search_audience(d.visibility)
        entries.append(("event", original.id.hex(), d.title, text, visibility, None))
    await search_index.put_many_txn(conn, entries)
