"""Budget rounds a hub can try in a meeting: windows of minutes from the hub's settings,
proposals added and removed one at a time with a running total, a step to check before
the approvals are sent."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node.funds.units import parse_utc, utc_field
from node.store.ballots import BallotBox, contest
from tests.helpers import ManualClock
from tests.web.conftest import Site, clocked_site, make_member

MINUTE = 60_000


@pytest.fixture
async def meeting(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    """A hub set for practice rounds: ten minutes of proposals, fifteen of voting."""
    yield await clocked_site(
        tmp_path,
        aiohttp_client,
        monkeypatch,
        HUBNET_BUDGET_PROPOSAL_MINUTES="10",
        HUBNET_BUDGET_VOTING_MINUTES="15",
    )


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="datetime-local" required value="([^"]+)"', page)
    assert match, name
    return match.group(1)


async def test_an_empty_purse_points_to_recording_income_first(site: Site) -> None:
    await site.login("organiser@example.org")
    page = await (await site.client.get("/budget")).text()
    assert "Available to put into a round: <strong>£0.00</strong>" in page
    assert '<a href="/funds">record the hub\'s income in the funds ledger first</a>' in page


async def test_a_practice_round_takes_minutes_and_says_how_long_is_left(
    meeting: tuple[Site, ManualClock],
) -> None:
    site, clock = meeting
    await site.login("organiser@example.org")
    await site.post(
        "/funds/entries",
        {"kind": "income", "amount": "150", "date": "2025-11-01", "category": "Donations"},
    )
    form = await (await site.client.get("/budget")).text()
    assert "Each window must be at least 5 minutes long" in form
    windows = {n: _field(form, n) for n in ("proposals_close", "voting_open", "voting_close")}
    closes, opens, ends = (parse_utc(v, n) for n, v in windows.items())
    assert closes == opens and 10 * MINUTE <= closes - clock() < 11 * MINUTE
    assert ends - opens == 15 * MINUTE
    too_short = {**windows, "voting_close": utc_field(opens + 4 * MINUTE)}
    refused = await site.post("/budget", {"title": "Try", "amount": "10", **too_short})
    assert refused.status == 400
    assert "The voting window must be at least 5 minutes long." in await refused.text()
    opened = await site.submit("/budget", {"title": "Practice", "amount": "100", **windows})
    assert opened.status == 200
    page = await opened.text()
    assert re.search(r"Taking proposals until .*? \(in 1[01] minutes\)", page)
    clock.advance(opens - clock())
    [(round_id,)] = await site.node.db.fetchall("SELECT max(id) FROM budget_rounds")
    page = await (await site.client.get(f"/budget/{round_id}")).text()
    close_time = windows["voting_close"][-5:]
    assert f"Voting closes at {windows['voting_close'][8:10]}" in page
    assert re.search(rf"{close_time} (GMT|BST), in 15 minutes\.", page), page


async def test_choices_keep_a_running_total_and_are_sent_after_a_check(
    meeting: tuple[Site, ManualClock],
) -> None:
    site, clock = meeting
    await site.login("organiser@example.org")
    await site.post(
        "/funds/entries",
        {"kind": "income", "amount": "150", "date": "2025-11-01", "category": "Donations"},
    )
    form = await (await site.client.get("/budget")).text()
    windows = {n: _field(form, n) for n in ("proposals_close", "voting_open", "voting_close")}
    await site.post("/budget", {"title": "Practice", "amount": "100", **windows})
    [(round_id,)] = await site.node.db.fetchall("SELECT max(id) FROM budget_rounds")
    base = f"/budget/{round_id}"
    for title, cost in (("Seeds", "60"), ("Hall", "50"), ("Zine", "30")):
        await site.post(f"{base}/proposals", {"title": title, "description": "Yes.", "cost": cost})
    ids = {t: i for i, t in await site.node.db.fetchall("SELECT id, title FROM budget_proposals")}
    await make_member(site.node, "ann@example.org")
    await site.logout()
    await site.login("ann@example.org")
    early = await site.post(f"{base}/choices", {"proposal": str(ids["Seeds"]), "chosen": "yes"})
    assert early.status == 400 and "Voting in this round opens" in await early.text()
    clock.advance(parse_utc(windows["voting_open"], "x") - clock())

    async def choose(title: str, chosen: str) -> str:
        response = await site.post(
            f"{base}/choices", {"proposal": str(ids[title]), "chosen": chosen}
        )
        assert response.status == 303
        assert response.headers["Location"] == f"{base}#proposal-{ids[title]}"
        page = await (await site.client.get(base)).text()
        said = "Added to your choices." if chosen == "yes" else "Taken out of your choices."
        assert f'role="status">{said}<' in page
        return page

    page = await choose("Seeds", "yes")
    assert "Your choices: <strong>£60.00</strong> of the round's £100.00" in page
    assert "Remove Seeds" in page and "Add Hall" in page
    page = await choose("Hall", "yes")
    assert "<strong>£110.00</strong>" in page and "more than the round holds" in page
    page = await choose("Hall", "no")
    page = await choose("Zine", "yes")
    assert "Your choices: <strong>£90.00</strong>" in page and "(2 proposals)" in page
    assert "more than the round holds" not in page
    # Nothing is sent until the member has checked: no ballot in the box yet.
    assert await site.node.funds.voters(round_id) == 0

    review = await (await site.client.get(f"{base}/review")).text()
    assert re.findall(r'<th scope="row">(\w+)</th>', review) == ["Seeds", "Zine", "Total"]
    assert "<strong>£90.00</strong> of £100.00" in review
    hidden = re.findall(r'name="proposal" value="(\d+)"', review)
    sent = await site.submit(f"{base}/approvals", {"proposal": hidden})  # type: ignore[dict-item]
    assert "Your approvals are recorded (2 proposals)" in await sent.text()
    box = await BallotBox(site.node.db).choices(contest("budget", round_id))
    assert sorted(box) == sorted([[ids["Seeds"], 1], [ids["Zine"], 1], [ids["Hall"], 0]])
    after = await (await site.client.get(base)).text()
    assert "Your choices:" not in after and "Add Hall" not in after
    again = await site.post(f"{base}/choices", {"proposal": str(ids["Hall"]), "chosen": "yes"})
    assert again.status == 400 and "already sent your approvals" in await again.text()
