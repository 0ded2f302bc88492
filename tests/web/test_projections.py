"""Tables built from the log, through the real app: one runner, one rule for events,
rebuilds that give the same rows, and a failing projection that is retried and reported."""

from __future__ import annotations

import asyncio
import collections
import re
import sys

import pytest

from crypto.ed25519 import SigningKey
from node.node import Node
from node.store.hubs import hub_profiles
from node.store.outcomes import Status
from protocol import envelope
from protocol.envelope import Message, create_message
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate
from protocol.kinds.community import DirectoryEntry, DirectoryWithdraw, SpeakerOffer
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate
from protocol.kinds.hub import Announcement, HubProfile, Resource
from tests.helpers import T0, ManualClock
from tests.web.conftest import Site

EVENT = {
    "title": "Allotment open day",
    "description": "Seeds and soup.",
    "start_date": "2030-05-01",
    "start_time": "10:00",
    "end_date": "",
    "end_time": "16:00",
    "timezone": "Europe/London",
    "type": "social",
    "visibility": "public",
    "place": "Canal Street allotments",
    "lat": "",
    "lon": "",
    "online_url": "",
    "capacity": "",
    "speakers": "",
    "cohosts": "",
}


def _chain(key: SigningKey, first: Message, bodies: list[tuple[str, object]]) -> list[Message]:
    """`key`'s log after `first` (its seq 1): one message for each (kind, body)."""
    out, prev = [], first
    for kind, body in bodies:
        prev = create_message(key, kind, body, prev.seq + 1, prev.id, T0 + prev.seq + 1)  # type: ignore[arg-type]
        out.append(prev)
    return out


async def test_a_cancel_and_an_edit_sent_at_once_never_bring_the_event_back(site: Site) -> None:
    # An organiser double-submits: the edit form and the cancel button at once. Both
    # pass the "not cancelled yet" check; whichever is signed last, the event stays
    # cancelled (PROTOCOL.md §5.5) in the calendar, the event page and search.
    await site.login("organiser@example.org")
    for n in range(12):
        word = f"quokka{n:03d}"
        created = await site.post("/events/new", {**EVENT, "title": f"Open day {word}"})
        assert created.status == 303, await created.text()
        event_id = created.headers["Location"].rsplit("/", 1)[1]
        edit = site.post(f"/events/{event_id}/edit", {**EVENT, "title": f"Moved {word}"})
        cancel = site.post(f"/events/{event_id}/cancel", {"reason": "rained off"})
        # Either may be sent first, as a browser's two requests may arrive in either order.
        if n % 2:
            edited, cancelled = await asyncio.gather(edit, cancel)
        else:
            cancelled, edited = await asyncio.gather(cancel, edit)
        # The cancel is shown on the event's page; the edit too, or refused (checked in
        # its own write, tests/web/test_atomic_publish.py) once the cancel got in first.
        assert cancelled.status == 303 and edited.status in (303, 400)
        if edited.status == 400:
            assert "This event has been cancelled" in await edited.text(), n
        event = await site.node.events.calendar.get(bytes.fromhex(event_id))
        assert event is not None and event.cancelled, n
        await site.node.projections.caught_up()
        assert await site.node.community.search.query(word, members=True) == [], n
        found = await (await site.client.get("/search", params={"q": word})).text()
        assert f"/events/{event_id}" not in found, n
        page = await (await site.client.get(f"/events/{event_id}")).text()
        assert "cancelled" in page.lower(), n


async def _publish_everything(site: Site) -> None:
    """Messages of every kind a projection reads, from this hub and a member hub."""
    north = SigningKey(b"\x11" * 32)
    (first,) = await site.admit(north)
    event = EventDetails(
        title="Depot picket",
        starts=1_900_000_000,
        ends=1_900_003_600,
        timezone="Europe/London",
        type="action",
        visibility="public",
        place="Northgate depot",
    )
    log = _chain(north, first, [("hub.profile", HubProfile(name="Northgate", url="http://n"))])
    log += _chain(north, log[-1], [("event", event)])
    event_id = log[-1].id
    fields = {
        k: getattr(event, k) for k in ("starts", "ends", "timezone", "type", "visibility", "place")
    }
    log += _chain(
        north,
        log[-1],
        [
            ("event.update", EventUpdate(title="Depot picket, moved", event=event_id, **fields)),
            ("event", EventDetails(title="Second picket", **fields)),
            (
                "campaign",
                Campaign(title="Save the baths", summary="Keep them open", status="active"),
            ),
        ],
    )
    second, campaign = log[-2].id, log[-1].id
    log += _chain(
        north,
        log[-1],
        [
            ("event.cancel", EventCancel(event=second, reason="moved online")),
            ("campaign.update", CampaignUpdate(campaign=campaign, text="500 signatures")),
            ("campaign.endorse", CampaignEndorse(campaign=campaign, statement="Yes")),
            (
                "resource",
                Resource(
                    hash=b"\x01" * 32,
                    name="leaflet.pdf",
                    media_type="application/pdf",
                    size=10,
                    title="Leaflet",
                ),
            ),
            ("speaker.offer", SpeakerOffer(topics=("housing",), area="Northgate")),
            (
                "directory.entry",
                DirectoryEntry(
                    name="Food bank", category="food", area="N", hours="Mon", contact="c"
                ),
            ),
            (
                "directory.entry",
                DirectoryEntry(
                    name="Tool library", category="other", area="N", hours="Sat", contact="t"
                ),
            ),
        ],
    )
    food, tools = log[-2].id, log[-1].id
    log += _chain(
        north,
        log[-1],
        [
            (
                "directory.entry",
                DirectoryEntry(
                    name="Food bank (new hours)",
                    category="food",
                    area="N",
                    hours="Tue",
                    contact="c",
                    replaces=food,
                ),
            ),
            ("directory.withdraw", DirectoryWithdraw(entry=tools)),
            ("hub.profile", HubProfile(name="Northgate Hub", url="http://n", region="North")),
        ],
    )
    report = await site.node.messages.ingest([m.wire for m in reversed(log)])
    assert all(o.status.value == "stored" for o in report.outcomes), report
    await site.login("organiser@example.org")
    assert (await site.post("/events/new", EVENT)).status == 303


_TABLES = (
    "events",
    "event_versions",
    "hubs",
    "campaigns",
    "campaign_updates",
    "campaign_links",
    "campaign_endorsements",
    "library",
    "speaker_offers",
    "directory_shared",
    "directory_versions",
)


async def _rows(node: Node) -> dict[str, list[tuple[object, ...]]]:
    out = {
        table: sorted(map(tuple, await node.db.fetchall(f"SELECT * FROM {table}")), key=repr)
        for table in _TABLES
    }
    # Search rows get new rowids when written again: compare what they hold.
    out["search"] = sorted(
        map(
            tuple,
            await node.db.fetchall(
                "SELECT r.kind, r.ref, r.link, s.title, s.body, s.visibility FROM search_refs r"
                " JOIN search s ON s.rowid = r.fts_rowid"
            ),
        ),
        key=repr,
    )
    return out


async def test_rebuilding_every_projection_from_the_log_gives_the_same_rows(site: Site) -> None:
    await _publish_everything(site)
    node = site.node
    await node.projections.caught_up()
    before = await _rows(node)
    assert all(before[t] for t in _TABLES if t != "campaign_links"), before
    # Drop every row by hand and reset every cursor, then let the runner read the log.
    async with node.db.write() as conn:
        for projection in node.projections.projections.values():
            if projection.reset_txn is not None:
                await projection.reset_txn(conn)
        await conn.execute("UPDATE projection_cursors SET last_rowid = 0")
    emptied = await _rows(node)
    assert not any(emptied[t] for t in ("hubs", "campaigns", "library", "directory_shared"))
    await node.projections.caught_up()
    assert await _rows(node) == before
    # The runner's own rebuild gives them too.
    await node.projections.rebuild()
    assert await _rows(node) == before
    assert (await hub_profiles(node.db))[node.node_id].name


async def test_one_batch_with_an_event_its_edit_and_a_cancel_shows_what_its_hub_said(
    site: Site,
) -> None:
    # The events projection works a whole batch out at once (node/events/projection.py):
    # an event, its edit and another event's cancellation stored together must show as
    # the edited title and a cancelled event, in the calendar and in search, and an
    # edit signed by another hub changes nothing.
    await _publish_everything(site)
    south = SigningKey(b"\x12" * 32)
    (first,) = await site.admit(south)
    event = await site.node.db.fetchone(
        "SELECT id FROM events WHERE title = ?", ("Depot picket, moved",)
    )
    assert event is not None
    forged = _chain(
        south,
        first,
        [
            (
                "event.update",
                EventUpdate(
                    title="Hijacked", event=bytes(event[0]), starts=1_900_000_000,
                    ends=1_900_003_600, timezone="Europe/London", type="action",
                    visibility="public", place="Elsewhere",
                ),
            )
        ],
    )  # fmt: skip
    report = await site.node.messages.ingest([m.wire for m in forged])
    assert all(o.status.value == "stored" for o in report.outcomes), report
    await site.node.projections.caught_up()
    rows = await site.node.db.fetchall("SELECT title, cancelled FROM events ORDER BY title")
    titles = {str(title): bool(cancelled) for title, cancelled in rows}
    assert titles["Depot picket, moved"] is False
    assert titles["Second picket"] is True
    assert "Hijacked" not in titles and "Depot picket" not in titles
    search = site.node.community.search
    assert [r.title for r in await search.query("moved", members=True)] == ["Depot picket, moved"]
    assert await search.query("Second", members=True) == []
    assert await search.query("Hijacked", members=True) == []


def _metric(text: str, name: str, projection: str) -> float:
    found = re.search(rf'^{name}\{{projection="{projection}"\}} (\S+)$', text, re.M)
    assert found is not None, (name, projection)
    return float(found.group(1))


async def test_a_failing_projection_is_reported_retried_and_catches_up(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    node = site.node
    north = SigningKey(b"\x12" * 32)
    (first,) = await site.admit(north)
    log = _chain(
        north,
        first,
        [
            ("speaker.offer", SpeakerOffer(topics=("tenancy law",), area="North")),
            ("campaign", Campaign(title="Fix the lifts", summary="Every block", status="active")),
        ],
    )
    metrics = await (await site.client.get("/metrics")).text()
    assert _metric(metrics, "hubnet_projection_failures_total", "speakers") == 0
    # A fault in one projection's table: its writes fail until the table is back.
    async with node.db.write() as conn:
        await conn.execute("ALTER TABLE speaker_offers RENAME TO speaker_offers_away")
    await node.messages.ingest([m.wire for m in log])
    await node.projections.caught_up()
    # The other projections went on: the campaign shows.
    assert [c.title for c in await node.community.campaigns.all()] == ["Fix the lifts"]
    metrics = await (await site.client.get("/metrics")).text()
    assert _metric(metrics, "hubnet_projection_failures_total", "speakers") >= 1
    assert _metric(metrics, "hubnet_projection_failing", "speakers") >= 1
    assert _metric(metrics, "hubnet_projection_failures_total", "campaigns") == 0
    assert node.projections.failing() == {"speakers": 1}
    failures = node.projections.failures["speakers"]
    # Still failing at the next retry: counted again, waits longer.
    clock.advance(1_000)
    await node.projections.caught_up()
    assert node.projections.failures["speakers"] == failures + 1
    assert node.projections.failing() == {"speakers": 2}
    # The fault clears; once the back-off has passed, the projection catches up.
    async with node.db.write() as conn:
        await conn.execute("ALTER TABLE speaker_offers_away RENAME TO speaker_offers")
    await node.projections.caught_up()
    assert await node.community.speakers.search() == [], "not retried before its time"
    clock.advance(2_000)
    await node.projections.caught_up()
    offers = await node.community.speakers.search()
    assert [o.topics for o in offers] == [["tenancy law"]]
    metrics = await (await site.client.get("/metrics")).text()
    assert _metric(metrics, "hubnet_projection_failing", "speakers") == 0
    assert _metric(metrics, "hubnet_projection_failures_total", "speakers") == failures + 1


async def test_each_projection_is_handed_only_what_it_reads_and_its_cost_is_shown(
    site: Site,
) -> None:
    # /metrics counts each projection's messages and seconds; the fediverse projection
    # reads only this hub's own messages, so another hub's news never reaches it.
    node = site.node
    north = SigningKey(b"\x12" * 32)
    (first,) = await site.admit(north)
    await node.projections.caught_up()
    metrics = await (await site.client.get("/metrics")).text()
    campaigns = _metric(metrics, "hubnet_projection_messages_total", "campaigns")
    published = _metric(metrics, "hubnet_projection_messages_total", "activitypub")
    log = _chain(
        north,
        first,
        [
            ("campaign", Campaign(title="Fix the lifts", summary="Every block", status="active")),
            ("announcement", Announcement(text="North's news")),
        ],
    )
    await node.messages.ingest([m.wire for m in log])
    await node.projections.caught_up()
    metrics = await (await site.client.get("/metrics")).text()
    assert _metric(metrics, "hubnet_projection_messages_total", "campaigns") == campaigns + 1
    assert _metric(metrics, "hubnet_projection_seconds_total", "campaigns") > 0
    assert _metric(metrics, "hubnet_projection_messages_total", "activitypub") == published
    await node.messages.append("announcement", Announcement(text="Our own news"))
    await node.projections.caught_up()
    metrics = await (await site.client.get("/metrics")).text()
    assert _metric(metrics, "hubnet_projection_messages_total", "activitypub") == published + 1


async def test_a_pushed_message_is_decoded_once_on_its_way_to_every_projection(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The verifier decodes each arriving message; the projections are handed that
    # decoded message (on_stored), not the stored bytes to decode again.
    node = site.node
    north = SigningKey(b"\x12" * 32)
    (first,) = await site.admit(north)
    await node.projections.caught_up()
    log = _chain(
        north,
        first,
        [
            ("campaign", Campaign(title="Fix the lifts", summary="Every block", status="active")),
            ("announcement", Announcement(text="North's news")),
            ("event", EventDetails(title="Lift meeting", starts=1_900_000_000, ends=1_900_003_600,
                                   timezone="Europe/London", type="public-meeting",
                                   visibility="public", place="Hall")),
        ],
    )  # fmt: skip
    decoded: collections.Counter[bytes] = collections.Counter()
    original = envelope.parse_payload

    def counting(payload: bytes, signature: bytes, *rest: object) -> Message:
        decoded[payload] += 1
        return original(payload, signature, *rest)  # type: ignore[arg-type]

    for module in list(sys.modules.values()):
        if module is not envelope and getattr(module, "parse_payload", None) is original:
            monkeypatch.setattr(module, "parse_payload", counting)
    report = await node.messages.ingest([m.wire for m in log])
    assert report.count(Status.STORED) == 3
    await node.projections.caught_up()
    assert [c.title for c in await node.community.campaigns.all()] == ["Fix the lifts"]
    assert {m.payload: decoded[m.payload] for m in log} == {m.payload: 1 for m in log}
