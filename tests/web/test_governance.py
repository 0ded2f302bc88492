"""The hub's governance through the real app: roles, elections, refusals, secrecy, notices.

Time is a ManualClock shared by the node and the test, so windows and terms are
tested to the millisecond; sessions expire as time moves, so tests log in again.
"""

from __future__ import annotations

import json
import re

from node.accounts.permissions import Role
from node.governance.terms import may_stand_from, term_end
from node.node import Node
from node.store.ballots import VOTER_WIDTH, BallotBox, contest
from protocol.kinds.assembly import DelegateMandate, DelegateRecall
from protocol.kinds.hub import CharterAdopt
from tests.helpers import ManualClock
from tests.web.conftest import PASSWORD, Site, acting, make_member
from web.electing import to_field
from web.rendering import describe_date  # as pages show a date: the hub's zone

DAY = 86_400_000
ORGANISER = "organiser@example.org"


async def open_election(
    site: Site,
    clock: ManualClock,
    role: Role,
    method: str = "instant-runoff",
    nominations_days: int = 7,
    voting_days: int = 7,
) -> str:
    """Open an election as the organiser, through the form; its id."""
    await site.login(ORGANISER)
    now = clock()
    response = await site.post(
        "/elections/new",
        {
            "role": role.value,
            "method": method,
            "nominations_close": to_field(now + nominations_days * DAY),
            "voting_opens": to_field(now + nominations_days * DAY),
            "voting_closes": to_field(now + (nominations_days + voting_days) * DAY),
        },
    )
    assert response.status == 303, await response.text()
    match = re.fullmatch(r"/elections/([0-9a-f]{32})", response.headers["Location"])
    assert match, response.headers["Location"]
    await site.logout()
    return match.group(1)


async def stand(site: Site, email: str, election_id: str, **extra: str) -> str:
    await site.login(email)
    response = await site.submit(f"/elections/{election_id}/nominate", {"nominee": "me", **extra})
    text = await response.text()
    await site.logout()
    return text


async def cast(site: Site, email: str, election_id: str, ballot: dict[str, str]) -> tuple[int, str]:
    await site.login(email)
    response = await site.submit(f"/elections/{election_id}/vote", ballot)
    text = await response.text()
    await site.logout()
    return response.status, text


def nominations_end(clock: ManualClock, days: int = 7) -> None:
    clock.advance(days * DAY - (clock() % 60_000) + 1)  # the form rounds to the minute


async def box(node: Node, election_id: str) -> list[list[str]] | None:
    return await BallotBox(node.db).choices(contest("election", election_id)) or None


# -- roles and the interim group ------------------------------------------------------


async def test_founder_acts_as_interim_group_until_chair_and_secretary_take_office(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    ann = await make_member(site.node, "ann@example.org")
    bob = await make_member(site.node, "bob@example.org")
    await site.login(ORGANISER)
    page = await (await site.client.get("/roles")).text()
    assert "Interim steering group" in page and "Organiser" in page
    public = await (await site.client.get("/")).text()
    assert "1 founder acts as an interim steering group" in public
    assert "Organiser" not in public  # names stay for members' eyes
    await site.logout()

    chair = await open_election(site, clock, Role.CHAIR)
    secretary = await open_election(site, clock, Role.SECRETARY, voting_days=8)
    await stand(site, "ann@example.org", chair)
    await stand(site, "bob@example.org", secretary)
    nominations_end(clock)
    assert (await cast(site, "ann@example.org", chair, {f"rank-{ann}": "1"}))[0] == 200
    assert (await cast(site, "bob@example.org", secretary, {f"rank-{bob}": "1"}))[0] == 200

    clock.advance(7 * DAY)  # the chair's vote has closed, the secretary's not yet
    await site.node.governance.tick()
    holders = {(h.role, h.member_id) for h in await site.node.governance.holders()}
    assert (Role.CHAIR, ann) in holders and (Role.INTERIM, 1) in holders

    clock.advance(DAY)
    await site.node.governance.tick()
    holders = {(h.role, h.member_id) for h in await site.node.governance.holders()}
    assert (Role.SECRETARY, bob) in holders and (Role.INTERIM, 1) not in holders
    [chair_term] = [h for h in await site.node.governance.holders() if h.role == Role.CHAIR]
    election = await site.node.governance.election(chair)
    assert election is not None
    assert chair_term.starts_at == election.voting_closes  # took office as voting closed
    assert chair_term.ends_at == term_end(election.voting_closes)
    # The founder has lost the interim group's powers.
    await site.login(ORGANISER)
    assert (await site.client.get("/organise/members", allow_redirects=False)).status == 403
    await site.logout()
    await site.login("bob@example.org")  # the secretary now runs elections
    assert (await site.client.get("/elections/new")).status == 200


async def test_full_election_counts_round_by_round_and_the_winner_takes_office(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    ids = {n: await make_member(site.node, f"{n}@example.org") for n in ("ann", "bob", "cat")}
    election = await open_election(site, clock, Role.CHAIR)
    await stand(site, "ann@example.org", election)
    await stand(site, "cat@example.org", election)
    # The organiser nominates Bob, who must accept.
    await site.login(ORGANISER)
    page = await (
        await site.submit(f"/elections/{election}/nominate", {"nominee": str(ids["bob"])})
    ).text()
    assert "Nomination made" in page
    await site.logout()
    await site.login("bob@example.org")
    assert "nominated you for Chair" in await (await site.client.get("/notices")).text()
    page = await (await site.submit(f"/elections/{election}/accept")).text()
    assert "you are a candidate" in page
    await site.logout()

    nominations_end(clock)
    a, b, c = (str(ids[n]) for n in ("ann", "bob", "cat"))
    ballots = {
        "ann@example.org": {f"rank-{a}": "1", f"rank-{b}": "2"},
        "bob@example.org": {f"rank-{b}": "1", f"rank-{c}": "2"},
        "cat@example.org": {f"rank-{c}": "1", f"rank-{b}": "2"},
        ORGANISER: {f"rank-{a}": "1"},
        # 2 for Ann, 1 for Bob, 1 for Cat: Bob or Cat goes by lot, then transfers.
    }
    for email, ballot in ballots.items():
        status, text = await cast(site, email, election, ballot)
        assert status == 200 and "Your vote is cast" in text, text
    clock.advance(7 * DAY)
    await site.login("ann@example.org")
    page = await (await site.client.get(f"/elections/{election}")).text()
    assert "Result" in page and "4 ballots cast" in page
    assert "tie between" in page and "broken by lot" in page
    record = await site.node.governance.election(election)
    assert record is not None and record.result is not None
    assert all(sum(r.counts.values()) + r.exhausted == 4 for r in record.result.rounds)
    assert len(record.result.rounds) >= 2
    roles = await (await site.client.get("/roles")).text()
    winner = {str(v): k for k, v in ids.items()}[str(record.elected)]
    assert re.search(rf"Chair</th>\s*<td[^>]*>{winner}</td>", roles), roles
    notices = await (await site.client.get("/notices")).text()
    assert "was elected Chair" in notices


# -- refusals: each with its reason, nothing changed ------------------------------------


async def test_a_member_beyond_their_role_cannot_open_an_election(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    await make_member(site.node, "ann@example.org")
    await make_member(site.node, "chair@example.org", Role.CHAIR)
    for email in ("ann@example.org", "chair@example.org"):
        await site.login(email)
        now = clock()
        response = await site.post(
            "/elections/new",
            {
                "role": "chair",
                "method": "plurality",
                "nominations_close": to_field(now + DAY),
                "voting_opens": to_field(now + DAY),
                "voting_closes": to_field(now + 2 * DAY),
            },
        )
        assert response.status == 403 and "You do not have permission" in await response.text()
        await site.logout()
    assert await site.node.governance.elections() == []


async def test_voting_twice_is_refused_and_the_box_keeps_one_ballot(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    ann = await make_member(site.node, "ann@example.org")
    election = await open_election(site, clock, Role.TREASURER, method="plurality")
    await stand(site, "ann@example.org", election)
    nominations_end(clock)
    assert (await cast(site, "ann@example.org", election, {"choice": str(ann)}))[0] == 200
    status, text = await cast(site, "ann@example.org", election, {"choice": str(ann)})
    assert status == 400 and "You have already voted in this election" in text
    assert await box(site.node, election) == [[str(ann)]]
    assert await site.node.governance.turnout(election) == 1


async def test_voting_outside_the_window_is_refused(clocked: tuple[Site, ManualClock]) -> None:
    site, clock = clocked
    ann = await make_member(site.node, "ann@example.org")
    election = await open_election(site, clock, Role.TREASURER, method="plurality")
    await stand(site, "ann@example.org", election)
    status, text = await cast(site, "ann@example.org", election, {"choice": str(ann)})
    assert status == 400 and "Voting has not opened yet" in text
    record = await site.node.governance.election(election)
    assert record is not None
    clock.now_ms = record.voting_closes  # the closing instant is outside the window
    status, text = await cast(site, "ann@example.org", election, {"choice": str(ann)})
    assert status == 400 and "Voting closed on" in text
    assert await box(site.node, election) is None
    assert await site.node.governance.turnout(election) == 0


async def test_a_bad_ballot_is_refused(clocked: tuple[Site, ManualClock]) -> None:
    site, clock = clocked
    ann = await make_member(site.node, "ann@example.org")
    bob = await make_member(site.node, "bob@example.org")
    election = await open_election(site, clock, Role.CHAIR)
    await stand(site, "ann@example.org", election)
    await stand(site, "bob@example.org", election)
    nominations_end(clock)
    cases = [
        ({}, "Choose a candidate"),
        ({f"rank-{ann}": "1", f"rank-{bob}": "1"}, "different number"),
        ({"rank-1": "1"}, "not a candidate"),  # the organiser is not standing
    ]
    for ballot, reason in cases:
        status, text = await cast(site, "ann@example.org", election, ballot)
        assert status == 400 and reason in text, text
    assert await site.node.governance.turnout(election) == 0


async def test_nominating_someone_in_their_rest_year_is_refused_with_the_date(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    ann = await make_member(site.node, "ann@example.org")
    first = await open_election(site, clock, Role.CHAIR, method="plurality")
    await stand(site, "ann@example.org", first)
    nominations_end(clock)
    await cast(site, "ann@example.org", first, {"choice": str(ann)})
    clock.advance(7 * DAY)
    await site.node.governance.tick()
    [term] = [h for h in await site.node.governance.holders() if h.role == Role.CHAIR]
    assert term.ends_at is not None

    # While she holds the role, and for twelve months after, Ann may not stand for it.
    second = await open_election(site, clock, Role.CHAIR)
    text = await stand(site, "ann@example.org", second)
    assert f"You hold the role of Chair until {describe_date(term.ends_at)}" in text
    assert f"stand for it again from {describe_date(may_stand_from(term.ends_at))}" in text
    clock.now_ms = term.ends_at + 30 * DAY
    third = await open_election(site, clock, Role.CHAIR)
    await site.login(ORGANISER)
    response = await site.submit(f"/elections/{third}/nominate", {"nominee": str(ann)})
    text = await response.text()
    assert response.status == 400
    assert f"ann held the role of Chair until {describe_date(term.ends_at)}" in text
    assert await site.node.governance.nominations(third) == []
    # A year after her term ended, she may.
    clock.now_ms = may_stand_from(term.ends_at)
    fourth = await open_election(site, clock, Role.CHAIR)
    assert "You are standing" in await stand(site, "ann@example.org", fourth)


async def test_nominations_after_the_window_and_accepting_for_others_are_refused(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    await make_member(site.node, "ann@example.org")
    election = await open_election(site, clock, Role.CHAIR)
    await site.login("ann@example.org")
    response = await site.submit(f"/elections/{election}/accept")
    assert response.status == 400 and "no nomination waiting" in await response.text()
    await site.logout()
    nominations_end(clock)
    text = await stand(site, "ann@example.org", election)
    assert "Nominations for this election closed on" in text
    assert await site.node.governance.nominations(election) == []


async def test_an_election_with_no_candidates_closes_when_nominations_do(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    election = await open_election(site, clock, Role.CAMPAIGNS)
    nominations_end(clock)
    await site.node.governance.tick()
    record = await site.node.governance.election(election)
    assert record is not None and record.state == "closed" and record.elected is None


# -- the delegate ---------------------------------------------------------------------


async def test_electing_the_delegate_publishes_a_mandate_and_its_end_a_recall(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    cat = await make_member(site.node, "cat@example.org")
    election = await open_election(site, clock, Role.DELEGATE, method="plurality")
    text = await stand(site, "cat@example.org", election, network_name="Cat of Riverside")
    assert "You are standing" in text
    nominations_end(clock)
    await cast(site, "cat@example.org", election, {"choice": str(cat)})
    clock.advance(7 * DAY)
    await site.node.governance.tick()
    [mandate] = await site.node.messages.recent(kind="delegate.mandate", limit=5)
    record = await site.node.governance.election(election)
    assert record is not None
    assert mandate.body == DelegateMandate(
        delegate="Cat of Riverside",
        body="national",
        starts=record.voting_closes // 1000,
        ends=term_end(record.voting_closes) // 1000,
    )
    assert await site.node.messages.recent(kind="delegate.recall", limit=5) == []

    clock.now_ms = term_end(record.voting_closes)
    await site.node.governance.tick()
    [recall] = await site.node.messages.recent(kind="delegate.recall", limit=5)
    assert recall.body == DelegateRecall(mandate=mandate.id, reason="The delegate's term ended.")
    assert all(h.role != Role.DELEGATE for h in await site.node.governance.holders())
    await site.node.governance.tick()  # acting on a term's end happens once
    assert len(await site.node.messages.recent(kind="delegate.recall", limit=5)) == 1


async def test_a_recall_vote_ends_the_delegates_term_and_withdraws_the_mandate(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    cat = await make_member(site.node, "cat@example.org")
    await make_member(site.node, "dan@example.org")
    election = await open_election(site, clock, Role.DELEGATE, method="plurality")
    await stand(site, "cat@example.org", election, network_name="Cat")
    nominations_end(clock)
    await cast(site, "cat@example.org", election, {"choice": str(cat)})
    clock.advance(7 * DAY)
    await site.node.governance.tick()
    [mandate] = await site.node.messages.recent(kind="delegate.mandate", limit=5)

    await site.login(ORGANISER)
    now = clock()
    response = await site.post(
        "/elections/recall",
        {
            "recall_role": "delegate",
            "recall_opens": to_field(now),
            "recall_closes": to_field(now + 3 * DAY),
        },
    )
    assert response.status == 303
    recall_id = re.fullmatch(r"/elections/([0-9a-f]{32})", response.headers["Location"])
    assert recall_id
    page = await (await site.client.get(recall_id.group(0))).text()
    assert "Recall vote: Delegate to the network" in page and "Should <strong>cat</strong>" in page
    await site.logout()
    for email, choice in (
        (ORGANISER, "yes"),
        ("dan@example.org", "yes"),
        ("cat@example.org", "no"),
    ):
        assert (await cast(site, email, recall_id.group(1), {"choice": choice}))[0] == 200
    clock.advance(3 * DAY)
    await site.node.governance.tick()
    assert all(h.role != Role.DELEGATE for h in await site.node.governance.holders())
    [recall] = await site.node.messages.recent(kind="delegate.recall", limit=5)
    assert recall.body == DelegateRecall(
        mandate=mandate.id, reason="Recalled by a vote of the hub's members."
    )


# -- the secret ballot ------------------------------------------------------------------


async def test_nothing_in_the_database_ties_a_voter_to_a_choice(
    clocked: tuple[Site, ManualClock],
) -> None:
    """Two elections with the same voters and the same choices, cast by different people
    in different orders, leave identical rows: so no column, key or order can say who
    chose what."""
    site, clock = clocked
    node = site.node
    people = {n: await make_member(node, f"{n}@example.org") for n in ("ann", "bob", "cat")}
    first = await open_election(site, clock, Role.CHAIR, method="plurality")
    second = await open_election(site, clock, Role.SECRETARY, method="plurality")
    for name in ("ann", "bob"):
        await stand(site, f"{name}@example.org", first)
        await stand(site, f"{name}@example.org", second)
    nominations_end(clock)
    a, b = str(people["ann"]), str(people["bob"])
    # First: Ann→Ann, Bob→Bob, Cat→Ann, in that order. Second: the reverse order,
    # with Ann and Cat choosing Bob and Bob choosing Ann.
    for email, choice in (("ann", a), ("bob", b), ("cat", a)):
        await cast(site, f"{email}@example.org", first, {"choice": choice})
        clock.advance(60_000)
    for email, choice in (("cat", b), ("bob", a), ("ann", b)):
        await cast(site, f"{email}@example.org", second, {"choice": choice})
        clock.advance(60_000)

    # Who voted: contest and a list of members, nothing else; one row per contest, no
    # rowid to betray insertion order.
    columns = {
        table: [r[1] for r in await node.db.fetchall(f"PRAGMA table_info({table})")]
        for table in ("ballot_voters", "ballot_choices")
    }
    assert columns == {
        "ballot_voters": ["contest", "members"],
        "ballot_choices": ["contest", "width", "choices"],
    }
    for table in ("ballot_voters", "ballot_choices"):
        sql = await node.db.fetchone(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        )
        assert "WITHOUT ROWID" in sql[0]
    voters = dict(await node.db.fetchall("SELECT contest, members FROM ballot_voters"))
    one, two = contest("election", first), contest("election", second)
    assert voters[one] == voters[two]
    assert voters[one] == "".join(
        f"{m:0{VOTER_WIDTH}d}" for m in sorted(people.values())
    )  # ascending, not in the order they voted
    # What was chosen: one sorted list per election, the same for both elections up to
    # the swap of names, though who chose what and in which order differed.
    assert await box(node, first) == sorted([[a], [a], [b]])
    assert await box(node, second) == sorted([[b], [b], [a]])
    swap = {a: b, b: a}
    assert await box(node, second) == sorted([[swap[c]] for [c] in await box(node, first) or []])
    # No other table learned anything at voting time.
    for (table,) in await node.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
        text = json.dumps(await node.db.fetchall(f"SELECT * FROM {table}"), default=repr)
        if table not in ("ballot_choices", "elections", "nominations", "notices", "email_outbox"):
            assert "ballot" not in text
    # The write-ahead log holds no copy of any box (it is emptied after each vote; the
    # pages written since, by logins and logouts, are other tables').
    wal = node.config.database_path.with_name("hubnet.db-wal")
    assert b'[["' not in (wal.read_bytes() if wal.exists() else b"")
    dan = await make_member(node, "dan@example.org")
    await node.governance.vote(first, await acting(node, dan), (a,))
    assert wal.stat().st_size == 0


async def test_a_voter_who_leaves_is_erased_and_their_ballot_still_counts(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    ann = await make_member(site.node, "ann@example.org")
    await make_member(site.node, "bob@example.org")
    election = await open_election(site, clock, Role.CHAIR, method="plurality")
    await stand(site, "ann@example.org", election)
    nominations_end(clock)
    await cast(site, "bob@example.org", election, {"choice": str(ann)})
    await site.login("bob@example.org")
    await site.post("/account/leave", {"confirm": "yes"})
    clock.advance(7 * DAY)
    await site.node.governance.tick()
    record = await site.node.governance.election(election)
    assert record is not None and record.elected == ann
    assert record.result is not None and record.result.ballots == 1
    assert await site.node.db.fetchall("SELECT * FROM notices WHERE member_id = 3") == []


# -- charter and notices ------------------------------------------------------------------


async def test_the_hub_adopts_a_charter_version_and_applicants_sign_it(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, _ = clocked
    await site.login(ORGANISER)
    response = await site.submit(
        "/charter", {"version": "2", "title": "Riverside's charter", "text": "We meet weekly."}
    )
    assert "Version 2 of the charter is adopted" in await response.text()
    again = await site.submit("/charter", {"version": "2", "title": "x", "text": "y"})
    assert again.status == 400 and "already adopted" in await again.text()
    [message] = await site.node.messages.recent(kind="charter.adopt", limit=5)
    assert message.body == CharterAdopt(
        version="2", title="Riverside's charter", text="We meet weekly.\n"
    )
    await site.logout()
    join = await (await site.client.get("/join")).text()
    assert "Riverside&#39;s charter (version 2)" in join and "We meet weekly." in join
    assert "We meet weekly." in await (await site.client.get("/charter")).text()
    await site.post(
        "/join",
        {
            "name": "Eve",
            "email": "eve@example.org",
            "password": PASSWORD,
            "sign_charter": "yes",
            "accept_privacy": "yes",
        },
    )
    [eve] = await site.node.members.by_status("applied")
    assert (await site.node.members.export(eve.id))["member"]["charter_version"] == "2"


async def test_a_plain_member_cannot_adopt_a_charter(clocked: tuple[Site, ManualClock]) -> None:
    site, _ = clocked
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    response = await site.post("/charter", {"version": "9", "title": "x", "text": "y"})
    assert response.status == 403
    assert await site.node.governance.charter_history() == []


async def test_notices_show_in_the_nav_until_read(clocked: tuple[Site, ManualClock]) -> None:
    site, _ = clocked
    ann = await make_member(site.node, "ann@example.org")
    await site.node.notices.notify([ann], "Public meeting on Thursday", "/roles")
    await site.node.notices.notify([ann], "Bring a friend")
    await site.login("ann@example.org")
    page = await (await site.client.get("/notices")).text()
    assert '<span class="badge">2</span>' in page
    # Its link goes through /notices/<id>/open, which marks it read on the way to /roles.
    assert re.search(r'<a href="/notices/\d+/open">Public meeting on Thursday</a>', page)
    [first, *_] = await site.node.notices.recent(ann)
    page = await (await site.submit(f"/notices/{first.id}/read")).text()
    assert '<span class="badge">1</span>' in page
    page = await (await site.submit("/notices/read")).text()
    assert 'class="badge"' not in page
    # Another member's notice cannot be marked read by Ann.
    bob = await make_member(site.node, "bob@example.org")
    await site.node.notices.notify([bob], "For Bob")
    [bobs] = await site.node.notices.recent(bob)
    await site.post(f"/notices/{bobs.id}/read")
    assert await site.node.notices.unread_count(bob) == 1


async def test_members_are_told_when_voting_opens_and_the_day_before_it_closes(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    node = site.node
    ann = await make_member(node, "ann@example.org")
    bob = await make_member(node, "bob@example.org")
    election = await open_election(site, clock, Role.TREASURER, method="plurality")
    await stand(site, "ann@example.org", election)

    def texts(notices: list) -> list[str]:  # type: ignore[type-arg]
        return [n.text for n in notices]

    assert any("Election opened for Treasurer" in t for t in texts(await node.notices.recent(bob)))
    nominations_end(clock)
    await node.governance.tick()
    await node.governance.tick()
    for member in (ann, bob):
        opened = [t for t in texts(await node.notices.recent(member)) if "Voting is open" in t]
        assert len(opened) == 1
    await cast(site, "ann@example.org", election, {"choice": str(ann)})
    record = await node.governance.election(election)
    assert record is not None
    clock.now_ms = record.voting_closes - DAY - 1
    await node.governance.tick()
    assert not any("closes within a day" in t for t in texts(await node.notices.recent(bob)))
    clock.now_ms = record.voting_closes - DAY
    await node.governance.tick()
    await node.governance.tick()
    reminders = [t for t in texts(await node.notices.recent(bob)) if "closes within a day" in t]
    assert len(reminders) == 1 and "You have not voted yet" in reminders[0]
    assert not any("closes within a day" in t for t in texts(await node.notices.recent(ann)))


async def test_times_given_to_the_second_are_taken_and_other_text_is_refused(
    clocked: tuple[Site, ManualClock],
) -> None:
    """A browser sends seconds in a datetime-local field when its step allows them."""
    site, clock = clocked
    await site.login(ORGANISER)
    now = clock()
    soon = now + 30_000

    def at(ms: int) -> str:
        return to_field(ms) + ":" + f"{ms // 1000 % 60:02d}"

    form = {"role": "chair", "method": "plurality", "voting_closes": to_field(now + DAY)}
    for wrong in ("tomorrow", "2026-12-02 10:00", "2026-12-02T10:00:61", "2026-12-02T25:00"):
        response = await site.post(
            "/elections/new", {**form, "nominations_close": wrong, "voting_opens": at(soon)}
        )
        text = await response.text()
        assert response.status == 400, wrong
        assert "Give the time nominations close as a date and time." in text, wrong
    response = await site.post(
        "/elections/new", {**form, "nominations_close": at(soon), "voting_opens": at(soon)}
    )
    assert response.status == 303, await response.text()
    (election,) = await site.node.governance.elections()
    assert election.nominations_close == soon - soon % 1000
