"""The words of governance's notices to members and of its refusals to stand, as pure
functions of what happened: no clock, no database. Each is a `Wording` (node/wording.py),
so each member reads it in their own language; its dates read in UTC as plain text
(`terms.describe_date`) and in the hub's zone on a page or in an email."""

from __future__ import annotations

from node.accounts.permissions import ROLE_TITLES, Role
from node.governance import tally
from node.governance.records import Election, Nomination
from node.governance.terms import may_stand_from, moment, term_end
from node.wording import Term, Wording


def _role(role: Role) -> Term:
    return Term(ROLE_TITLES[role])


def charter_adopted(version: str) -> Wording:
    return Wording("The hub adopted version %(version)s of its charter.", {"version": version})


def may_not_stand(who: str | None, role: Role, ended: int, since: int, now: int) -> Wording:
    """Why someone may not stand: they (`who`; None: the member asking) held the role
    until `ended`."""
    values = {
        "who": who,
        "role": _role(role),
        "ended": moment(ended),
        "since": moment(since),
    }
    # One whole sentence for each case, so each language words it its own way.
    if who is None and ended > now:
        return Wording(
            "You hold the role of %(role)s until %(ended)s, so you can stand for it again"
            " from %(since)s: nobody holds a role for two years running.",
            values,
        )
    if who is None:
        return Wording(
            "You held the role of %(role)s until %(ended)s, so you can stand for it again"
            " from %(since)s: nobody holds a role for two years running.",
            values,
        )
    if ended > now:
        return Wording(
            "%(who)s holds the role of %(role)s until %(ended)s, so they can stand for it"
            " again from %(since)s: nobody holds a role for two years running.",
            values,
        )
    return Wording(
        "%(who)s held the role of %(role)s until %(ended)s, so they can stand for it"
        " again from %(since)s: nobody holds a role for two years running.",
        values,
    )


def election_opened(role: Role, nominations_close: int) -> Wording:
    return Wording(
        "Election opened for %(role)s: nominations close %(closes)s.",
        {"role": _role(role), "closes": moment(nominations_close)},
    )


def recall_opened(holder: str | None, role: Role, voting_opens: int) -> Wording:
    values = {"holder": holder, "role": _role(role), "opens": moment(voting_opens)}
    if holder is None:
        return Wording(
            "Recall vote opened: should the holder stop being %(role)s? Voting opens %(opens)s.",
            values,
        )
    return Wording(
        "Recall vote opened: should %(holder)s stop being %(role)s? Voting opens %(opens)s.",
        values,
    )


def nominated(nominator: str | None, role: Role, nominations_close: int) -> Wording:
    values = {"who": nominator, "role": _role(role), "closes": moment(nominations_close)}
    if nominator is None:
        return Wording(
            "A member nominated you for %(role)s. Accept or decline before %(closes)s.", values
        )
    return Wording(
        "%(who)s nominated you for %(role)s. Accept or decline before %(closes)s.", values
    )


def voting_open(election: Election) -> Wording:
    values = {"role": _role(election.role), "closes": moment(election.voting_closes)}
    if election.kind == "recall":
        return Wording("Voting is open: Recall vote: %(role)s. It closes %(closes)s.", values)
    return Wording("Voting is open: Election: %(role)s. It closes %(closes)s.", values)


def closing_soon(election: Election) -> Wording:
    values = {"role": _role(election.role), "closes": moment(election.voting_closes)}
    if election.kind == "recall":
        return Wording(
            "Voting closes within a day: Recall vote: %(role)s (%(closes)s). You have not"
            " voted yet.",
            values,
        )
    return Wording(
        "Voting closes within a day: Election: %(role)s (%(closes)s). You have not voted yet.",
        values,
    )


def result(
    election: Election,
    counted: tally.Result,
    winner: int | None,
    candidates: list[Nomination],
    ballots: list[tally.Ballot],
) -> Wording:
    """The result, for every member."""
    role = {"role": _role(election.role)}
    if election.kind == "recall":
        if counted.winner == "yes":
            return Wording("Recall vote for %(role)s carried: the term has ended.", role)
        return Wording("Recall vote for %(role)s not carried: the holder stays in office.", role)
    if not candidates:
        return Wording(
            "The election for %(role)s closed with no candidates; the role stays vacant.", role
        )
    if not ballots:
        return Wording("Nobody voted in the election for %(role)s; the role stays vacant.", role)
    name = next((c.name for c in candidates if c.nominee == winner), None)
    if name is None:
        return Wording("A member was elected %(role)s. See the count, round by round.", role)
    return Wording(
        "%(name)s was elected %(role)s. See the count, round by round.", {**role, "name": name}
    )


def taking_office(election: Election) -> Wording:
    """For the winner."""
    return Wording(
        "You are now %(role)s, until %(ends)s.",
        {"role": _role(election.role), "ends": moment(term_end(election.voting_closes))},
    )


def term_ended(role: Role, ends_at: int) -> Wording:
    return Wording(
        "Your term as %(role)s ended on %(ended)s. You can stand for it again from %(since)s.",
        {"role": _role(role), "ended": moment(ends_at), "since": moment(may_stand_from(ends_at))},
    )
