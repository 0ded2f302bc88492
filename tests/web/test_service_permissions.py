"""Every service that changes something for a member checks the permission table itself.

The route walk (test_security.py) shows each route lets in exactly the roles the table
grants its permission. This is the same walk one layer down: each service method that
acts for a member, called directly as a member of every role, refuses (NotAllowed,
403) exactly those whose roles do not grant the permission, and changes nothing when
it does; a suspended member, who holds no permission at all, is refused everything.
Those allowed get past the check and meet whatever comes next (here mostly "no such
post" or a form's refusal: the ids and inputs are made up).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date

import pytest

from crypto.nodeid import NodeId
from node.accounts.members import Member
from node.accounts.permissions import GRANTS, WHO, Permission, Role
from node.appkeys import FEDERATION
from node.community.speaker_requests import Ask
from node.errors import NotAllowed
from node.events.drafts import parse_form
from node.federation.admin import PeerAdmin
from node.funds.ledger import Draft, Kind
from node.funds.polls import PollKind
from node.network.actions import NetworkActions
from node.network.profile import Draft as ProfileDraft
from node.node import Node
from protocol.kinds.assembly import Motion
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate
from protocol.kinds.community import DirectoryEntry
from tests.web.conftest import Site, acting, make_member
from tests.web.test_projections import EVENT

NO_POST = 999_999
NO_ID = bytes(32)
NO_HUB = NodeId("a" * 56)
NO_ELECTION = "0" * 32

Call = Callable[[Node, PeerAdmin, Member], Awaitable[object]]

_MOTION = Motion(
    body="national",
    title="A motion",
    text="Text",
    options=("yes", "no"),
    seconds_needed=1,
    closes=1,  # long past: refused after the permission check
    rule="majority",
    quorum_percent=0,
)

# (what, the permission the service checks, calling it as `by`)
SERVICES: list[tuple[str, Permission, Call]] = [
    # discussion
    (
        "topics.start",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.topics.start(by, "no", "", ""),
    ),
    (
        "topics.reply",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.topics.reply(by, NO_POST, "x"),
    ),
    ("topics.edit", Permission.MEMBER, lambda n, a, by: n.discussion.topics.edit(by, NO_POST, "x")),
    ("topics.delete", Permission.MEMBER, lambda n, a, by: n.discussion.topics.delete(by, NO_POST)),
    ("groups.start", Permission.MEMBER, lambda n, a, by: n.discussion.groups.start(by, "", "")),
    ("groups.join", Permission.MEMBER, lambda n, a, by: n.discussion.groups.join(by, NO_POST)),
    ("groups.leave", Permission.MEMBER, lambda n, a, by: n.discussion.groups.leave(by, NO_POST)),
    (
        "groups.add_task",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.groups.add_task(by, NO_POST, ""),
    ),
    ("groups.take", Permission.MEMBER, lambda n, a, by: n.discussion.groups.take(by, NO_POST)),
    ("groups.done", Permission.MEMBER, lambda n, a, by: n.discussion.groups.done(by, NO_POST)),
    (
        "moderation.report_post",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.moderation.report_post(by, NO_POST, "x"),
    ),
    (
        "moderation.report_comment",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.moderation.report_comment(by, NO_ID, "x"),
    ),
    (
        "moderation.set_conduct",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.set_conduct(by, ""),
    ),
    (
        "moderation.resolve",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.resolve(by, NO_POST, "dismissed"),
    ),
    (
        "moderation.hide_post",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.hide_post(by, NO_POST),
    ),
    (
        "moderation.hide_comment",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.hide_comment(by, NO_ID),
    ),
    (
        "moderation.report_to_origin",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.report_to_origin(by, NO_ID, "spam"),
    ),
    (
        "moderation.warn",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.warn(by, NO_POST, "x"),
    ),
    (
        "moderation.suspend",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.suspend(by, NO_POST, "1", "x"),
    ),
    (
        "moderation.lift_suspension",
        Permission.MODERATE,
        lambda n, a, by: n.discussion.moderation.lift_suspension(by, NO_POST),
    ),
    # accounts
    (
        "members.decide",
        Permission.MANAGE_MEMBERS,
        lambda n, a, by: n.members.decide(NO_POST, "active", by=by),
    ),
    (
        "sessions.create_reset_link",
        Permission.MANAGE_MEMBERS,
        lambda n, a, by: n.sessions.create_reset_link(NO_POST, by=by),
    ),
    # the hub's profile (an empty form: those allowed meet its refusal)
    (
        "profile.save",
        Permission.EDIT_HUB_PROFILE,
        lambda n, a, by: n.profile.save(ProfileDraft({}), (), by=by),
    ),
    # governance
    (
        "governance.adopt_charter",
        Permission.ADOPT_CHARTER,
        lambda n, a, by: n.governance.adopt_charter("", "", "", by=by),
    ),
    (
        "governance.open_election",
        Permission.RUN_ELECTIONS,
        lambda n, a, by: n.governance.open_election(Role.CHAIR, "no", 0, 0, 0, by=by),
    ),
    (
        "governance.open_recall",
        Permission.RUN_ELECTIONS,
        lambda n, a, by: n.governance.open_recall(Role.CHAIR, 0, 0, by=by),
    ),
    (
        "governance.nominate",
        Permission.MEMBER,
        lambda n, a, by: n.governance.nominate(NO_ELECTION, by.id, by=by),
    ),
    (
        "governance.accept",
        Permission.MEMBER,
        lambda n, a, by: n.governance.accept(NO_ELECTION, by, None),
    ),
    (
        "governance.decline",
        Permission.MEMBER,
        lambda n, a, by: n.governance.decline(NO_ELECTION, by),
    ),
    (
        "governance.vote",
        Permission.MEMBER,
        lambda n, a, by: n.governance.vote(NO_ELECTION, by, ("x",)),
    ),
    # funds
    (
        "funds.record",
        Permission.MANAGE_FUNDS,
        lambda n, a, by: n.funds.record(by, Draft(Kind.INCOME, 0, date(2000, 1, 1), "", "")),
    ),
    (
        "funds.open_round",
        Permission.MANAGE_FUNDS,
        lambda n, a, by: n.funds.open_round(by, "", 0, 0, 0, 0),
    ),
    ("funds.propose", Permission.MEMBER, lambda n, a, by: n.funds.propose(by, NO_POST, "", "", 0)),
    ("funds.approve", Permission.MEMBER, lambda n, a, by: n.funds.approve(by, NO_POST, [])),
    (
        "funds.open_poll",
        Permission.MEMBER,
        lambda n, a, by: n.funds.open_poll(by, "", "", PollKind.CHOICE, (), 0, 0),
    ),
    ("funds.vote", Permission.MEMBER, lambda n, a, by: n.funds.vote(by, NO_POST, 0)),
    # the network's assembly and roster
    ("assembly.table", Permission.TABLE_MOTIONS, lambda n, a, by: n.assembly.table(_MOTION, by=by)),
    ("assembly.second", Permission.TABLE_MOTIONS, lambda n, a, by: n.assembly.second(NO_ID, by=by)),
    (
        "assembly.vote",
        Permission.CAST_NETWORK_VOTES,
        lambda n, a, by: n.assembly.vote(NO_ID, "yes", by=by),
    ),
    (
        "assembly.reveal",
        Permission.CAST_NETWORK_VOTES,
        lambda n, a, by: n.assembly.reveal(NO_ID, by=by),
    ),
    (
        "network.sponsor",
        Permission.MANAGE_PEERS,
        lambda n, a, by: NetworkActions(n.messages, n.membership).sponsor(n.node_id, by=by),
    ),
    # peers
    ("peers.invite", Permission.MANAGE_PEERS, lambda n, a, by: a.invite(by=by)),
    ("peers.add", Permission.MANAGE_PEERS, lambda n, a, by: a.add("", by=by)),
    (
        "peers.set_blocked",
        Permission.MANAGE_PEERS,
        lambda n, a, by: a.set_blocked(NO_HUB, True, by=by),
    ),
    (
        "peers.block_origin",
        Permission.MODERATE,
        lambda n, a, by: a.block_origin(n.node_id, "", by=by),
    ),
]

# The community's services, events and comments, acting for a member.
_CAMPAIGN = Campaign(title="t", summary="s", status="active", principles=(), goals=())
_ENTRY = DirectoryEntry(name="n", category="food", area="a", hours="h", contact="c")
_ASK = Ask("t", "2031-01-01", "19:00", "Europe/London", "p", None, False)
SERVICES += [
    # events
    (
        "organiser.create",
        Permission.MANAGE_EVENTS,
        lambda n, a, by: n.events.organiser.create(parse_form(EVENT), by=by),
    ),
    (
        "organiser.edit",
        Permission.MANAGE_EVENTS,
        lambda n, a, by: n.events.organiser.edit(NO_ID, parse_form(EVENT), by=by),
    ),
    (
        "organiser.cancel",
        Permission.MANAGE_EVENTS,
        lambda n, a, by: n.events.organiser.cancel(NO_ID, None, by=by),
    ),
    ("attendance.rsvp", Permission.MEMBER, lambda n, a, by: n.events.attendance.rsvp(NO_ID, by)),
    (
        "attendance.withdraw",
        Permission.MEMBER,
        lambda n, a, by: n.events.attendance.withdraw(NO_ID, by),
    ),
    # campaigns, library, directory, speakers, mutual aid
    (
        "campaigns.start",
        Permission.MANAGE_CAMPAIGNS,
        lambda n, a, by: n.community.campaigns.start(_CAMPAIGN, by=by),
    ),
    (
        "campaigns.update",
        Permission.MANAGE_CAMPAIGNS,
        lambda n, a, by: n.community.campaigns.update(
            CampaignUpdate(campaign=NO_ID, text="x", status=None, events=(), resources=()), by=by
        ),
    ),
    (
        "campaigns.endorse",
        Permission.MANAGE_CAMPAIGNS,
        lambda n, a, by: n.community.campaigns.endorse(
            CampaignEndorse(campaign=NO_ID, statement=None), by=by
        ),
    ),
    (
        "library.publish",
        Permission.PUBLISH_FOR_HUB,
        lambda n, a, by: n.community.library.publish("x.exe", b"", "", None, [], by=by),
    ),
    (
        "directory.add",
        Permission.PUBLISH_FOR_HUB,
        lambda n, a, by: n.community.directory.add(_ENTRY, False, by=by),
    ),
    (
        "directory.edit",
        Permission.PUBLISH_FOR_HUB,
        lambda n, a, by: n.community.directory.edit(NO_POST, _ENTRY, False, by=by),
    ),
    (
        "directory.remove",
        Permission.PUBLISH_FOR_HUB,
        lambda n, a, by: n.community.directory.remove(NO_POST, by=by),
    ),
    (
        "speakers.offer",
        Permission.MEMBER,
        lambda n, a, by: n.community.speakers.offer(by, [], None, None),
    ),
    (
        "speakers.withdraw",
        Permission.MEMBER,
        lambda n, a, by: n.community.speakers.withdraw(by, NO_POST),
    ),
    (
        "speaker_requests.ask",
        Permission.MEMBER,
        lambda n, a, by: n.community.speaker_requests.ask(by, NO_ID, _ASK),
    ),
    (
        "speaker_requests.pass_on",
        Permission.MANAGE_EVENTS,
        lambda n, a, by: n.community.speaker_requests.pass_on(by, NO_ID),
    ),
    (
        "speaker_requests.answer",
        Permission.MEMBER,
        lambda n, a, by: n.community.speaker_requests.answer(by, NO_ID, "accept", None),
    ),
    (
        "mutual_aid.post",
        Permission.MEMBER,
        lambda n, a, by: n.community.mutual_aid.post(by, "", "", ""),
    ),
    (
        "mutual_aid.close",
        Permission.MEMBER,
        lambda n, a, by: n.community.mutual_aid.close(by, NO_POST, "x"),
    ),
    # comments and the network name
    (
        "comments.set_display_name",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.comments.set_display_name(by, ""),
    ),
    (
        "comments.publish",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.comments.publish(by, NO_ID, ""),
    ),
    (
        "comments.edit",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.comments.edit(by, NO_ID, ""),
    ),
    (
        "comments.delete",
        Permission.MEMBER,
        lambda n, a, by: n.discussion.comments.delete(by, NO_ID),
    ),
    # running the hub from the browser
    ("news.publish", Permission.PUBLISH_NEWS, lambda n, a, by: n.news.publish(by, None, "")),
    (
        "mail_setup.save",
        Permission.SET_UP_HUB,
        lambda n, a, by: n.mail_setup.save(
            by, host="", port="", security="", username="", password="", sender=""
        ),
    ),
    (
        "invitations.invite",
        Permission.MANAGE_MEMBERS,
        lambda n, a, by: n.invitations.invite(by, "x" * 101, ""),
    ),
]

ROLE_CASES = [None, *Role]  # None: a member with no elected role


@pytest.mark.parametrize("what,permission,call", SERVICES, ids=[s[0] for s in SERVICES])
async def test_each_service_refuses_exactly_those_the_table_does_not_grant(
    site: Site, what: str, permission: Permission, call: Call
) -> None:
    node = site.node
    admin = PeerAdmin(site.client.app[FEDERATION])
    members: list[tuple[Member, bool]] = []
    for role in ROLE_CASES:
        email = f"{role.value if role else 'plain'}@example.org"
        member = await acting(node, await make_member(node, email, role))
        roles = frozenset({role}) if role else frozenset()
        members.append(
            (member, permission is Permission.MEMBER or bool(roles & GRANTS[permission]))
        )
    # A suspended member holds no permission: their session ends, and so do their powers.
    chair = members[ROLE_CASES.index(Role.CHAIR)][0]
    members.append((dataclasses.replace(chair, status="suspended"), False))
    for member, allowed in members:
        before = await node.messages.count()
        refused: NotAllowed | None = None
        try:
            await call(node, admin, member)
        except NotAllowed as exc:
            refused = exc
        except Exception:  # past the check: the made-up input is refused
            pass
        if allowed:
            assert refused is None, f"{what}: {member.roles} {member.status}: {refused}"
        else:
            assert refused is not None, f"{what} let {set(member.roles)} {member.status} through"
            assert str(refused) == f"Only {WHO[permission]} can do that."
            assert await node.messages.count() == before
