"""The member's home page, notices that clear themselves, and @mentions, through the app."""

from __future__ import annotations

import re

from node.accounts.permissions import Role
from node.funds.polls import YES_NO_OPTIONS, PollKind
from tests.helpers import ManualClock
from tests.web.conftest import Site, acting, make_member
from tests.web.test_assembly import CLOSES, NOW, elect, hub, ingest, members, witnessed
from tests.web.test_events import EVENT
from tests.web.test_governance import nominations_end, open_election, stand

__all__ = ["hub"]  # the assembly tests' fixture: a hub on a clock, witnessing at once

ORGANISER = "organiser@example.org"
DAY = 86_400_000


async def _home(site: Site) -> str:
    response = await site.client.get("/dashboard")
    assert response.status == 200
    return await response.text()


def _section(page: str, heading: str) -> str:
    """The text of the page's section under the h2 `heading`, up to the next h2."""
    start = page.index(f">{heading}</h2>")
    end = page.find("<h2", start)
    return page[start : end if end != -1 else None]


async def test_home_lists_what_needs_a_member_and_drops_a_vote_once_cast(site: Site) -> None:
    node = site.node
    await make_member(node, "ann@example.org")
    organiser = await acting(node, 1)
    poll = await node.funds.open_poll(
        organiser, "Bike racks?", "Outside the hall.", PollKind.YES_NO, YES_NO_OPTIONS, 0,
        node.clock() + 3 * DAY,
    )  # fmt: skip
    await site.login(ORGANISER)
    created = await site.post("/events/new", {**EVENT, "title": "Repair cafe"})
    assert created.status == 303
    event = created.headers["Location"]
    await site.post("/events/new", {**EVENT, "title": "Litter pick"})
    await site.logout()
    await node.discussion.topics.start(organiser, "general", "Allotment rota", "Who can help?")

    await site.login("ann@example.org")
    assert (await site.post(f"{event}/rsvp")).status == 303
    page = await _home(site)
    needs = _section(page, "What needs you")
    assert "Poll: Bike racks?" in needs and "closes" in needs
    assert "Repair cafe" in needs  # her next event
    assert "Allotment rota" in needs  # a thread she has not read
    assert "New poll: “Bike racks?”" in needs  # the unread notice
    coming = _section(page, "Coming up at Riverside")
    assert "Litter pick" in coming and "Repair cafe" not in coming
    assert "For organisers" not in page

    voted = await site.post(f"/polls/{poll}/vote", {"choice": "0"})
    assert voted.status == 303 and voted.headers["Location"] == f"/polls/{poll}"
    assert "Poll: Bike racks?" not in await _home(site)


async def test_home_with_nothing_due_says_what_to_do_next(site: Site) -> None:
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    page = await _home(site)
    assert "Nothing needs you right now" in page
    assert "No events planned yet" in page and "/calendar" in page
    assert "Plan one" not in page  # a plain member cannot plan events


async def test_organisers_see_applications_waiting_and_members_do_not(site: Site) -> None:
    node = site.node
    await node.members.apply(
        name="Cy Applicant", email="cy@example.org", password="a long enough password",
        signed_charter=True, accepted_privacy=True,
    )  # fmt: skip
    await site.login(ORGANISER)
    organise = _section(await _home(site), "For organisers")
    assert "1 application to join waiting for you" in organise
    assert 'href="/organise/members"' in organise
    await site.logout()
    await make_member(node, "ann@example.org")
    await site.login("ann@example.org")
    assert "For organisers" not in await _home(site)


async def test_delegates_see_network_motions_to_vote_on(hub: tuple[Site, ManualClock]) -> None:
    site, _ = hub
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=1)
    await ingest(site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate)
    await ingest(site, south.second(motion, at=NOW + 60))
    await elect(site)
    await witnessed(site, north)
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    assert "Network motion" not in await _home(site)  # not hers to cast
    await site.logout()

    await site.login("del@example.org")
    needs = _section(await _home(site), "What needs you")
    assert "Network motion: Join the national day of action" in needs
    assert f'href="/network/motions/{motion.id.hex()}"' in needs
    url = f"/network/motions/{motion.id.hex()}"
    voted = await site.post(f"{url}/vote", {"choice": "For"})
    assert voted.status == 303 and voted.headers["Location"] == url
    assert "Network motion" not in await _home(site)


async def test_following_a_notice_marks_it_read(site: Site) -> None:
    node = site.node
    ann = await make_member(node, "ann@example.org")
    await node.notices.notify([ann], "Your group has a new task", "/groups")
    await site.login("ann@example.org")
    page = await (await site.client.get("/notices")).text()
    opened = re.search(r'href="(/notices/\d+/open)"', page)
    assert opened, page
    followed = await site.client.get(opened.group(1), allow_redirects=False)
    assert followed.status == 303 and followed.headers["Location"] == "/groups"
    assert await node.notices.unread_count(ann) == 0
    assert "New:" not in await (await site.client.get("/notices")).text()


async def test_mention_by_name_links_to_the_member_and_tells_them(site: Site) -> None:
    node = site.node
    await make_member(node, "ann@example.org")
    sam = await node.members.apply(
        name="Sam Jones", email="sam@example.org", password="a long enough password",
        signed_charter=True, accepted_privacy=True, status="active",
    )  # fmt: skip
    await site.login("ann@example.org")
    form = await (await site.client.get("/discussions")).text()
    assert '<option value="@Sam_Jones">' in form  # the list of names to pick from
    started = await site.post(
        "/discussions",
        {"category": "general", "title": "Stalls", "text": "Can you do the stall, @sam_jones?"},
    )
    assert started.status == 303
    topic = await (await site.client.get(started.headers["Location"])).text()
    assert f'<a class="mention" href="/members/{sam.id}">@sam_jones</a>' in topic
    assert "Your topic is started." in topic  # the flash line, shown once
    notices = [n.text for n in await node.notices.recent(sam.id)]
    assert notices == ["You were mentioned in “Stalls”"]
    # Picked from the list rather than typed: the same.
    reply = await site.post(
        f"{started.headers['Location']}/reply", {"text": "Thanks!", "mention": "@Sam_Jones"}
    )
    assert reply.status == 303
    assert len(await node.notices.recent(sam.id)) == 2
    member_page = await (await site.client.get(f"/members/{sam.id}")).text()
    assert "<h1>Sam Jones</h1>" in member_page and "@Sam_Jones" in member_page


async def test_reminder_to_vote_goes_once_the_member_has_voted(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    node = site.node
    ann = await make_member(node, "ann@example.org")
    bob = await make_member(node, "bob@example.org")
    election = await open_election(site, clock, Role.TREASURER, method="plurality")
    await stand(site, "ann@example.org", election)
    nominations_end(clock)
    record = await node.governance.election(election)
    assert record is not None
    clock.now_ms = record.voting_closes - DAY
    await node.governance.tick()
    await node.governance.tick()

    await site.login("bob@example.org")
    assert "You have not voted yet" in await (await site.client.get("/notices")).text()
    unread = await node.notices.unread_count(bob)
    vote_link = f'<a href="/elections/{election}">Election: Treasurer'
    assert vote_link in _section(await _home(site), "What needs you")
    voted = await site.post(f"/elections/{election}/vote", {"choice": str(ann)})
    assert voted.status == 303 and voted.headers["Location"] == f"/elections/{election}"
    shown = await (await site.client.get(voted.headers["Location"])).text()
    assert "Your vote is cast." in shown
    assert "You have not voted yet" not in await (await site.client.get("/notices")).text()
    assert await node.notices.unread_count(bob) == unread - 1
    assert vote_link not in await _home(site)
