"""Roles and terms of office: who holds which role, whether someone may stand, and what
taking office and being recalled change (docs/ARCHITECTURE.md, "Roles and terms").

`take_office_txn` and `recall_txn` run inside the transaction that closes an
election (node/governance/schedule.py), so a result and the terms it starts or ends
commit together.
"""

from __future__ import annotations

from typing import Protocol

import aiosqlite

from node.accounts.members import Members
from node.accounts.permissions import Role
from node.clock import Clock
from node.governance import notices_text
from node.governance.records import Election, Holder
from node.governance.terms import Term, standing_refusal, term_end
from node.store import mandates, roles
from node.wording import Wording

ELECTED = "A new delegate was elected."
RECALLED = "Recalled by a vote of the hub's members."


class Terms(Protocol):
    """Terms of office as stored (node/store/roles.py)."""

    async def holders(self, now: int) -> list[Holder]: ...
    async def past_holders(self, now: int, limit: int) -> list[Holder]: ...
    async def terms_of(self, member_id: int, role: Role) -> list[Term]: ...


class Roles:
    def __init__(self, store: Terms, clock: Clock, members: Members) -> None:
        self._store = store
        self._clock = clock
        self._members = members

    async def holders(self) -> list[Holder]:
        """Everyone holding a role now (the interim group included), by role."""
        return await self._store.holders(self._clock())

    async def past_holders(self, limit: int = 50) -> list[Holder]:
        return await self._store.past_holders(self._clock(), limit)

    async def standing_refusal(self, member_id: int, role: Role, *, own: bool) -> Wording | None:
        """Why this member may not stand for `role` now, or None if they may."""
        now = self._clock()
        terms = await self._store.terms_of(member_id, role)
        since = standing_refusal(terms, now)
        if since is None:
            return None
        ended = max(t.ends_at for t in terms if t.ends_at is not None)
        who = None
        if not own:
            member = await self._members.get(member_id)
            who = (member.name if member else None) or "That member"
        return notices_text.may_not_stand(who, role, ended, since, now)


async def take_office_txn(
    conn: aiosqlite.Connection, member_id: int, role: Role, at: int, network_name: str | None
) -> None:
    """A newly elected holder takes office at `at`, for a twelve-month term."""
    ends = term_end(at)
    # Whoever held the role until now stands down as the new holder takes office.
    await roles.end_role_txn(conn, role.value, at)
    await roles.add_term_txn(conn, member_id, role.value, at, ends)
    if role == Role.DELEGATE:
        await mandates.end_running_txn(conn, at, ELECTED)
        await mandates.add_txn(conn, member_id, at, ends, network_name or "Delegate")
    # The interim steering group stands down once a chair and a secretary are in office.
    if {Role.CHAIR.value, Role.SECRETARY.value} <= await roles.roles_held_txn(conn, at):
        await roles.end_role_txn(conn, Role.INTERIM.value, at)


async def recall_txn(conn: aiosqlite.Connection, election: Election, at: int) -> None:
    """A carried recall ends the recalled term (and a delegate's mandate) at `at`."""
    if election.recall_member is None or election.recall_starts_at is None:
        return  # every recall names its term; with none, there is nothing to end
    await roles.end_term_txn(
        conn, election.recall_member, election.role.value, election.recall_starts_at, at
    )
    await mandates.end_txn(conn, election.recall_member, election.recall_starts_at, at, RECALLED)
