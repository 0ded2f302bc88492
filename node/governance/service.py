"""Governance at run time, as one object the node and its pages hold: the charter
(charter.py), roles and terms (roles.py), elections and recalls (elections.py), and
what the clock calls for, the delegate's mandates included (schedule.py).

Every window is judged against the node's clock. docs/ARCHITECTURE.md, "Governance",
gives the rules, and "Secret ballots" the argument for the ballot's secrecy (the box
is node/store/ballots.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from node.accounts.members import Member, Members
from node.accounts.permissions import Role
from node.clock import Clock
from node.governance.charter import Charters
from node.governance.elections import Elections
from node.governance.records import Charter, Election, Holder, Nomination
from node.governance.roles import Roles
from node.governance.schedule import Schedule
from node.notices import Notices
from node.store.ballots import BallotBox
from node.store.charters import CharterStore
from node.store.database import Database
from node.store.elections import ElectionsStore
from node.store.mandates import MandatesStore
from node.store.messages import MessageStore
from node.store.roles import RolesStore


class Governance:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        members: Members,
        messages: MessageStore,
        notices: Notices,
    ) -> None:
        box = BallotBox(db)
        elections, roles, self._mandates = ElectionsStore(db), RolesStore(db), MandatesStore(db)
        self._charters = Charters(CharterStore(db), clock, messages, notices)
        self._roles = Roles(roles, clock, members)
        self._schedule = Schedule(
            db, clock, members, messages, notices, box, elections, roles, self._mandates
        )
        self._elections = Elections(
            elections, clock, members, notices, box, self._roles, self._schedule.tick
        )

    # -- the charter ----------------------------------------------------------

    async def charter(self) -> Charter:
        return await self._charters.charter()

    async def charter_history(self) -> list[Charter]:
        return await self._charters.history()

    async def adopt_charter(self, version: str, title: str, text: str, by: Member) -> Charter:
        return await self._charters.adopt(version, title, text, by)

    # -- roles ----------------------------------------------------------------

    async def holders(self) -> list[Holder]:
        return await self._roles.holders()

    async def past_holders(self, limit: int = 50) -> list[Holder]:
        return await self._roles.past_holders(limit)

    # -- elections ------------------------------------------------------------

    async def elections(self) -> list[Election]:
        return await self._elections.elections()

    async def election(self, election_id: str) -> Election | None:
        return await self._elections.election(election_id)

    async def open_election(
        self,
        role: Role,
        method: str,
        nominations_close: int,
        voting_opens: int,
        voting_closes: int,
        by: Member,
    ) -> Election:
        return await self._elections.open_election(
            role, method, nominations_close, voting_opens, voting_closes, by
        )

    async def open_recall(
        self, role: Role, voting_opens: int, voting_closes: int, by: Member
    ) -> Election:
        return await self._elections.open_recall(role, voting_opens, voting_closes, by)

    async def nominations(self, election_id: str) -> list[Nomination]:
        return await self._elections.nominations(election_id)

    async def candidates(self, election_id: str) -> list[Nomination]:
        return await self._elections.candidates(election_id)

    async def nominate(
        self,
        election_id: str,
        nominee: int,
        by: Member,
        network_name: str | None = None,
        statement: str | None = None,
    ) -> None:
        await self._elections.nominate(election_id, nominee, by, network_name, statement)

    async def accept(
        self,
        election_id: str,
        by: Member,
        network_name: str | None,
        statement: str | None = None,
    ) -> None:
        await self._elections.accept(election_id, by, network_name, statement)

    async def decline(self, election_id: str, by: Member) -> None:
        await self._elections.decline(election_id, by)

    async def has_voted(self, election_id: str, member_id: int) -> bool:
        return await self._elections.has_voted(election_id, member_id)

    async def turnout(self, election_id: str) -> int:
        return await self._elections.turnout(election_id)

    async def vote(self, election_id: str, by: Member, ballot: tuple[str, ...]) -> None:
        await self._elections.vote(election_id, by, ballot)

    # -- time passing, and the delegate's mandates ------------------------------------

    async def start(self) -> None:
        await self._schedule.start()

    async def stop(self) -> None:
        await self._schedule.stop()

    async def tick(self) -> None:
        await self._schedule.tick()

    async def mandates(self) -> list[dict[str, Any]]:
        """Every delegate mandate this hub holds, newest first."""
        return [dataclasses.asdict(m) for m in await self._mandates.all()]
