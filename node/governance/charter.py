"""The hub's charter: the version in force, those adopted before, and adopting a new
one (stored here and published as `charter.adopt`)."""

from __future__ import annotations

from typing import Protocol

from node.accounts.charter import CHARTER_TEXT, CHARTER_TITLE, CHARTER_VERSION
from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.governance import notices_text
from node.governance.records import Charter, GovernanceError, GovernanceNotAllowed
from node.notices import Notices
from node.store.messages import MessageStore
from protocol.errors import SchemaViolation
from protocol.kinds.hub import CharterAdopt
from protocol.schema import check_body


class CharterBook(Protocol):
    """The charters this hub adopted (node/store/charters.py)."""

    async def newest(self) -> Charter | None: ...
    async def history(self) -> list[Charter]: ...
    async def has_version(self, version: str) -> bool: ...
    async def add(
        self, version: str, title: str, text: str, now: int, by: int, message_id: bytes
    ) -> None: ...


class Charters:
    def __init__(
        self, store: CharterBook, clock: Clock, messages: MessageStore, notices: Notices
    ) -> None:
        self._store = store
        self._clock = clock
        self._messages = messages
        self._notices = notices

    async def charter(self) -> Charter:
        """The charter in force: the newest this hub adopted, else the built-in one."""
        newest = await self._store.newest()
        if newest is None:
            return Charter(CHARTER_VERSION, CHARTER_TITLE, CHARTER_TEXT, None)
        return newest

    async def history(self) -> list[Charter]:
        return await self._store.history()

    async def adopt(self, version: str, title: str, text: str, by: Member) -> Charter:
        """Adopt a charter version: stored here, and published as `charter.adopt`."""
        require(by, Permission.ADOPT_CHARTER, GovernanceNotAllowed)
        version, title = version.strip(), title.strip()
        text = text.replace("\r\n", "\n").strip() + "\n"
        if not version or not title or not text.strip():
            raise GovernanceError("Give the charter's version, title and text.")
        body = CharterAdopt(version=version, title=title, text=text)
        try:
            check_body(body)
        except SchemaViolation as exc:
            raise GovernanceError(
                "That charter cannot be adopted: %(why)s.", why=exc.message
            ) from exc
        if await self._store.has_version(version):
            raise GovernanceError(
                "Version %(version)s is already adopted; give the new text a new version.",
                version=version,
            )
        message = await self._messages.append("charter.adopt", body)
        now = self._clock()
        await self._store.add(version, title, text, now, by.id, message.id)
        await self._notices.notify_members(
            notices_text.charter_adopted(version), "/charter", leave_out=[by.id]
        )
        return Charter(version, title, text, now)
