"""An election's page as members read it: what the role does, each candidate's
statement beside their name on the ballot, and how long is left."""

from __future__ import annotations

import re

from markupsafe import escape

from node.accounts.permissions import ELECTED_ROLES, ROLE_DESCRIPTIONS, Role
from tests.helpers import ManualClock
from tests.web.conftest import Site, make_member
from tests.web.test_governance import DAY, ORGANISER, nominations_end, open_election, stand

ANN_SAYS = "I will keep our meetings short & <b>kind</b>, and start on time."


def test_every_role_has_a_description_in_plain_words() -> None:
    for role in Role:
        text = ROLE_DESCRIPTIONS[role]
        assert 60 < len(text) < 300, role
        assert "node" not in text and "permission" not in text, role
    assert set(ELECTED_ROLES) <= set(ROLE_DESCRIPTIONS)


async def test_candidates_statements_show_on_the_ballot_with_the_role_and_time_left(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    ids = {n: await make_member(site.node, f"{n}@example.org") for n in ("ann", "bob", "cat")}
    election = await open_election(site, clock, Role.TREASURER)
    too_long = await stand(site, "cat@example.org", election, statement="x" * 1001)
    assert "Keep your statement to 1000 characters; it has 1001." in too_long
    assert "x" * 1001 + "</textarea>" in too_long  # kept, to shorten
    await stand(site, "ann@example.org", election, statement=f"  {ANN_SAYS}  ")
    # Bob is nominated by the organiser and writes his statement when he accepts.
    await site.login(ORGANISER)
    opening = await (await site.client.get("/elections/new")).text()
    assert "<summary>What each role does</summary>" in opening
    assert str(escape(ROLE_DESCRIPTIONS[Role.DELEGATE])) in opening
    await site.post(f"/elections/{election}/nominate", {"nominee": str(ids["bob"])})
    await site.logout()
    await site.login("bob@example.org")
    page = await (await site.client.get(f"/elections/{election}")).text()
    assert "What the treasurer / fundraiser does" in page
    assert str(escape(ROLE_DESCRIPTIONS[Role.TREASURER])) in page
    assert "Nominations close in 7 days." in page
    assert 'for="accept_statement">Your statement' in page
    await site.post(
        f"/elections/{election}/accept", {"statement": "Receipts for everything, online."}
    )
    await site.logout()

    nominations_end(clock)
    clock.advance(DAY // 2)
    await site.login("cat@example.org")
    listing = await (await site.client.get("/elections")).text()
    assert "<strong>Voting closes in 6 days.</strong> Voting open." in listing
    page = await (await site.client.get(f"/elections/{election}")).text()
    assert "Voting closes in 6 days." in page
    ballot = page[page.index('id="ballot-heading"') :]
    a, b = str(ids["ann"]), str(ids["bob"])
    assert re.search(
        rf'<label for="rank-{a}">ann</label>\s*<blockquote class="statement" id="statement-{a}">'
        + re.escape(str(escape(ANN_SAYS))),
        ballot,
    )
    assert f'id="statement-{b}">Receipts for everything, online.</blockquote>' in ballot
    assert f'aria-describedby="statement-{b}"' in ballot
    assert "<b>kind</b>" not in page  # a statement is text, never markup
