"""Roles and what each may do: the one table the web UI checks every request against.

Every role is elected for 12 months (the governance work); before the first
election the hub's founders act as an interim steering group with the powers of
the organiser roles. A member holds the union of the permissions of their roles.
"""

from __future__ import annotations

import enum
import functools
from typing import Protocol

from node.errors import NotAllowed
from node.wording import Term


class Role(enum.StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBERSHIP_SECRETARY = "membership-secretary"
    CAMPAIGNS = "campaigns-coordinator"
    TREASURER = "treasurer"
    DELEGATE = "delegate"
    INTERIM = "interim-steering-group"


ROLE_TITLES = {
    Role.CHAIR: "Chair",
    Role.SECRETARY: "Secretary",
    Role.MEMBERSHIP_SECRETARY: "Membership secretary",
    Role.CAMPAIGNS: "Campaigns co-ordinator",
    Role.TREASURER: "Treasurer / fundraiser",
    Role.DELEGATE: "Delegate to the network",
    Role.INTERIM: "Interim steering group",
}

# What each role does, in plain words, for members choosing whom to elect (and for
# the candidates themselves). The pages show them beside each election.
ROLE_DESCRIPTIONS = {
    Role.CHAIR: (
        "Runs the hub's meetings so that everyone gets a say, keeps them to time, and "
        "speaks for the hub when it needs one voice. Can run events and moderate."
    ),
    Role.SECRETARY: (
        "Keeps the hub's records: minutes, the charter, elections and who the hub works "
        "with in the network. Opens elections, runs events and can moderate."
    ),
    Role.MEMBERSHIP_SECRETARY: (
        "Welcomes new members: reads applications, approves them, and helps members "
        "with their accounts. Sees members' contact details, and keeps them safe."
    ),
    Role.CAMPAIGNS: (
        "Starts and runs the hub's campaigns and events, and publishes for the hub: "
        "news, resources and entries in the network's directory."
    ),
    Role.TREASURER: (
        "Looks after the hub's money: records what comes in and goes out with receipts, "
        "and opens budget rounds in which members decide how to spend it."
    ),
    Role.DELEGATE: (
        "Speaks and votes for the hub in the network: proposes motions and votes on "
        "them as members decide. Other hubs see only the name the delegate chooses."
    ),
    Role.INTERIM: (
        "Runs a new hub until its first elections: can do what each officer does, "
        "and hands over to the elected officers."
    ),
}


class Permission(enum.StrEnum):
    MEMBER = "member"  # see members' pages: any active member
    MANAGE_MEMBERS = "manage-members"  # approve, reject, suspend; issue reset links
    MANAGE_PEERS = "manage-peers"  # invite, add and block peers
    VIEW_HEALTH = "view-health"  # the node's health page
    TABLE_MOTIONS = "table-motions"  # table and second network motions for the hub
    CAST_NETWORK_VOTES = "cast-network-votes"  # vote (and reveal) for the hub on motions
    MANAGE_CAMPAIGNS = "manage-campaigns"  # start and update campaigns, join others' campaigns
    PUBLISH_FOR_HUB = "publish-for-hub"  # resources and directory entries, in the hub's name
    MANAGE_EVENTS = "manage-events"  # create, edit and cancel events; see who is coming
    MODERATE = "moderate"  # hide posts, warn and suspend posters, report and block hubs
    MANAGE_FUNDS = "manage-funds"  # record ledger entries; open budget rounds
    RUN_ELECTIONS = "run-elections"  # open elections and recall votes
    ADOPT_CHARTER = "adopt-charter"  # adopt a version of the charter for the hub
    EDIT_HUB_PROFILE = "edit-hub-profile"  # the hub's name, address, region and profile
    PUBLISH_NEWS = "publish-news"  # write, edit and withdraw the hub's announcements
    SET_UP_HUB = "set-up-hub"  # the hub's email settings and first-run checklist


# The table: which roles grant each permission beyond plain membership.
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.MEMBER: frozenset(Role),
    Permission.MANAGE_MEMBERS: frozenset({Role.MEMBERSHIP_SECRETARY, Role.SECRETARY, Role.INTERIM}),
    Permission.MANAGE_PEERS: frozenset({Role.SECRETARY, Role.CHAIR, Role.INTERIM}),
    Permission.VIEW_HEALTH: frozenset({Role.SECRETARY, Role.CHAIR, Role.TREASURER, Role.INTERIM}),
    Permission.TABLE_MOTIONS: frozenset({Role.DELEGATE, Role.SECRETARY, Role.INTERIM}),
    Permission.CAST_NETWORK_VOTES: frozenset({Role.DELEGATE}),
    Permission.MANAGE_CAMPAIGNS: frozenset({Role.CAMPAIGNS, Role.INTERIM}),
    Permission.PUBLISH_FOR_HUB: frozenset(
        {Role.CAMPAIGNS, Role.SECRETARY, Role.CHAIR, Role.INTERIM}
    ),
    Permission.MANAGE_EVENTS: frozenset({Role.CHAIR, Role.SECRETARY, Role.CAMPAIGNS, Role.INTERIM}),
    Permission.MODERATE: frozenset({Role.CHAIR, Role.SECRETARY, Role.INTERIM}),
    Permission.MANAGE_FUNDS: frozenset({Role.TREASURER, Role.INTERIM}),
    Permission.RUN_ELECTIONS: frozenset({Role.SECRETARY, Role.INTERIM}),
    Permission.ADOPT_CHARTER: frozenset({Role.SECRETARY, Role.INTERIM}),
    Permission.EDIT_HUB_PROFILE: frozenset({Role.CHAIR, Role.SECRETARY, Role.INTERIM}),
    Permission.PUBLISH_NEWS: frozenset({Role.CAMPAIGNS, Role.SECRETARY, Role.CHAIR, Role.INTERIM}),
    Permission.SET_UP_HUB: frozenset({Role.SECRETARY, Role.CHAIR, Role.INTERIM}),
}

# Who holds each permission, for a refusal: "Only {WHO[p]} can do that."
WHO: dict[Permission, str] = {
    Permission.MEMBER: Term("members"),
    Permission.MANAGE_MEMBERS: Term("the organisers who manage members"),
    Permission.MANAGE_PEERS: Term("the organisers who manage the hub's peers"),
    Permission.VIEW_HEALTH: Term("the organisers who look after the node"),
    Permission.TABLE_MOTIONS: Term("the hub's delegates and secretary"),
    Permission.CAST_NETWORK_VOTES: Term("the hub's delegates"),
    Permission.MANAGE_CAMPAIGNS: Term("the campaigns co-ordinator"),
    Permission.PUBLISH_FOR_HUB: Term("the organisers who publish for the hub"),
    Permission.MANAGE_EVENTS: Term("the organisers who run events"),
    Permission.MODERATE: Term("the hub's moderators"),
    Permission.MANAGE_FUNDS: Term("the treasurer"),
    Permission.RUN_ELECTIONS: Term("the secretary"),
    Permission.ADOPT_CHARTER: Term("the secretary"),
    Permission.EDIT_HUB_PROFILE: Term("the chair and secretary"),
    Permission.PUBLISH_NEWS: Term("the organisers who write the hub's news"),
    Permission.SET_UP_HUB: Term("the secretary and chair"),
}

# The roles members elect, in the order pages list them (the interim group is not elected).
ELECTED_ROLES: tuple[Role, ...] = (
    Role.CHAIR,
    Role.SECRETARY,
    Role.MEMBERSHIP_SECRETARY,
    Role.CAMPAIGNS,
    Role.TREASURER,
    Role.DELEGATE,
)


# Who may act on whose account: issue a reset link for, suspend, reinstate or remove
# a member takes a role that grants MANAGE_MEMBERS and ranks above every role the
# member holds (a role never outranks itself). The interim steering group is above
# every elected role; the chair and secretary above the other officers; every role
# above plain membership. So a membership secretary manages plain members only,
# and cannot make a reset link for the treasurer and log in as them.
RANKS: dict[Role, int] = {
    Role.INTERIM: 3,
    Role.CHAIR: 2,
    Role.SECRETARY: 2,
    Role.MEMBERSHIP_SECRETARY: 1,
    Role.CAMPAIGNS: 1,
    Role.TREASURER: 1,
    Role.DELEGATE: 1,
}


def rank(roles: frozenset[Role]) -> int:
    """The highest rank among `roles`; 0 for a member with none."""
    return max((RANKS[r] for r in roles), default=0)


def outranks(
    actor: frozenset[Role],
    target: frozenset[Role],
    permission: Permission = Permission.MANAGE_MEMBERS,
) -> bool:
    """Whether a member holding `actor` may act, by `permission`, on one holding
    `target`: manage their account (the default), or warn or suspend them from posting
    (MODERATE), so peers cannot silence each other and nobody silences those above."""
    acting = frozenset(r for r in actor if r in GRANTS[permission])
    return bool(acting) and rank(acting) > rank(target)


# Every page asks (the menu, the badges, each check), and a hub has a few sets of roles.
@functools.lru_cache(maxsize=64)
def permissions_of(roles: frozenset[Role]) -> frozenset[Permission]:
    """Everything a member holding `roles` may do (every active member is a MEMBER)."""
    return frozenset({Permission.MEMBER}) | frozenset(
        p for p, granted in GRANTS.items() if roles & granted
    )


class Acting(Protocol):
    """Whoever a service acts for: a member (node/accounts/members.py Member), or the
    operator at the command line."""

    def can(self, permission: Permission) -> bool: ...


class Operator:
    """The person who runs the node's command line. They hold the machine, its key and
    its database, so the table cannot bind them: a CLI command passes `by=OPERATOR`
    to a service that members also reach from the web, and every check passes."""

    def can(self, permission: Permission) -> bool:
        return True


OPERATOR = Operator()


def require(by: Acting, permission: Permission, refusal: type[NotAllowed] = NotAllowed) -> None:
    """Refuse (403) unless `by` holds `permission`: each service that changes something
    for a member checks here, so a route, a test or a script that forgets cannot skip
    it. A feature passes its own kind of refusal (`DiscussionError` and `NotAllowed`)."""
    if not by.can(permission):
        raise refusal("Only %(who)s can do that.", who=WHO[permission])
