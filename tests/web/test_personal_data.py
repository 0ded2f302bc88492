"""A member's RSVPs, feed address, speaker offers and mutual aid posts: in their data
download while they are a member, and erased (or withdrawn from the network) when they
leave."""

from __future__ import annotations

import json
import re

from tests.web.conftest import Site, make_member
from tests.web.test_events import EVENT


async def _member_with_a_trail(site: Site) -> tuple[int, str, str]:
    """Ann RSVPs to a public event, takes a feed address, offers to speak and posts on the
    mutual aid board; (her id, the event's id, her feed's path)."""
    await site.login("organiser@example.org")
    response = await site.post("/events/new", EVENT)
    assert response.status == 303, await response.text()
    event_id = response.headers["Location"].rsplit("/", 1)[1]
    await site.logout()
    ann = await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    assert "1 going of 2 places" in await (await site.submit(f"/events/{event_id}/rsvp")).text()
    page = await (await site.submit("/account/calendar-feed")).text()
    feed = re.search(r"<code>http://[^/]+(/calendar/mine/[^<]+\.ics)</code>", page)
    assert feed
    offered = await site.submit(
        "/speakers/offer", {"topics": "tenant unions", "area": "Leeds", "note": "Evenings"}
    )
    assert "tenant unions" in await offered.text()
    posted = await site.submit(
        "/mutual-aid", {"type": "offer", "title": "Spare bike trailer", "text": "Ask me"}
    )
    assert "Spare bike trailer" in await posted.text()
    return ann, event_id, feed.group(1)


async def test_data_download_holds_rsvps_speaker_offers_and_mutual_aid_posts(site: Site) -> None:
    _, event_id, _ = await _member_with_a_trail(site)
    data = json.loads(await (await site.client.get("/account/data")).text())
    [rsvp] = data["rsvps"]
    assert rsvp["event"] == event_id and rsvp["title"] == EVENT["title"]
    [offer] = data["speaker_offers"]
    assert offer["topics"] == ["tenant unions"] and offer["area"] == "Leeds"
    assert offer["note"] == "Evenings" and offer["published_as"] is not None
    [post] = data["mutual_aid_posts"]
    assert (post["type"], post["title"], post["text"]) == ("offer", "Spare bike trailer", "Ask me")


async def test_leaving_erases_rsvps_feed_and_posts_and_withdraws_speaker_offers(
    site: Site,
) -> None:
    ann, event_id, feed = await _member_with_a_trail(site)
    [offer] = await site.node.messages.recent(kind="speaker.offer")
    assert "tenant unions" in await (await site.client.get("/speakers")).text()

    assert "You have left" in await (await site.submit("/account/leave", {"confirm": "yes"})).text()

    # The offer is withdrawn from the network, not just forgotten here.
    [withdraw] = await site.node.messages.recent(kind="speaker.withdraw")
    assert withdraw.body.offer == offer.id
    await make_member(site.node, "bo@example.org")
    await site.login("bo@example.org")
    assert "No speakers on offer" in await (await site.client.get("/speakers")).text()
    assert "Spare bike trailer" not in await (await site.client.get("/mutual-aid")).text()
    assert "0 going of 2 places" in await (await site.client.get(f"/events/{event_id}")).text()
    assert (await site.client.get(feed)).status == 404
    # Nothing of hers is left in the tables those pages read.
    for table in ("rsvps", "calendar_tokens", "speakers", "mutual_aid"):
        row = await site.node.db.fetchone(
            f"SELECT count(*) FROM {table} WHERE member_id = ?", (ann,)
        )
        assert row is not None and row[0] == 0, table
