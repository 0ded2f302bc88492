"""What governance hands out: the charter in force, role holders, nominations and
elections, as values (the stores in node/store build them from their rows), and the
errors that refuse a request."""

from __future__ import annotations

from dataclasses import dataclass

from node.accounts.permissions import ROLE_TITLES, Role
from node.errors import NodeError, NotAllowed, NotFound
from node.governance import tally


class GovernanceError(NodeError):
    """A governance request that cannot be met; the message is for the member."""


class ElectionNotFound(GovernanceError, NotFound):
    """No election with that id."""


class GovernanceNotAllowed(GovernanceError, NotAllowed):
    """A member whose roles do not grant what they asked to do."""


@dataclass(frozen=True, slots=True)
class Charter:
    version: str
    title: str
    text: str
    adopted_at: int | None  # None: the built-in charter, not yet adopted by this hub


@dataclass(frozen=True, slots=True)
class Holder:
    member_id: int
    name: str | None  # None once they have left
    role: Role
    starts_at: int
    ends_at: int | None


@dataclass(frozen=True, slots=True)
class Nomination:
    nominee: int
    name: str | None
    nominated_by: int | None
    accepted: bool
    network_name: str | None
    statement: str | None = None  # what the candidate tells members, when they stand


@dataclass(frozen=True, slots=True)
class Election:
    id: str
    kind: str  # "election" or "recall"
    role: Role
    method: str
    opened_at: int
    nominations_close: int
    voting_opens: int
    voting_closes: int
    state: str
    recall_member: int | None
    recall_starts_at: int | None
    closed_at: int | None
    result: tally.Result | None
    elected: int | None

    @property
    def title(self) -> str:
        what = ROLE_TITLES[self.role]
        return f"Recall vote: {what}" if self.kind == "recall" else f"Election: {what}"

    def phase(self, now: int) -> str:
        """nominations, waiting (for voting), voting, or closed."""
        if self.state == "closed":
            return "closed"
        if now < self.nominations_close:
            return "nominations"
        if now < self.voting_opens:
            return "waiting"
        if now < self.voting_closes:
            return "voting"
        return "closed"
