""" "Download my data": everything the member wrote or chose that the hub keeps, with
dates people can read, and never how they voted; the leave page says what stays."""

from __future__ import annotations

import json
import re
from typing import Any

from node.funds.budget import HOUR_MS
from tests.helpers import ManualClock
from tests.web.conftest import Site, make_member
from tests.web.test_discussion import _announcement, _start_topic
from tests.web.test_events import EVENT
from tests.web.test_funds import _funded_round

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _keys_and_values(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _keys_and_values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [kv for v in value for kv in _keys_and_values(v, path)]
    return [(path, value)]


async def test_the_download_holds_what_the_member_wrote_and_chose_with_readable_dates(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    subject = await _announcement(site)
    round_id = await _funded_round(site, clock)
    response = await site.post("/events/new", EVENT)
    event_id = response.headers["Location"].rsplit("/", 1)[1]
    await site.logout()
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    await _start_topic(site, "Leaflets for Saturday", "Who can help fold?")
    await site.post("/account/network-name", {"display_name": "river_ann"})
    assert (await site.post(f"/discuss/{subject}", {"text": "Count me in"})).status == 303
    await site.post(
        f"/budget/{round_id}/proposals",
        {"title": "Seeds", "description": "For the garden.", "cost": "60"},
    )
    await site.post(f"/events/{event_id}/rsvp")
    [(seeds,)] = await site.node.db.fetchall("SELECT id FROM budget_proposals")
    clock.advance(3 * HOUR_MS)
    await site.login("ann@example.org")
    await site.post(f"/budget/{round_id}/approvals", {"proposal": str(seeds)})

    data = json.loads(await (await site.client.get("/account/data")).text())
    assert data["network_name"] == "river_ann"
    [topic] = data["topics_started"]
    assert topic["title"] == "Leaflets for Saturday"
    [post] = data["posts"]
    assert (post["topic_title"], post["text"]) == ("Leaflets for Saturday", "Who can help fold?")
    [comment] = data["comments"]
    assert (comment["on"], comment["as"], comment["text"]) == (subject, "river_ann", "Count me in")
    [proposal] = data["budget_proposals"]
    assert (proposal["round"], proposal["title"], proposal["cost_pence"]) == (
        "Spring",
        "Seeds",
        6000,
    )
    [rsvp] = data["rsvps"]
    assert rsvp["event"] == event_id and rsvp["starts"] == "2030-03-30T19:00:00Z"
    # That she took part in the round is hers to know; what she approved is nobody's.
    assert data["voted_in_budget_rounds"] == [str(round_id)]
    assert "approv" not in json.dumps(data).replace("Seeds", "")
    # Every time reads as a date, none as milliseconds since 1970.
    pairs = _keys_and_values(data)
    assert not [p for p, _ in pairs if p.endswith("_ms")]
    times = [(p, v) for p, v in pairs if p.rsplit(".", 1)[-1].endswith(("_at", "starts"))]
    assert len(times) > 10
    assert all(v is None or ISO.fullmatch(v) for _, v in times), times
    assert ISO.fullmatch(data["member"]["applied_at"])


async def test_the_leave_page_says_what_goes_and_what_stays(site: Site) -> None:
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    page = await (await site.client.get("/account")).text()
    leave = page[page.index('id="leave-heading"') :]
    assert "shown as written by “a former member”" in leave
    assert "Comments you made on news from other hubs" in leave
    assert "your network name" in leave and "Votes you have cast" in leave
