"""The first-run checklist on an organiser's dashboard: what a new hub still has to do,
each item ticked off from the hub's real state, never by a box someone clicks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.notices import Notices
from node.store.hubs import HubInfo
from node.store.messages import MessageStore
from node.store.office import FIRST_PASSWORD, OfficeStore


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    title: str
    done: bool
    link: str
    hint: str


class SetupChecklist:
    def __init__(
        self,
        store: OfficeStore,
        messages: MessageStore,
        notices: Notices,
        node_id: NodeId,
        hubs: Callable[[], Awaitable[dict[NodeId, HubInfo]]],
        key_beside_database: Callable[[], Awaitable[bool]],
    ) -> None:
        self._store = store
        self._messages = messages
        self._notices = notices
        self._node_id = node_id
        self._hubs = hubs
        self._key_beside_database = key_beside_database

    async def steps(self, by: Acting) -> list[Step]:
        require(by, Permission.SET_UP_HUB)
        password, described, charter, peered, event, key_away = await self._store.kept(
            "setup_checklist", self._facts
        )
        return [
            Step(
                "password",
                "Change the first organiser's password",
                password,
                "/account",
                "The password shown when the hub was set up was seen on a screen: choose your own.",
            ),
            Step(
                "profile",
                "Describe the hub",
                described,
                "/organise/profile",
                "A description, a region and where the hub meets, for people looking for it.",
            ),
            Step(
                "charter",
                "Adopt the charter",
                charter,
                "/charter",
                "Members sign the charter the hub has adopted when they join.",
            ),
            Step(
                "email",
                "Set up email",
                self._notices.mail is not None,
                "/organise/email",
                "So applicants hear when they are approved and members get their notices.",
            ),
            Step(
                "peer",
                "Connect with a neighbouring hub",
                peered,
                "/organise/peers",
                "Swap invites with another hub's organiser, as text or a QR code.",
            ),
            Step(
                "event",
                "Plan the first event",
                event,
                "/events/new",
                "A meeting, a stall or a social: it shows on the calendar of every hub.",
            ),
            Step(
                "key",
                "Keep the key to members' details off the server",
                key_away,
                "/organise/health#sealed",
                "Members' details are sealed, but the key file sits beside the database, so a "
                "copy of the disk holds both. Move it to a USB stick with 'hubnet key file', "
                "or use a passphrase with 'hubnet key passphrase --only'.",
            ),
        ]

    async def _facts(self) -> tuple[bool, bool, bool, bool, bool, bool]:
        """What the stored state says of each step but email (which is in memory): read
        once for each state of the database, as the organiser's home shows them."""
        profile = (await self._hubs()).get(self._node_id)
        described = profile is not None and bool(
            profile.description and profile.region and (profile.area or profile.lat is not None)
        )
        return (
            await self.password_changed(),
            described,
            await self._own("charter.adopt"),
            await self._store.peer_count() > 0,
            await self._own("event"),
            not await self._key_beside_database(),
        )

    async def password_changed(self) -> bool:
        """Whether the password set at first run has been replaced (a hub made before
        the checklist has no record of it, so counts as done)."""
        first = (await self._store.values(FIRST_PASSWORD)).get(FIRST_PASSWORD)
        if first is None:
            return True
        member_id, _, first_hash = first.partition(" ")
        return await self._store.password_hash(int(member_id)) != first_hash

    async def _own(self, kind: str) -> bool:
        return bool(await self._messages.recent(kind=kind, origin=self._node_id, limit=1))
