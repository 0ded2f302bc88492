"""The features that keep personal data about a member, each with an export and an erase.

Members.export and Members.leave go through these lists, so a feature that stores
something about a member registers itself once (in Node.open) and members.py
need not import every feature. Each keeper answers for its own tables and its
own messages (a speaker offer published to the network is withdrawn, not just
deleted here).
"""

from __future__ import annotations

from typing import Any, Protocol

import aiosqlite


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


class AccountRecords(Protocol):
    """A feature's records about a member that go with the account itself (notices,
    nominations): listed with it in the data download, and erased in the one
    transaction that ends it (Members.leave), so no member is gone with them kept."""

    async def export_member_records(self, member_id: int) -> dict[str, Any]:
        """The records under their keys in the data download, as plain JSON values."""
        ...

    async def forget_member_txn(self, conn: aiosqlite.Connection, member_id: int) -> None:
        """Erase the records inside `conn`'s transaction (it also ends the account)."""
        ...
