"""The hub's books: the funds ledger and its receipts, the rules of ledger.py applied to
what node/store/funds.py keeps.

Every read first settles budget rounds whose voting has closed (`settle`, given by
`Funds`), since a decided round turns what it held into commitments.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.funds import ledger
from node.funds.errors import FundsNotAllowed
from node.funds.hooks import Settle
from node.funds.ledger import Draft, Entry, Summary
from node.funds.receipts import Receipt, ReceiptFiles
from node.funds.units import day_of
from node.store.funds import EntryCheck, EntryRecord, NewEntry


class LedgerRecords(Protocol):
    """What the books need of node/store/funds.py (`LedgerStore`)."""

    async def entries(self) -> list[Entry]: ...
    async def reserved(self) -> int: ...
    async def records(self) -> dict[int, EntryRecord]: ...
    async def categories(self) -> list[str]: ...
    async def add(self, check: EntryCheck) -> int: ...
    async def receipt(self, entry_id: int) -> tuple[bytes, str] | None: ...


@dataclass(frozen=True, slots=True)
class EntryView:
    entry: Entry
    recorded_by: str
    recorded_at: int
    receipt_type: str | None
    corrected_by: int | None
    round_id: int | None
    outstanding: int | None  # for a commitment in force: what is still reserved


class Books:
    def __init__(
        self, store: LedgerRecords, clock: Clock, receipts: ReceiptFiles, settle: Settle
    ) -> None:
        self._store = store
        self._clock = clock
        self.receipts = receipts
        self._settle = settle

    async def summary(self) -> Summary:
        await self._settle()
        return ledger.summarise(await self._store.entries(), await self._store.reserved())

    async def ledger(self) -> tuple[Summary, list[EntryView]]:
        """The summary and every entry, newest first, corrections and all."""
        await self._settle()
        entries = await self._store.entries()
        summary = ledger.summarise(entries, await self._store.reserved())
        replaced = ledger.superseded(entries)
        left = ledger.outstanding(entries)
        records = await self._store.records()
        views = [
            EntryView(
                entry=e,
                recorded_by=records[e.id].recorded_by,
                recorded_at=records[e.id].recorded_at,
                receipt_type=records[e.id].receipt_type,
                corrected_by=replaced.get(e.id),
                round_id=records[e.id].round_id,
                outstanding=left.get(e.id),
            )
            for e in reversed(entries)
        ]
        return summary, views

    async def categories(self) -> list[str]:
        return await self._store.categories()

    async def record(self, by: Member, draft: Draft, receipt: Receipt | None = None) -> int:
        """Add an entry to the ledger (a correction if it names one); its id."""
        require(by, Permission.MANAGE_FUNDS, FundsNotAllowed)
        await self._settle()
        today = day_of(self._clock())

        async def checked(entries: list[Entry], reserved: int) -> NewEntry:
            # In the write transaction: nothing can spend the same money meanwhile.
            available = ledger.summarise(entries, reserved).available
            draft_ok = ledger.check_draft(entries, draft, today, available)
            if receipt is None:
                return NewEntry(draft_ok, by.id, self._clock())
            await asyncio.to_thread(self.receipts.save, receipt)
            return NewEntry(
                draft_ok, by.id, self._clock(), receipt.digest, receipt.media_type, receipt.size
            )

        return await self._store.add(checked)

    async def receipt(self, entry_id: int) -> tuple[Path, str] | None:
        """Where an entry's receipt file is and its (checked) media type, if it has one."""
        found = await self._store.receipt(entry_id)
        if found is None:
            return None
        digest, media_type = found
        path = self.receipts.path(digest)
        return (path, media_type) if path.is_file() else None
