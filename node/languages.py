"""The hub's language: the one its pages are in for visitors and for members who have
not chosen their own (English or Welsh, web/i18n.py). Local to the hub, like its email
settings: a `node_state` row, never sent to another hub."""

from __future__ import annotations

from node.accounts.members import Member
from node.accounts.permissions import Acting, Permission, require
from node.clock import Clock
from node.errors import NodeError
from node.store.accounts import AccountsStore
from node.store.office import OfficeStore

SETTING = "hub.language"
LANGUAGES = ("en", "cy")  # web/i18n.py names them


class UnknownLanguage(NodeError):
    """A language the pages are not written in."""


class HubLanguage:
    """The hub's language (`code`), and each member's own choice (members.language)."""

    def __init__(self, office: OfficeStore, accounts: AccountsStore, clock: Clock) -> None:
        self._office = office
        self._accounts = accounts
        self._clock = clock
        self.code = "en"

    async def load(self) -> None:
        """Read the setting (at start): pages read `code` on every request."""
        self.code = (await self._office.values(SETTING)).get(SETTING, "en")

    async def choose(self, code: str, *, by: Acting) -> None:
        require(by, Permission.EDIT_HUB_PROFILE)
        if code not in LANGUAGES:
            raise UnknownLanguage("Choose English or Cymraeg.")
        await self._office.put({SETTING: code}, self._clock())
        self.code = code

    async def choose_own(self, code: str | None, *, by: Member) -> None:
        """The member's own language for their pages (None: the hub's)."""
        if code is not None and code not in LANGUAGES:
            raise UnknownLanguage("Choose English, Cymraeg or the hub's language.")
        await self._accounts.set_language(by.id, code)
