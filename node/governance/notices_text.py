"""The words of governance's notices to members and of its refusals to stand, as pure
functions of what happened: no clock, no database. Dates are in UTC, for people
(`terms.describe_date`)."""

from __future__ import annotations

from node.accounts.permissions import ROLE_TITLES, Role
from node.governance import tally
from node.governance.records import Election, Nomination
from node.governance.terms import describe_date, may_stand_from, term_end


def charter_adopted(version: str) -> str:
    return f"The hub adopted version {version} of its charter."


def may_not_stand(who: str, verb: str, pronoun: str, role: Role, ended: int, since: int) -> str:
    """Why someone may not stand: `who` held (`verb`) the role until `ended`."""
    return (
        f"{who} {verb} the role of {ROLE_TITLES[role]} until {describe_date(ended)}, so"
        f" {pronoun} can stand for it again from {describe_date(since)}: nobody holds a"
        " role for two years running."
    )


def election_opened(role: Role, nominations_close: int) -> str:
    return (
        f"Election opened for {ROLE_TITLES[role]}: nominations close"
        f" {describe_date(nominations_close)}."
    )


def recall_opened(holder: str | None, role: Role, voting_opens: int) -> str:
    return (
        f"Recall vote opened: should {holder or 'the holder'} stop being"
        f" {ROLE_TITLES[role]}? Voting opens {describe_date(voting_opens)}."
    )


def nominated(nominator: str | None, role: Role, nominations_close: int) -> str:
    return (
        f"{nominator or 'A member'} nominated you for {ROLE_TITLES[role]}. Accept or decline"
        f" before {describe_date(nominations_close)}."
    )


def voting_open(election: Election) -> str:
    return f"Voting is open: {election.title}. It closes {describe_date(election.voting_closes)}."


def closing_soon(election: Election) -> str:
    return (
        f"Voting closes within a day: {election.title}"
        f" ({describe_date(election.voting_closes)}). You have not voted yet."
    )


def result(
    election: Election,
    counted: tally.Result,
    winner: int | None,
    candidates: list[Nomination],
    ballots: list[tally.Ballot],
) -> str:
    """The result, for every member."""
    title = ROLE_TITLES[election.role]
    if election.kind == "recall":
        return (
            f"Recall vote for {title} carried: the term has ended."
            if counted.winner == "yes"
            else f"Recall vote for {title} not carried: the holder stays in office."
        )
    if not candidates:
        return f"The election for {title} closed with no candidates; the role stays vacant."
    if not ballots:
        return f"Nobody voted in the election for {title}; the role stays vacant."
    name = next((c.name for c in candidates if c.nominee == winner), None)
    return f"{name or 'A member'} was elected {title}. See the count, round by round."


def taking_office(election: Election) -> str:
    """For the winner."""
    return (
        f"You are now {ROLE_TITLES[election.role]},"
        f" until {describe_date(term_end(election.voting_closes))}."
    )


def term_ended(role: Role, ends_at: int) -> str:
    return (
        f"Your term as {ROLE_TITLES[role]} ended on {describe_date(ends_at)}. You can stand for"
        f" it again from {describe_date(may_stand_from(ends_at))}."
    )
