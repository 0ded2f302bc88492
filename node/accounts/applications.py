"""Applications, as the organisers who manage members meet them: a notice (and the
count beside the Members link) for each new one, decisions one at a time or many at
once, and an email telling the applicant the outcome when the hub has email set up.

Members' names and addresses stay on this node (DESIGN.md): the emails go from the
hub's own mail server to the applicant only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from node.accounts.members import Member, Members
from node.accounts.permissions import GRANTS, Permission, require
from node.errors import NodeError
from node.governance.service import Governance
from node.notices import Notices
from node.store.office import OfficeStore
from node.wording import Wording

# What an applicant is emailed once decided: (subject, body), with the hub's name and
# address put in where the email is written.
_OUTCOME = {
    "active": (
        Wording("You are a member"),
        Wording(
            "Your application to join %(hub)s has been approved: welcome! Log in with the"
            " email address and password you gave when you applied:\n\n%(url)s/login\n"
        ),
    ),
    "rejected": (
        Wording("Your application"),
        Wording(
            "Your application to join %(hub)s was not approved. If you think this is a"
            " mistake, talk to one of the hub's organisers.\n"
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Decided:
    done: list[Member]
    refused: list[str]  # why each of the others could not be decided


class Applications:
    def __init__(
        self,
        members: Members,
        notices: Notices,
        governance: Governance,
        store: OfficeStore,
        hub_name: str,
        base_url: str,
    ) -> None:
        self._members = members
        self._notices = notices
        self._governance = governance
        self._store = store
        self._hub_name = hub_name
        self._base_url = base_url.rstrip("/")
        members.on_applied.append(self.applied)

    async def waiting(self) -> int:
        """How many applications wait for a decision (the badge beside Members)."""
        return await self._store.applications()

    async def applied(self, member: Member) -> None:
        """Tell every organiser who manages members that someone has applied."""
        managers = GRANTS[Permission.MANAGE_MEMBERS]
        organisers = {h.member_id for h in await self._governance.holders() if h.role in managers}
        await self._notices.notify(
            organisers,
            Wording("New application to join: %(name)s", {"name": member.name}),
            "/organise/members",
        )

    async def decide(self, member_id: int, status: str, by: Member) -> Member:
        """One decision (Members.decide); the applicant is emailed its outcome."""
        require(by, Permission.MANAGE_MEMBERS)
        before = await self._members.get(member_id)
        member = await self._members.decide(member_id, status, by)
        if before is not None and before.status == "applied":
            await self._tell(member)
        return member

    async def decide_many(self, member_ids: Sequence[int], status: str, by: Member) -> Decided:
        """The same decision on several applications; those that cannot be decided (one
        decided meanwhile by someone else) are named, and the rest still are."""
        require(by, Permission.MANAGE_MEMBERS)
        done: list[Member] = []
        refused: list[str] = []
        for member_id in dict.fromkeys(member_ids):
            before = await self._members.get(member_id)
            if before is None or before.status != "applied":
                refused.append(f"{before.name if before else 'An applicant'}: already decided.")
                continue
            try:
                done.append(await self.decide(member_id, status, by))
            except NodeError as exc:
                refused.append(f"{before.name}: {exc}")
        return Decided(done, refused)

    async def _tell(self, member: Member) -> None:
        outcome = _OUTCOME.get(member.status)
        if outcome is None or self._notices.mail is None or not member.email:
            return
        subject, body = outcome
        # In the applicant's own language, else the hub's: not the deciding organiser's.
        await self._notices.email_address(
            member.email,
            subject,
            Wording(body.template, {"hub": self._hub_name, "url": self._base_url}),
            member.language,
        )
