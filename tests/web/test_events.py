"""Events through the real app: organising, RSVPs, registrations, the calendar and feeds."""

from __future__ import annotations

import dataclasses
import re

import feedparser
import vobject

from crypto.ed25519 import SigningKey
from node.accounts.permissions import Role
from protocol.envelope import create_message
from protocol.kinds.event import EventCancel, EventDetails, EventUpdate
from protocol.kinds.hub import Announcement, HubProfile
from tests.helpers import T0, ManualClock
from tests.web.conftest import Site, make_member

EVENT = {
    "title": "Save the library: public meeting",
    "description": "Bring *friends*.",
    "start_date": "2030-03-30",
    "start_time": "19:00",
    "end_date": "",
    "end_time": "21:00",
    "timezone": "Europe/London",
    "type": "public-meeting",
    "visibility": "public",
    "place": "Riverside Library, 1 High St",
    "lat": "51.5",
    "lon": "-0.12",
    "online_url": "",
    "capacity": "2",
    "speakers": "Ann Lee\nBo Chen",
    "cohosts": "",
}


async def _create(site: Site, **changes: str) -> str:
    response = await site.post("/events/new", {**EVENT, **changes})
    assert response.status == 303, await response.text()
    return response.headers["Location"].rsplit("/", 1)[1]


async def test_organiser_creates_a_public_event_that_becomes_a_message(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site)
    page = await (await site.client.get(f"/events/{event_id}")).text()
    assert "Save the library: public meeting" in page
    assert "Saturday 30 March 2030, 19:00" in page and "GMT (Europe/London)" in page
    assert "<em>friends</em>" in page and "0 going of 2 places" in page
    [message] = await site.node.messages.recent(kind="event")
    assert message.id.hex() == event_id and message.body.capacity == 2


async def test_members_only_event_never_becomes_a_message(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site, visibility="members", title="Members' social")
    assert await site.node.messages.recent(kind="event") == []
    assert "Members&#39; social" in await (await site.client.get(f"/events/{event_id}")).text()
    await site.logout()
    assert (await site.client.get(f"/events/{event_id}")).status == 404
    assert "Members" not in await (await site.client.get("/calendar")).text()


async def test_bad_events_are_refused_with_a_reason_and_nothing_stored(site: Site) -> None:
    await site.login("organiser@example.org")
    cases = {
        "ends before it starts": {"end_time": "18:00"},
        "no time zone called": {"timezone": "Europe/Atlantis"},
        "starting http:// or https://": {"online_url": "javascript:alert(1)", "place": ""},
        "does not exist in Europe/London": {"start_date": "2030-03-31", "start_time": "01:30"},
        "Give both latitude and longitude": {"lon": ""},
        "Capacity must be": {"capacity": "0"},
        "Capacity must be a whole number": {"capacity": "²"},  # a digit to isdigit()
        "not a hub&#39;s node id": {"cohosts": "not-a-node"},
        "Give a place, an online link": {"place": ""},
    }
    for reason, changes in cases.items():
        response = await site.post("/events/new", {**EVENT, **changes})
        assert response.status == 400, reason
        assert reason in await response.text(), reason
    assert await site.node.messages.recent(kind="event") == []


async def test_plain_member_cannot_create_events(site: Site) -> None:
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    assert (await site.post("/events/new", EVENT)).status == 403
    await make_member(site.node, "cc@example.org", Role.CAMPAIGNS)
    await site.logout()
    await site.login("cc@example.org")
    assert (await site.post("/events/new", EVENT)).status == 303


async def test_edit_and_cancel_raise_the_sequence_and_the_feed_says_so(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site)
    response = await site.post(f"/events/{event_id}/edit", {**EVENT, "title": "Library rally"})
    assert response.status == 303
    await site.post(f"/events/{event_id}/cancel", {"reason": "Venue <b>flooded</b>"})
    page = await (await site.client.get(f"/events/{event_id}")).text()
    assert "This event is cancelled." in page and "Venue &lt;b&gt;flooded&lt;/b&gt;" in page
    assert (await site.post(f"/events/{event_id}/edit", EVENT)).status == 400

    ics = await (await site.client.get("/calendar.ics")).text()
    [vevent] = vobject.readOne(ics).vevent_list
    assert vevent.uid.value == f"{event_id}@hubnet"
    assert vevent.sequence.value == "2"
    assert vevent.status.value == "CANCELLED"
    assert "Library rally" in vevent.summary.value
    assert vevent.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/London"]  # its TZID
    assert vevent.dtstart.value.hour == 19
    assert vevent.url.value.endswith(f"/events/{event_id}")


async def test_ics_keeps_local_time_across_a_change_of_the_clocks(site: Site) -> None:
    await site.login("organiser@example.org")
    winter = await _create(site, start_date="2030-03-30", title="Before")  # GMT
    summer = await _create(site, start_date="2030-04-01", title="After")  # BST
    ics = await (await site.client.get(f"/calendar/hubs/{site.node.node_id}.ics")).text()
    cal = vobject.readOne(ics)
    assert "VTIMEZONE" in ics
    times = {v.summary.value: v.dtstart.value for v in cal.vevent_list}
    assert times["Before"].hour == times["After"].hour == 19
    assert times["Before"].utcoffset().total_seconds() == 0
    assert times["After"].utcoffset().total_seconds() == 3600
    assert {winter, summer}


async def test_rsvp_counts_refuses_twice_and_respects_capacity(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site, capacity="2")
    await site.logout()
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        await make_member(site.node, email)
    await site.login("a@example.org")
    page = await (await site.submit(f"/events/{event_id}/rsvp")).text()
    assert "1 going of 2 places" in page
    again = await site.post(f"/events/{event_id}/rsvp")
    assert again.status == 400 and "already said you are coming" in await again.text()
    await site.logout()
    await site.login("b@example.org")
    await site.post(f"/events/{event_id}/rsvp")
    await site.logout()
    await site.login("c@example.org")
    full = await site.post(f"/events/{event_id}/rsvp")
    assert full.status == 400 and "the event is full" in await full.text()
    assert "2 going of 2 places" in await full.text()


async def test_public_registers_with_name_and_email_that_stay_here(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site, capacity="")
    await site.logout()
    form = {"name": "Dee Walker", "email": "dee@example.org"}
    page = await (await site.submit(f"/events/{event_id}/register", form)).text()
    assert "you are registered" in page
    # Registering again answers the same (whether someone is coming stays private)
    # and still counts one place.
    twice = await site.submit(f"/events/{event_id}/register", form)
    assert twice.status == 200 and "you are registered" in await twice.text()
    bad = await site.post(f"/events/{event_id}/register", {"name": "X", "email": "nope"})
    assert bad.status == 400
    payloads = b"".join(m.payload for m in await site.node.messages.recent(limit=1000))
    assert b"dee@example.org" not in payloads and b"Dee Walker" not in payloads
    await site.login("organiser@example.org")
    organiser_view = await (await site.client.get(f"/events/{event_id}")).text()
    assert "Dee Walker" in organiser_view and "1 going" in organiser_view


def _remote(key: SigningKey, seq: int, prev: bytes | None, kind: str, body: object):  # type: ignore[no-untyped-def]
    return create_message(key, kind, body, seq, prev, T0 + seq)  # type: ignore[arg-type]


REMOTE_EVENT = EventDetails(
    title="Northgate <script>alert(1)</script> picket",
    starts=1_900_000_000,
    ends=1_900_003_600,
    timezone="Europe/London",
    type="action",
    visibility="public",
    place="Northgate depot",
)


async def test_remote_events_update_in_order_and_foreign_edits_are_ignored(site: Site) -> None:
    # Two member hubs: Mallory, a member too, tries to edit and cancel Northgate's event.
    north, mallory = SigningKey(b"\x01" * 32), SigningKey(b"\x02" * 32)
    n1, m1 = await site.admit(north, mallory)
    p2 = _remote(
        north,
        2,
        n1.id,
        "hub.profile",
        HubProfile(name="Northgate", url="http://n.example", region="North"),
    )
    e3 = _remote(north, 3, p2.id, "event", REMOTE_EVENT)
    fields = {f.name: getattr(REMOTE_EVENT, f.name) for f in dataclasses.fields(REMOTE_EVENT)}
    u4 = _remote(
        north,
        4,
        e3.id,
        "event.update",
        EventUpdate(**{**fields, "title": "Northgate picket, moved"}, event=e3.id),
    )
    m2 = _remote(
        mallory,
        2,
        m1.id,
        "event.update",
        EventUpdate(**{**fields, "title": "Hijacked"}, event=e3.id),
    )
    m3 = _remote(mallory, 3, m2.id, "event.cancel", EventCancel(event=e3.id))
    # Out of order and mixed: the store links each chain; the table follows seq.
    report = await site.node.messages.ingest([m3.wire, u4.wire, m2.wire, e3.wire, p2.wire])
    assert report.count(report.outcomes[0].status.__class__("stored")) == 5
    page = await (await site.client.get(f"/events/{e3.id.hex()}")).text()
    assert "Northgate picket, moved" in page and "Hijacked" not in page
    assert "cancelled" not in page.lower()
    assert "&lt;script&gt;" not in page  # the update replaced the hostile title
    calendar = await (await site.client.get("/calendar?region=North")).text()
    assert "Northgate picket, moved" in calendar
    assert "Northgate picket" not in await (await site.client.get("/calendar?region=South")).text()
    # Hostile text is escaped wherever it shows.
    a5 = _remote(north, 5, u4.id, "event", REMOTE_EVENT)
    await site.node.messages.ingest([a5.wire])
    calendar = await (await site.client.get("/calendar")).text()
    assert "<script>alert(1)</script>" not in calendar and "&lt;script&gt;" in calendar


async def test_projection_is_rebuilt_from_the_log(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site)
    await site.post(f"/events/{event_id}/edit", {**EVENT, "title": "Renamed"})
    await site.node.events.projection.rebuild()
    event = await site.node.events.calendar.get(bytes.fromhex(event_id))
    assert event is not None and event.title == "Renamed" and event.sequence == 1


async def test_calendar_filters_and_near_me_sorts_by_distance(site: Site) -> None:
    await site.login("organiser@example.org")
    await _create(site, title="Far away", lat="55.95", lon="-3.19")  # Edinburgh
    await _create(site, title="Close by", lat="51.51", lon="-0.13")  # London
    await _create(site, title="Training day", type="training", lat="51.6", lon="-0.1")
    page = await (
        await site.client.get("/calendar?near_lat=51.5&near_lon=-0.12&radius=1000")
    ).text()
    titles = re.findall(r'<a href="/events/[0-9a-f]+">([^<]+)</a>', page)
    assert titles == ["Close by", "Training day", "Far away"]
    near = await (await site.client.get("/calendar?near_lat=51.5&near_lon=-0.12&radius=50")).text()
    assert "Far away" not in near and "Close by" in near
    kind = await (await site.client.get("/calendar?type=training")).text()
    assert "Training day" in kind and "Close by" not in kind
    assert (await site.client.get("/calendar?near_lat=abc&near_lon=1")).status == 400
    # "¹" is a digit to str.isdigit() but not to int(): the first page, not a crash.
    assert (await site.client.get("/calendar?page=%C2%B9")).status == 200
    assert (await site.client.get("/calendar?from=2031-01-01")).status == 200
    assert "Close by" not in await (await site.client.get("/calendar?from=2031-01-01")).text()


async def test_calendar_pages_kept_between_visits_never_show_what_has_changed(
    clocked: tuple[Site, ManualClock],
) -> None:
    # The calendar keeps its rendering between visits (web/routes/calendar.py): every
    # change must still show on the next visit, and no visitor sees another's page.
    site, clock = clocked
    titles = re.compile(r'<a href="/events/[0-9a-f]+">([^<]+)</a>')

    async def calendar(path: str = "/calendar") -> str:
        response = await site.client.get(path)
        assert response.status == 200
        return await response.text()

    await site.login("organiser@example.org")
    assert "No events match." in await calendar()
    event_id = await _create(site, visibility="members", title="Members' social")
    page = await calendar()
    assert titles.findall(page) == ["Members&#39; social"] and "New event" in page
    await site.post(f"/events/{event_id}/edit", {**EVENT, "visibility": "members", "title": "Quiz"})
    assert titles.findall(await calendar()) == ["Quiz"]
    await site.post(f"/events/{event_id}/cancel", {"reason": "Hall flooded"})
    assert "Cancelled" in await calendar()

    await site.logout()
    page = await calendar()
    assert "Quiz" not in page and "No events match." in page
    assert "New event" not in page and "Log out" not in page

    north = SigningKey(b"\x01" * 32)
    [joined] = await site.admit(north)  # a member hub's event
    starts = clock() // 1000 + 600
    soon = dataclasses.replace(REMOTE_EVENT, title="Picket", starts=starts, ends=starts + 30)
    await site.node.messages.ingest([_remote(north, 2, joined.id, "event", soon).wire])
    assert titles.findall(await calendar()) == ["Picket"]
    assert "Picket" not in await calendar("/calendar/past")
    # Over by the next minute: upcoming pages follow the clock a minute at a time.
    clock.advance((600 + 30 + 60) * 1000)
    assert "Picket" not in await calendar()
    assert "Picket" in await calendar("/calendar/past")


async def test_past_events_are_archived_not_deleted(site: Site) -> None:
    await site.login("organiser@example.org")
    await _create(site, start_date="2020-01-10", title="Long ago")
    assert "Long ago" not in await (await site.client.get("/calendar")).text()
    assert "Long ago" in await (await site.client.get("/calendar/past")).text()


async def test_my_events_feed_is_secret_and_revocable(site: Site) -> None:
    await site.login("organiser@example.org")
    event_id = await _create(site)
    await site.post(f"/events/{event_id}/rsvp")
    page = await (await site.submit("/account/calendar-feed")).text()
    url = re.search(r"<code>http://[^/]+(/calendar/mine/[^<]+\.ics)</code>", page)
    assert url
    ics = await (await site.client.get(url.group(1))).text()
    assert vobject.readOne(ics).vevent.summary.value == EVENT["title"]
    await site.post("/account/calendar-feed/revoke")
    assert (await site.client.get(url.group(1))).status == 404


async def test_atom_feeds_parse_with_titles_and_campaign_links(site: Site) -> None:
    from protocol.kinds.campaign import Campaign, CampaignUpdate

    await site.node.messages.append("announcement", Announcement(text="Hello", title="News <1>"))
    campaign = await site.node.messages.append(
        "campaign", Campaign(title="Save the library", summary="Keep it open", status="active")
    )
    await site.node.messages.append(
        "campaign.update", CampaignUpdate(campaign=campaign.id, text="We won a delay")
    )
    news = feedparser.parse(await (await site.client.get("/feeds/announcements.atom")).read())
    assert not news.bozo and news.entries[0].title == "News <1>"
    feed = feedparser.parse(await (await site.client.get("/feeds/campaigns.atom")).read())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Update: Save the library", "Save the library"]
    assert all(e.link.endswith(f"/campaigns/{campaign.id.hex()}") for e in feed.entries)
