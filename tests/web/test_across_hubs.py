"""Across hubs through the real app: asking another hub for a speaker, answering a
request made of this hub, and saying "I'm coming" to another hub's event."""

from __future__ import annotations

import re
from typing import Any

from crypto.nodeid import node_id_from_public_key
from node.accounts.permissions import Role
from protocol.envelope import Message, create_message
from protocol.kinds.community import SpeakerAnswer, SpeakerOffer, SpeakerRequest
from protocol.kinds.event import EventAttendance, EventDetails
from protocol.kinds.hub import HubProfile
from tests.helpers import T0, key_from
from tests.web.conftest import Site, make_member

NORTH, MALLORY = key_from(21), key_from(22)
NORTH_ID = node_id_from_public_key(NORTH.public_key)

ASK = {
    "topic": "housing law",
    "day": "2031-05-14",
    "time": "19:30",
    "timezone": "Europe/London",
    "place": "Riverside Community Centre",
    "message": "A public meeting on renters' rights.",
    "share_contact": "yes",
}


def _signed(key: Any, seq: int, prev: Message, kind: str, body: object) -> Message:
    return create_message(key, kind, body, seq, prev.id, T0 + seq)


async def _stored(site: Site, *messages: Message) -> None:
    report = await site.node.messages.ingest([m.wire for m in messages])
    assert all(o.status.value == "stored" for o in report.outcomes), report
    await site.node.projections.caught_up()


async def _page(site: Site, path: str) -> str:
    response = await site.client.get(path)
    assert response.status == 200, path
    return await response.text()


async def test_member_asks_another_hubs_speaker_and_only_that_hubs_answer_counts(
    site: Site,
) -> None:
    n1, m1 = await site.admit(NORTH, MALLORY)
    n2 = _signed(NORTH, 2, n1, "hub.profile", HubProfile(name="Northgate", url="http://n.test"))
    n3 = _signed(NORTH, 3, n2, "speaker.offer", SpeakerOffer(topics=("housing law",)))
    await _stored(site, n2, n3)
    await make_member(site.node, "dee.walker@example.org")
    await site.login("dee.walker@example.org")
    speakers = await _page(site, "/speakers")
    assert f'href="/speakers/ask/{n3.id.hex()}"' in speakers and "Through Northgate" in speakers
    form = await _page(site, f"/speakers/ask/{n3.id.hex()}")
    assert 'value="housing law"' in form and "Northgate has a speaker on housing law" in form

    refused = await site.post(f"/speakers/ask/{n3.id.hex()}", {**ASK, "day": "2020-01-01"})
    assert refused.status == 400
    kept = await refused.text()
    assert "That date has passed" in kept and "Riverside Community Centre" in kept

    asked = await site.post(f"/speakers/ask/{n3.id.hex()}", ASK)
    [sent] = await site.node.messages.recent(kind="speaker.request")
    mine = f"/speakers/requests/{sent.id.hex()}"
    assert asked.status == 303 and asked.headers["Location"] == mine
    page = await _page(site, asked.headers["Location"])
    assert "Your request is on its way" in page and "No answer yet." in page
    assert sent.body == SpeakerRequest(
        to=NORTH_ID,
        offer=n3.id,
        topic="housing law",
        starts=1_936_549_800,  # 2031-05-14 19:30 BST
        timezone="Europe/London",
        place="Riverside Community Centre",
        message="A public meeting on renters' rights.",
    )
    assert b"dee.walker" not in sent.payload and b"example.org" not in sent.payload

    # Mallory, another member hub, was not asked: its answer changes nothing.
    forged = _signed(
        MALLORY,
        2,
        m1,
        "speaker.answer",
        SpeakerAnswer(to=site.node.node_id, request=sent.id, answer="decline"),
    )
    await _stored(site, forged)
    assert "No answer yet." in await _page(site, mine)
    assert "answered" not in await _page(site, "/notices")

    answer = SpeakerAnswer(
        to=site.node.node_id, request=sent.id, answer="accept", message="Glad to."
    )
    await _stored(site, _signed(NORTH, 4, n3, "speaker.answer", answer))
    page = await _page(site, mine)
    assert "Yes, the speaker will come." in page and "Glad to." in page
    assert "You agreed that" in page
    assert "The hub you asked for a speaker has answered." in await _page(site, "/notices")

    # The asking hub's organiser sees who asked, and may pass their contact on.
    await site.logout()
    await make_member(site.node, "sec@example.org", Role.SECRETARY)
    await site.login("sec@example.org")
    page = await _page(site, mine)
    assert "dee.walker@example.org" in page and "Send them to Northgate yourself" in page


async def test_request_made_of_this_hub_is_passed_on_and_answered_by_the_speaker(
    site: Site,
) -> None:
    (n1,) = await site.admit(NORTH)
    await make_member(site.node, "sec@example.org", Role.SECRETARY)
    await make_member(site.node, "ana.speaker@example.org")
    await site.login("ana.speaker@example.org")
    await site.post("/speakers/offer", {"topics": "housing law"})
    [offer] = await site.node.messages.recent(kind="speaker.offer")
    body = SpeakerRequest(
        to=site.node.node_id, offer=offer.id, topic="housing law", starts=1_936_549_800,
        timezone="Europe/London", place="Northgate Hall",
    )  # fmt: skip
    request = _signed(NORTH, 2, n1, "speaker.request", body)
    await _stored(site, request)
    path = f"/speakers/requests/{request.id.hex()}"
    # Not passed on yet: the speaker sees nothing, and may not answer.
    assert (await site.client.get(path)).status == 404
    assert (await site.post(path + "/answer", {"answer": "accept"})).status == 404
    await site.logout()

    await site.login("sec@example.org")
    assert "asks for one of this hub" in await _page(site, "/notices")
    page = await _page(site, path)
    assert "ana.speaker, a member of" in page and "Pass on to ana.speaker" in page
    passed = await site.submit(path + "/pass")
    assert "Passed on to ana.speaker." in await passed.text()
    again = await site.post(path + "/pass")
    assert again.status == 400 and "passed on already" in await again.text()
    await site.logout()

    await site.login("ana.speaker@example.org")
    assert "A hub asks you to speak on housing law" in await _page(site, "/notices")
    answered = await site.submit(path + "/answer", {"answer": "accept", "message": "Happy to."})
    assert "Yes, the speaker will come." in await answered.text()
    [sent] = await site.node.messages.recent(kind="speaker.answer")
    assert sent.body == SpeakerAnswer(
        to=NORTH_ID, request=request.id, answer="accept", message="Happy to."
    )
    twice = await site.post(path + "/answer", {"answer": "decline"})
    assert twice.status == 400 and "answered already" in await twice.text()
    assert len(await site.node.messages.recent(kind="speaker.answer")) == 1


async def test_a_plain_member_cannot_see_or_answer_a_request_made_of_this_hub(site: Site) -> None:
    (n1,) = await site.admit(NORTH)
    await make_member(site.node, "ana.speaker@example.org")
    await site.login("ana.speaker@example.org")
    await site.post("/speakers/offer", {"topics": "housing law"})
    [offer] = await site.node.messages.recent(kind="speaker.offer")
    body = SpeakerRequest(
        to=site.node.node_id, offer=offer.id, topic="housing law", starts=1_936_549_800,
        timezone="Europe/London", place="Northgate Hall",
    )  # fmt: skip
    request = _signed(NORTH, 2, n1, "speaker.request", body)
    await _stored(site, request)
    await site.logout()
    await make_member(site.node, "plain@example.org")
    await site.login("plain@example.org")
    path = f"/speakers/requests/{request.id.hex()}"
    assert (await site.client.get(path)).status == 404
    assert (await site.post(path + "/pass")).status == 403
    refused = await site.post(path + "/answer", {"answer": "accept"})
    assert refused.status == 404
    assert await site.node.messages.recent(kind="speaker.answer") == []


REMOTE_EVENT = EventDetails(
    title="Northgate depot picket",
    starts=1_900_000_000,
    ends=1_900_003_600,
    timezone="Europe/London",
    type="action",
    visibility="network",
    place="Northgate depot",
    capacity=40,
)


async def test_im_coming_to_another_hubs_event_publishes_a_count_and_no_name(site: Site) -> None:
    n1, m1 = await site.admit(NORTH, MALLORY)
    n2 = _signed(NORTH, 2, n1, "hub.profile", HubProfile(name="Northgate", url="http://n.test"))
    event = _signed(NORTH, 3, n2, "event", REMOTE_EVENT)
    organisers = _signed(NORTH, 4, event, "event.attendance", EventAttendance(event.id, 5))
    await _stored(site, n2, event, organisers)
    await make_member(site.node, "dee.walker@example.org")
    await site.login("dee.walker@example.org")
    path = f"/events/{event.id.hex()}"
    page = await _page(site, path)
    assert f'action="{path}/rsvp"' in page and "n.test" not in page
    assert f'href="/discuss/{event.id.hex()}"' in page
    assert "5 going of 40 places" in page

    page = await (await site.submit(path + "/rsvp")).text()
    assert "You are down as coming." in page and "I can no longer come" in page
    assert "6 going of 40 places (1 from other hubs)" in page
    [count] = await site.node.messages.recent("event.attendance", site.node.node_id)
    assert count.origin == site.node.node_id and count.body == EventAttendance(event.id, 1)
    assert b"dee.walker" not in count.payload and b"example.org" not in count.payload

    # A hostile hub claims a crowd: shown as that hub's, never more than the places.
    hostile = _signed(MALLORY, 2, m1, "event.attendance", EventAttendance(event.id, 100_000))
    await _stored(site, hostile)
    page = await _page(site, path)
    assert "40 going of 40 places (40 from other hubs)" in page
    assert re.search(r"<li>Northgate: 5</li>.*<li>a hub: 40</li>.*<li>[^<]*: 1</li>", page, re.S)
    assert "The event is full." not in page  # Dee is coming already: she may withdraw

    page = await (await site.submit(path + "/withdraw")).text()
    assert "You are no longer down as coming." in page
    counts = await site.node.messages.recent("event.attendance", site.node.node_id)
    assert [m.body.count for m in counts] == [0, 1]
