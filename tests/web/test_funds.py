"""Funds, budget rounds and polls through the real app, on a clock the test moves:
every refusal says why and changes nothing; each page allows exactly its roles."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from node.accounts.permissions import Role
from node.funds.budget import HOUR_MS
from node.funds.polls import DAY_MS
from node.funds.receipts import MAX_RECEIPT_BYTES
from node.funds.units import utc_field
from node.store.ballots import BallotBox, contest
from tests.helpers import ManualClock
from tests.unit.test_funds_rules import PDF, PNG
from tests.web.conftest import Site, clocked_site, make_member


@pytest.fixture
async def timed(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, ManualClock]]:
    """A hub on a ManualClock, with sessions long enough to outlive the windows moved through."""
    yield await clocked_site(
        tmp_path,
        aiohttp_client,
        monkeypatch,
        HUBNET_SESSION_IDLE_MINUTES="1000000",
        HUBNET_SESSION_MAX_HOURS="100000",
    )


async def _as(site: Site, email: str, role: Role | None = None) -> None:
    await make_member(site.node, email, role)
    await site.logout()
    await site.login(email)


async def _entries(site: Site) -> list[object]:
    return await site.node.db.fetchall("SELECT * FROM ledger_entries")


async def _upload(site: Site, fields: dict[str, str], receipt: tuple[bytes, str, str]):  # type: ignore[no-untyped-def]
    form = FormData()
    form.add_field("csrf", await site.csrf())
    for name, value in fields.items():
        form.add_field(name, value)
    data, filename, content_type = receipt
    # A file object, as a browser's upload would be (large raw bytes make aiohttp warn).
    form.add_field("receipt", io.BytesIO(data), filename=filename, content_type=content_type)
    response = await site.client.post("/funds/entries", data=form, allow_redirects=False)
    if response.status != 303:  # refused: the form again
        return response
    return await site.client.get(response.headers["Location"])  # recorded: the ledger


INCOME = {"kind": "income", "amount": "250.00", "date": "2025-11-01", "category": "Donations"}

# -- the ledger -------------------------------------------------------------------------


async def test_treasurer_records_and_every_member_sees_the_balance(
    timed: tuple[Site, ManualClock],
) -> None:
    site, _ = timed
    await _as(site, "tess@example.org", Role.TREASURER)
    response = await site.submit("/funds/entries", {**INCOME, "note": "Jumble sale"})
    assert response.status == 200 and "Entry 1 recorded." in await response.text()
    await site.post(
        "/funds/entries",
        {"kind": "spending", "amount": "40", "date": "2025-11-02", "category": "Printing"},
    )
    await _as(site, "ann@example.org")
    page = await (await site.client.get("/funds")).text()
    assert "£210.00" in page and "Jumble sale" in page and "Printing" in page
    assert 'action="/funds/entries"' not in page  # no record form for a plain member
    for link in ('href="/funds"', 'href="/budget"', 'href="/polls"'):
        assert link in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "-5"}, "cannot be negative"),
        ({"amount": "0"}, "must be more than zero"),
        ({"amount": "1.005"}, "whole number of pence"),
        ({"amount": "lots"}, "must be a number of pounds"),
        ({"date": "2025-02-30"}, "is not a day in the calendar"),
        ({"date": "13/11/2025"}, "must be a date written like"),
        ({"date": "2025-11-14"}, "is in the future"),
        ({"category": ""}, "The category is missing"),
        ({"kind": "gift"}, "Choose the entry&#39;s type"),
        ({"corrects": "7"}, "There is no entry 7 to correct"),
        ({"against": "abc"}, "must be an entry number"),
    ],
)
async def test_bad_ledger_entries_are_refused_and_change_nothing(
    timed: tuple[Site, ManualClock], change: dict[str, str], message: str
) -> None:
    site, _ = timed
    await site.login("organiser@example.org")  # the interim steering group acts as treasurer
    response = await site.submit("/funds/entries", {**INCOME, **change})
    assert response.status == 400
    text = await response.text()
    assert message in text, text
    assert 'role="alert"' in text
    assert await _entries(site) == []


async def test_a_member_beyond_their_role_cannot_record_or_open_rounds(
    timed: tuple[Site, ManualClock],
) -> None:
    site, clock = timed
    for role in (None, Role.CHAIR, Role.SECRETARY, Role.DELEGATE):
        await _as(site, f"{role or 'plain'}@example.org", role)
        assert (await site.post("/funds/entries", INCOME)).status == 403
        response = await site.post(
            "/budget",
            {
                "title": "Spring",
                "amount": "10",
                "proposals_close": utc_field(clock() + 2 * HOUR_MS),
                "voting_open": utc_field(clock() + 2 * HOUR_MS),
                "voting_close": utc_field(clock() + 4 * HOUR_MS),
            },
        )
        assert response.status == 403
    assert await _entries(site) == []
    assert await site.node.db.fetchall("SELECT * FROM budget_rounds") == []


async def test_corrections_replace_entries_and_stay_on_the_page(
    timed: tuple[Site, ManualClock],
) -> None:
    site, _ = timed
    await site.login("organiser@example.org")
    await site.post("/funds/entries", INCOME)
    response = await site.submit("/funds/entries", {**INCOME, "amount": "205", "corrects": "1"})
    page = await response.text()
    assert "£205.00" in page and "replaced by entry 2" in page and "corrects entry 1" in page
    again = await site.submit("/funds/entries", {**INCOME, "amount": "1", "corrects": "1"})
    assert again.status == 400
    assert "already been corrected by entry 2" in await again.text()
    cancelled = await site.submit(
        "/funds/entries", {"kind": "void", "date": "2025-11-13", "corrects": "2"}
    )
    assert "cancels entry 2" in await cancelled.text()
    assert (await site.node.funds.summary()).balance == 0
    assert len(await _entries(site)) == 3


async def test_a_receipt_is_kept_and_served_to_members_only_as_a_download(
    timed: tuple[Site, ManualClock],
) -> None:
    site, _ = timed
    await site.login("organiser@example.org")
    response = await _upload(site, INCOME, (PNG, "till.png", "image/png"))
    assert response.status == 200, await response.text()
    assert 'href="/funds/entries/1/receipt"' in await response.text()
    served = await site.client.get("/funds/entries/1/receipt")
    assert await served.read() == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"] == 'attachment; filename="receipt-1.png"'
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in served.headers["Cache-Control"]
    assert (await site.client.get("/funds/entries/2/receipt")).status == 404
    await site.logout()
    anonymous = await site.client.get("/funds/entries/1/receipt", allow_redirects=False)
    assert anonymous.status == 303 and "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize(
    ("receipt", "message"),
    [
        ((PNG, "till.pdf", "application/pdf"), "labelled application/pdf but its content is"),
        ((PDF, "till.png", "application/pdf"), "does not end as a application/pdf file should"),
        ((b"<html><script>x</script></html>", "till.png", "image/png"), "none of those"),
        ((PNG + bytes(MAX_RECEIPT_BYTES), "till.png", "image/png"), "the most this hub keeps"),
    ],
    ids=["mislabelled", "misnamed", "not-a-receipt", "oversized"],
)
async def test_bad_receipts_are_refused_and_change_nothing(
    timed: tuple[Site, ManualClock], receipt: tuple[bytes, str, str], message: str
) -> None:
    site, _ = timed
    await site.login("organiser@example.org")
    response = await _upload(site, INCOME, receipt)
    assert response.status == 400
    assert message in await response.text()
    assert await _entries(site) == []
    assert not (site.node.config.data_dir / "receipts").exists()


async def test_an_upload_larger_than_any_receipt_is_refused_before_it_is_read(
    timed: tuple[Site, ManualClock],
) -> None:
    site, _ = timed
    await site.login("organiser@example.org")
    response = await _upload(site, INCOME, (PNG + bytes(9 * 1024 * 1024), "till.png", "image/png"))
    assert response.status == 413
    assert await _entries(site) == []


# -- budget rounds ----------------------------------------------------------------------


def _windows(clock: ManualClock) -> dict[str, str]:
    return {
        "proposals_close": utc_field(clock() + 2 * HOUR_MS),
        "voting_open": utc_field(clock() + 3 * HOUR_MS),
        "voting_close": utc_field(clock() + 5 * HOUR_MS),
    }


async def _funded_round(site: Site, clock: ManualClock, amount: str = "100") -> int:
    await site.login("organiser@example.org")
    await site.post("/funds/entries", {**INCOME, "amount": "150"})
    response = await site.submit(
        "/budget", {"title": "Spring", "amount": amount, **_windows(clock)}
    )
    assert response.status == 200, await response.text()
    [(round_id,)] = await site.node.db.fetchall("SELECT max(id) FROM budget_rounds")
    return int(round_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "150.01"}, "more than the hub has available (£150.00"),
        ({"amount": "0"}, "must be more than zero"),
        ({"title": ""}, "name is missing"),
        ({"proposals_close": "soon"}, "must be a date and time"),
        ({"voting_open": "2020-01-01T00:00"}, "Voting cannot open before proposals close"),
    ],
)
async def test_bad_rounds_are_refused(
    timed: tuple[Site, ManualClock], change: dict[str, str], message: str
) -> None:
    site, clock = timed
    await site.login("organiser@example.org")
    await site.post("/funds/entries", {**INCOME, "amount": "150"})
    form = {"title": "Spring", "amount": "100", **_windows(clock), **change}
    response = await site.submit("/budget", form)
    assert response.status == 400
    assert message in await response.text()
    assert await site.node.db.fetchall("SELECT * FROM budget_rounds") == []


async def test_a_second_round_cannot_take_money_the_first_holds(
    timed: tuple[Site, ManualClock],
) -> None:
    site, clock = timed
    await _funded_round(site, clock, "100")
    response = await site.submit("/budget", {"title": "More", "amount": "60", **_windows(clock)})
    assert "more than the hub has available (£50.00" in await response.text()


async def test_proposals_and_approvals_are_refused_outside_their_windows(
    timed: tuple[Site, ManualClock],
) -> None:
    site, clock = timed
    round_id = await _funded_round(site, clock)
    await _as(site, "ann@example.org")
    base = f"/budget/{round_id}"
    big = await site.submit(
        f"{base}/proposals", {"title": "Van", "description": "x", "cost": "101"}
    )
    assert big.status == 400 and "more than the whole round (£100.00)" in await big.text()
    ok = await site.submit(
        f"{base}/proposals", {"title": "Seeds", "description": "x", "cost": "60"}
    )
    assert "has been added" in await ok.text()
    [(seeds,)] = await site.node.db.fetchall("SELECT id FROM budget_proposals")
    early = await site.submit(f"{base}/approvals", {"proposal": str(seeds)})
    assert early.status == 400 and "Voting in this round opens" in await early.text()
    clock.advance(2 * HOUR_MS)
    late = await site.submit(
        f"{base}/proposals", {"title": "Late", "description": "x", "cost": "1"}
    )
    assert late.status == 400 and "it takes no more" in await late.text()
    clock.advance(HOUR_MS)
    empty = await site.submit(f"{base}/approvals", {})
    assert "Tick at least one proposal" in await empty.text()
    assert (
        "Your approvals are recorded"
        in await (await site.submit(f"{base}/approvals", {"proposal": str(seeds)})).text()
    )
    twice = await site.submit(f"{base}/approvals", {"proposal": str(seeds)})
    assert twice.status == 400 and "already sent your approvals" in await twice.text()
    await _as(site, "bob@example.org")
    clock.advance(2 * HOUR_MS)
    closed = await site.submit(f"{base}/approvals", {"proposal": str(seeds)})
    assert closed.status == 400 and "Voting in this round closed" in await closed.text()
    assert await site.node.funds.voters(round_id) == 1
    assert await BallotBox(site.node.db).choices(contest("budget", round_id)) == [[seeds, 1]]
    assert await site.node.db.fetchall("SELECT count(*) FROM budget_proposals") == [(1,)]
    missing = await site.post("/budget/999/approvals", {"proposal": "1"})
    assert missing.status == 404


async def test_the_result_shows_every_proposal_and_why(timed: tuple[Site, ManualClock]) -> None:
    site, clock = timed
    round_id = await _funded_round(site, clock)
    base = f"/budget/{round_id}"
    await _as(site, "ann@example.org")
    for title, cost in (("Seeds", "60"), ("Hall", "50"), ("Zine", "30")):
        await site.post(
            f"{base}/proposals", {"title": title, "description": "**yes**", "cost": cost}
        )
    ids = {t: i for i, t in await site.node.db.fetchall("SELECT id, title FROM budget_proposals")}
    clock.advance(3 * HOUR_MS)
    await site.post(f"{base}/approvals", {"proposal": [str(ids["Seeds"]), str(ids["Hall"])]})  # type: ignore[dict-item]
    await _as(site, "bob@example.org")
    await site.post(f"{base}/approvals", {"proposal": [str(ids["Seeds"]), str(ids["Zine"])]})  # type: ignore[dict-item]
    during = await (await site.client.get(base)).text()
    assert "2 members have sent approvals" in during and "Approvals</th>" not in during
    clock.advance(2 * HOUR_MS)
    page = await (await site.client.get(base)).text()
    rows = re.findall(
        r"<tr>\s*<td[^>]*>(\d)</td>\s*<th scope=\"row\">(\w+)</th>.*?</tr>", page, re.S
    )
    assert [t for _, t in rows] == ["Seeds", "Zine", "Hall"]
    assert "skipped: £10.00 left, costs £50.00" in page
    assert page.count(">funded") == 2 and "£90.00 funded, £10.00 left over" in page
    funds = await (await site.client.get("/funds")).text()
    assert "Spring: Seeds" in funds and "Spring: Zine" in funds and "£90.00" in funds
    assert (await site.node.funds.summary()).available == 6000


# -- polls --------------------------------------------------------------------------------


def _poll(clock: ManualClock, **change: str) -> dict[str, str]:
    return {
        "title": "Meet on Tuesdays?",
        "body": "Move the **weekly** meeting.",
        "kind": "yes-no",
        "options": "",
        "quorum": "50",
        "closes": utc_field(clock() + 2 * DAY_MS),
    } | change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quorum": "101"}, "whole percentage from 0 to 100"),
        ({"closes": "tomorrow"}, "must be a date and time"),
        ({"kind": "choice", "options": "One"}, "from 2 to 10 options"),
        ({"kind": "ranked"}, "Choose what kind of poll"),
        ({"title": ""}, "title is missing"),
    ],
)
async def test_bad_polls_are_refused(
    timed: tuple[Site, ManualClock], change: dict[str, str], message: str
) -> None:
    site, clock = timed
    await _as(site, "ann@example.org")
    response = await site.submit("/polls", _poll(clock, **change))
    assert response.status == 400 and message in await response.text()
    assert await site.node.db.fetchall("SELECT * FROM polls") == []


async def test_a_poll_too_short_is_refused(timed: tuple[Site, ManualClock]) -> None:
    site, clock = timed
    await _as(site, "ann@example.org")
    response = await site.submit("/polls", _poll(clock, closes=utc_field(clock() + HOUR_MS)))
    assert "at least a day" in await response.text()


async def test_members_vote_once_in_secret_and_see_the_result_when_it_closes(
    timed: tuple[Site, ManualClock],
) -> None:
    site, clock = timed
    await make_member(site.node, "bob@example.org")
    await make_member(site.node, "cy@example.org")
    await _as(site, "ann@example.org")  # four members now: quorum 50% is 2 votes
    page = await (
        await site.submit("/polls", _poll(clock, kind="choice", options="Tuesday\nThursday"))
    ).text()
    assert "Your proposal is open for votes." in page and "<strong>weekly</strong>" in page
    [(poll_id,)] = await site.node.db.fetchall("SELECT id FROM polls")
    voted = await site.submit(f"/polls/{poll_id}/vote", {"choice": "1"})
    assert "Your vote is recorded" in await voted.text()
    twice = await site.submit(f"/polls/{poll_id}/vote", {"choice": "0"})
    assert twice.status == 400 and "already voted" in await twice.text()
    bad = await site.post(f"/polls/{poll_id}/vote", {"choice": "7"})
    assert bad.status == 400
    await _as(site, "late@example.org")
    late = await site.submit(f"/polls/{poll_id}/vote", {"choice": "0"})
    assert late.status == 400 and "not yet a member when this poll opened" in await late.text()
    await site.logout()
    await site.login("bob@example.org")
    during = await (await site.client.get(f"/polls/{poll_id}")).text()
    assert "1 member has voted so far." in during
    assert "Thursday</th>" not in during  # no counts while open
    clock.advance(2 * DAY_MS)
    closed = await site.submit(f"/polls/{poll_id}/vote", {"choice": "0"})
    assert closed.status == 400 and "votes are no longer taken" in await closed.text()
    result = await (await site.client.get(f"/polls/{poll_id}")).text()
    assert "Not decided: the quorum was not met (1 voted, 2 needed)." in result
    assert "<strong>not met</strong>" in result
    listing = await (await site.client.get("/polls")).text()
    assert "Not decided" in listing
    assert await site.node.funds.turnout(poll_id) == 1
    assert len(await BallotBox(site.node.db).choices(contest("poll", poll_id))) == 1
