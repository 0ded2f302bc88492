"""The features that keep personal data about a member, each with an export and an erase.

Members.export and Members.leave go through this list, so a feature that stores
something about a member registers itself once (in Node.open) and members.py
need not import every feature. Each keeper answers for its own tables and its
own messages (a speaker offer published to the network is withdrawn, not just
deleted here).
"""

from __future__ import annotations

from typing import Any, Protocol


class PersonalData(Protocol):
    #: The key under which the export lists this keeper's records.
    personal_data_name: str

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        """The member's records, as plain JSON values, for their data download."""
        ...

    async def erase_member(self, member_id: int) -> None:
        """Erase (or withdraw from the network) what this feature holds about the member.

        Runs in its own write transactions: never called inside another's."""
        ...
