"""A hub with something on every page, and the address of every page a member or an
organiser can open: for the tests that walk them all (tests/web/test_page_weight.py,
tests/web/test_plain_words.py, tests/browser/test_narrow_pages.py).

`seed` fills the hub through its own forms, as tests/web/test_post_redirect_get.py
does: members (one with a long email address), an application waiting, events, a
discussion with a reply and a comment, a group with a task, a poll, a budget round and
an election (both counted), a campaign, the library, the directory, speakers, a peer
and two other hubs of the network with a motion. `page_paths` takes every GET route
from the app's router and fills in its parameters from what was made; a GET route
neither filled in nor named in NOT_PAGES fails the walk, so a new page cannot be
left out of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from node.accounts.permissions import Role
from node.appkeys import FEDERATION
from protocol.kinds.community import SpeakerOffer, SpeakerRequest
from tests.helpers import ManualClock
from tests.web.conftest import PASSWORD, Site, acting, make_member
from tests.web.test_across_hubs import ASK
from tests.web.test_assembly import CLOSES, NOW, elect, ingest, members, witnessed
from tests.web.test_community import SERVICE, upload
from tests.web.test_events import EVENT
from tests.web.test_funds import INCOME, _poll, _windows
from web.electing import to_field

ORGANISER = "organiser@example.org"  # the founder's email in tests/web's hubs
MEMBER = "ann@example.org"
# A member whose email address is longer than a phone is wide: it must wrap, not be cut.
LONG_EMAIL = "bartholomew.featherstonehaugh-montgomery@allotments.example.org"
HOUR = 3_600_000
DAY = 24 * HOUR

# GET routes that are not HTML pages, and what each is instead: the walks skip them.
NOT_PAGES = {
    "/account/data": "the member's data, a JSON download",
    "/calendar.ics": "an iCalendar feed",
    "/calendar/hubs/{node_id}.ics": "an iCalendar feed",
    "/calendar/mine/{token}.ics": "an iCalendar feed",
    "/events/{event_id}/event.ics": "an iCalendar file",
    "/feeds/announcements.atom": "an Atom feed",
    "/feeds/campaigns.atom": "an Atom feed",
    "/charter/endorsements/{message_id}/badge.svg": "an SVG image",
    "/funds/entries/{entry_id}/receipt": "a receipt's file",
    "/library/{resource_id}/file": "a library file",
    "/organise/exchange/bundle": "a bundle file to carry on a USB stick",
    "/healthz": "JSON for monitoring",
    "/metrics": "Prometheus metrics",
    "/.well-known/hubnet": "JSON for other hubs' nodes",
    "/federation/v1": "the federation API, msgpack for other hubs' nodes",
    "/ap/objects/{message}": "an ActivityPub object, JSON for fediverse servers",
    "/ap/outbox": "the hub's ActivityPub outbox, JSON for fediverse servers",
    "/ap/followers": "the hub's ActivityPub followers collection, JSON",
    "/.well-known/webfinger": "WebFinger, JSON for fediverse servers",
    "/.well-known/nodeinfo": "NodeInfo's links, JSON",
    "/nodeinfo/2.1": "NodeInfo, JSON",
    "/static": "the stylesheet and other static files",
}


@dataclass(frozen=True)
class Seeded:
    """What `seed` made: a page to open for each GET route with parameters, the same
    for everyone or (a notice) each person's own, by email."""

    filled: dict[str, str | dict[str, str]]


async def _made(site: Site, path: str, form: dict[str, str] | None = None) -> str:
    """POST a form that must succeed; where it redirects to, without any #fragment."""
    response = await site.post(path, form or {})
    assert response.status == 303, f"{path}: {response.status}\n{await response.text()}"
    return str(response.headers["Location"]).split("#")[0]


async def _as(site: Site, email: str) -> None:
    await site.logout()
    await site.login(email)


async def seed(site: Site, clock: ManualClock) -> Seeded:
    """Fill the hub on `site` (as the `hub` fixture's: a clock at NOW, witnessing at
    once), its founder, who has PASSWORD, acting as the organiser."""
    node = site.node
    founder = await node.members.get(1)
    assert founder is not None and founder.email is not None
    organiser_email = founder.email
    ann = await make_member(node, MEMBER)
    await make_member(node, LONG_EMAIL)
    await node.members.apply(
        name="Cy Applicant", email="cy.applicant.with.a.long.address@example.org",
        password=PASSWORD, signed_charter=True, accepted_privacy=True,
        statement="I help at the food bank on Thursdays.",
    )  # fmt: skip
    await site.login(MEMBER)
    await _made(site, "/speakers/offer", {"topics": "Housing", "area": "Leeds"})
    await _as(site, organiser_email)
    await node.notices.notify([1, ann], "Your group has a new task", "/groups")

    # Money and decisions: the ledger, a budget round with two proposals, a poll.
    await _made(site, "/funds/entries", {**INCOME, "amount": "500", "note": "Jumble sale"})
    spent = {"kind": "spending", "amount": "40.50", "date": "2025-11-02", "category": "Printing"}
    await _made(site, "/funds/entries", spent)
    budget = await _made(site, "/budget", {"title": "Spring", "amount": "100", **_windows(clock)})
    for title, cost in (("Seeds for the community garden", "60"), ("Zine printing", "30")):
        await _made(
            site,
            f"{budget}/proposals",
            {"title": title, "description": "For the members.", "cost": cost},
        )
    [(proposal,)] = await node.db.fetchall("SELECT max(id) FROM budget_proposals")
    poll = await _made(site, "/polls", _poll(clock, quorum="0"))

    # Events, a discussion, a group.
    event = await _made(site, "/events/new", EVENT)
    await _made(site, "/events/new", {**EVENT, "title": "Quiz night", "visibility": "members"})
    await _made(site, f"{event}/rsvp")
    await _made(site, "/account/network-name", {"display_name": "riverside_organiser"})
    topic = await _made(
        site, "/discussions", {"category": "general", "title": "Allotment rota", "text": "Who?"}
    )
    await _made(site, f"{topic}/reply", {"text": "I can do Saturdays."})
    event_hex = event.rsplit("/", 1)[1]
    await _made(site, f"/discuss/{event_hex}", {"text": "I will bring the urn."})
    group = await _made(site, "/groups", {"name": "Garden", "purpose": "Grow food together"})
    await _made(site, f"{group}/tasks", {"text": "Dig the new beds"})

    # The hub's community pages.
    await _made(site, "/directory/new", SERVICE)
    [(entry,)] = await node.db.fetchall("SELECT max(id) FROM directory_local")
    campaign = await _made(
        site,
        "/campaigns/new",
        {"title": "Save the library", "summary": "Keep it open", "status": "active"},
    )
    await _made(site, f"{campaign}/update", {"text": "Week 1", "events": event_hex})
    await _made(site, "/charter", {"version": "2", "title": "Ours", "text": "We share."})
    uploaded = await upload(site, "leaflet.pdf", b"%PDF-1.4 leaflet", "Leaflet")
    assert uploaded.status == 303, await uploaded.text()
    resource = str(uploaded.headers["Location"]).split("#")[0]
    if resource == "/library":
        [item] = await node.community.library.items(limit=1)
        resource = f"/library/{item.id.hex()}"
    await _made(site, "/organise/news", {"title": "Members night", "text": "Friday at 7."})
    [news] = await node.news.items(own=True, limit=1)
    endorsement = await _made(
        site,
        "/network/charter/endorsements",
        {"organisation": "Riverside Union", "kind": "union", "date": "2026-01-01"},
    )
    [adopted, *_] = await node.messages.recent("charter.adopt", node.node_id)

    # The network: two other member hubs, one a peer; their speaker, a motion.
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    await ingest(site, *north.first, north.own_mandate, *south.first, south.own_mandate)
    await site.client.app[FEDERATION].peers.add(north.node_id, "http://127.0.0.1:9", "Northgate")
    their_offer = north.send("speaker.offer", SpeakerOffer(topics=("housing law",)), NOW)
    await ingest(site, their_offer)
    [our_offer, *_] = await node.messages.recent("speaker.offer", node.node_id)
    asked = SpeakerRequest(
        to=node.node_id, offer=our_offer.id, topic="Housing", starts=1_936_549_800,
        timezone="Europe/London", place="Northgate Hall",
    )  # fmt: skip
    request = north.send("speaker.request", asked, NOW)
    await ingest(site, request)
    await node.projections.caught_up()
    await _made(site, f"/speakers/requests/{request.id.hex()}/pass")  # to Ann, the speaker
    # A second offer of theirs stays open to ask (asking uses the page up).
    another_offer = north.send("speaker.offer", SpeakerOffer(topics=("tenancy",)), NOW)
    await ingest(site, another_offer)
    await _made(site, f"/speakers/ask/{their_offer.id.hex()}", ASK)
    await node.projections.caught_up()
    motion = await _made(
        site,
        "/network/motions",
        {"body": "national", "title": "Join the day of action", "text": "We join.",
         "options_kind": "for-against", "seconds_needed": "1",
         "closes": to_field((CLOSES - 60) * 1000)[:16], "rule": "majority",
         "quorum_percent": "0"},
    )  # fmt: skip
    await elect(site)
    other = north.motion(at=NOW, closes=CLOSES, seconds_needed=1)
    await ingest(site, other)
    await _as(site, "del@example.org")
    await _made(site, f"/network/motions/{other.id.hex()}/second")
    await witnessed(site, north)
    await _made(site, f"/network/motions/{other.id.hex()}/vote", {"choice": "For"})
    await _as(site, organiser_email)
    assert motion.startswith("/network/motions/")

    # An election, with a candidate who accepts.
    now = clock()
    election = await _made(
        site,
        "/elections/new",
        {
            "role": Role.TREASURER.value,
            "method": "plurality",
            "nominations_close": to_field(now + DAY),
            "voting_opens": to_field(now + DAY),
            "voting_closes": to_field(now + 2 * DAY),
        },
    )
    await _made(site, f"{election}/nominate", {"nominee": str(ann)})
    await _as(site, MEMBER)
    await _made(site, f"{election}/accept", {"statement": "I keep good accounts."})

    # Votes, then the windows close: the budget round's and the election's results show.
    clock.advance(3 * HOUR + 1)  # sessions end when idle this long: log in again
    await _as(site, MEMBER)
    await _made(site, f"{budget}/choices", {"proposal": str(proposal), "chosen": "yes"})
    await _made(site, f"{budget}/approvals", {"proposal": str(proposal)})
    clock.advance(DAY)
    await _as(site, MEMBER)
    await _made(site, f"{election}/vote", {"choice": str(ann)})
    clock.advance(DAY + HOUR)
    await site.logout()

    # One-time links, made last so that none has expired yet.
    organiser = await acting(node, 1)
    invite, _ = await node.invitations.invite(organiser, "Gil", "")
    reset = await node.sessions.create_reset_link(ann, by=organiser)
    # The link an applicant is emailed to confirm their address (made as ask_to_join
    # makes it, without an email server to send it).
    confirm = await node.confirmations._new_link(
        "join", "dee@example.org", None,
        {"name": "Dee Walker", "email": "dee@example.org", "phone": None, "statement": None,
         "password_hash": "not used here", "charter_version": "1"},
    )  # fmt: skip

    notices = {
        email: f"/notices/{(await node.notices.recent(member))[0].id}/open"
        for email, member in ((MEMBER, ann), (organiser_email, 1))
    }
    ours = other.id.hex()
    return Seeded(
        {
            "/network/motions/{motion_id}": f"/network/motions/{ours}",
            "/network/hubs/{node_id}": f"/network/hubs/{north.node_id}",
            "/budget/{round_id}": budget,
            "/budget/{round_id}/review": f"{budget}/review",
            "/campaigns/{campaign_id}": campaign,
            "/directory/{entry_id}/edit": f"/directory/{entry}/edit",
            "/discussions/{topic_id}": topic,
            "/discuss/{message_id}": f"/discuss/{event_hex}",
            "/elections/{election_id}": election,
            "/network/charter/endorsements/{message_id}": endorsement,
            "/network/charters/{message_id}": f"/network/charters/{adopted.id.hex()}",
            "/events/{event_id}": event,
            "/events/{event_id}/edit": f"{event}/edit",
            "/events/{event_id}/cancel": f"{event}/cancel",
            "/groups/{group_id}": group,
            "/library/{resource_id}": resource,
            "/organise/news/{announcement_id}/edit": f"/organise/news/{news.id.hex()}/edit",
            "/notices/{notice_id}/open": notices,
            "/invite/{token}": invite[invite.index("/invite/") :],
            "/confirm/{token}": confirm[confirm.index("/confirm/") :],
            "/reset/{token}": f"/reset/{reset}",
            "/members/{member_id}": f"/members/{ann}",
            "/polls/{poll_id}": poll,
            "/speakers/ask/{offer_id}": f"/speakers/ask/{another_offer.id.hex()}",
            "/speakers/requests/{request_id}": f"/speakers/requests/{request.id.hex()}",
        }
    )


def page_paths(app: web.Application, seeded: Seeded, email: str) -> list[str]:
    """A page for the person with `email` to open for every GET route of `app` that is
    an HTML page, in the router's order; fails naming any GET route that is neither
    filled in by `seed` nor in NOT_PAGES."""
    paths, missing = [], []
    for resource in app.router.resources():
        if not any(route.method == "GET" for route in resource):
            continue
        route = resource.canonical.rstrip("/") or "/"
        if route in NOT_PAGES:
            continue
        if "{" not in route:
            paths.append(route)
        elif route in seeded.filled:
            filled = seeded.filled[route]
            paths.append(filled if isinstance(filled, str) else filled[email])
        else:
            missing.append(route)
    assert not missing, f"GET routes the page walk does not open: {missing}"
    return paths


@dataclass(frozen=True)
class Fetched:
    path: str
    status: int
    html: str


async def fetch_pages(site: Site, paths: list[str], email: str) -> list[Fetched]:
    """Every page of `paths` as the member with `email` sees it (redirects followed, as a
    browser does); logs them out at the end. Organisers' pages answer a member 403."""
    await site.login(email)
    fetched = []
    for path in paths:
        response = await site.client.get(path)
        fetched.append(Fetched(path, response.status, await response.text()))
    await site.logout()
    return fetched
