"""The hub's own profile: what organisers say about the hub, published as `hub.profile`.

Saving signs a new profile (the latest wins, PROTOCOL.md §5.1); every peer shows it
once it arrives, and a peer reaches the hub at the profile's `url` from then on. A
changed name or address is also written to config.toml, so the node introduces itself
the same way after a restart. The hub's time zone is kept here for the pages.
"""

from __future__ import annotations

import dataclasses
import functools
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from crypto.nodeid import NodeId
from node import geo
from node.accounts.permissions import Acting, Permission, require
from node.config import Config, set_in_file
from node.errors import NodeError
from node.network.actions import DEFAULT_REGIONS
from node.store.hubs import HubInfo
from node.store.messages import MessageStore
from node.wording import Wording
from protocol.errors import SchemaViolation
from protocol.federation import node_url_problem
from protocol.kinds.hub import HubProfile
from protocol.schema import check_body

FIELDS = (
    "name",
    "url",
    "description",
    "area",
    "region",
    "town",
    "meeting_place",
    "contact",
    "timezone",
)
# The longest each may be (protocol/kinds/hub.py), to say so beside the field.
_LIMITS = {
    "name": 100,
    "url": 500,
    "description": 4000,
    "area": 200,
    "region": 100,
    "meeting_place": 500,
    "contact": 200,
}


class ProfileInvalid(NodeError):
    """A profile form that cannot be saved: one sentence for each field at fault."""

    def __init__(self, fields: Mapping[str, Wording]) -> None:
        super().__init__(" ".join(str(fault) for fault in fields.values()))
        self.fields = dict(fields)  # each in the reader's language where shown


@functools.cache
def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone named, or Europe/London for none or one this machine does not know."""
    if name and geo.known_timezone(name):
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo(geo.DEFAULT_TIMEZONE)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the organiser typed, trimmed, field by field (FIELDS)."""

    values: dict[str, str]

    def get(self, name: str) -> str | None:
        return self.values.get(name) or None


class HubProfiles:
    def __init__(
        self,
        messages: MessageStore,
        node_id: NodeId,
        hubs: Callable[[], Awaitable[dict[NodeId, HubInfo]]],
        config: Callable[[], Config],
        reconfigure: Callable[[Config], None],
    ) -> None:
        self._messages = messages
        self._node_id = node_id
        self._hubs = hubs
        self._config = config
        self._reconfigure = reconfigure
        self.zone = zone(None)

    async def load(self) -> None:
        """Read the hub's time zone from its latest profile (at start)."""
        own = await self.own()
        self.zone = zone(own.timezone if own else None)

    async def own(self) -> HubInfo | None:
        return (await self._hubs()).get(self._node_id)

    async def regions(self, network: tuple[str, ...]) -> list[str]:
        """The regions to choose from: the network's founding list (the UK's nations and
        English regions unless the network chose others), and any a hub already uses."""
        used = {h.region for h in (await self._hubs()).values() if h.region}
        return sorted(set(network or DEFAULT_REGIONS) | used, key=str.casefold)

    async def form(self) -> dict[str, str]:
        """The form as the latest profile fills it in."""
        own = await self.own()
        config = self._config()
        if own is None:
            return {f: "" for f in FIELDS} | {
                "name": config.name,
                "url": config.url,
                "timezone": geo.DEFAULT_TIMEZONE,
            }
        town = ""
        if own.lat is not None and own.lon is not None:
            place = geo.nearest_place(own.lat, own.lon)
            town = place.name if place else ""
        return {
            "name": own.name,
            "url": own.url,
            "description": own.description or "",
            "area": own.area or "",
            "region": own.region or "",
            "town": town,
            "meeting_place": own.meeting_place or "",
            "contact": own.contact or "",
            "timezone": own.timezone or geo.DEFAULT_TIMEZONE,
        }

    def _check(self, draft: Draft, regions: list[str]) -> tuple[HubProfile, dict[str, Wording]]:
        faults: dict[str, Wording] = {}
        for field, limit in _LIMITS.items():
            value = draft.get(field)
            if value is not None and len(value) > limit:
                faults[field] = Wording(
                    "Keep it to %(most)s characters (it has %(has)s).",
                    {"most": limit, "has": len(value)},
                )
        name = draft.get("name")
        if name is None:
            faults["name"] = Wording("Give the hub's name.")
        url = draft.get("url") or ""
        problem = node_url_problem(url)
        if problem is not None and "url" not in faults:
            faults["url"] = Wording(
                "The address %(problem)s: give it as https://hub.example.org.",
                {"problem": problem},
            )
        region = draft.get("region")
        if region is not None and region not in regions:
            faults["region"] = Wording("Choose a region from the list.")
        lat = lon = None
        town = draft.get("town")
        if town is not None:
            place = geo.find_place(town)
            if place is None:
                close = geo.close_places(town)
                faults["town"] = (
                    Wording(
                        "We do not know a town called “%(town)s”. Did you mean: %(close)s?",
                        {"town": town, "close": ", ".join(close)},
                    )
                    if close
                    else Wording(
                        "We do not know a town called “%(town)s”. Try the nearest town.",
                        {"town": town},
                    )
                )
            else:
                lat, lon = place.lat, place.lon
        timezone: str = draft.get("timezone") or geo.DEFAULT_TIMEZONE
        if not geo.known_timezone(timezone):
            faults["timezone"] = Wording(
                "That is not a time zone this node knows: pick one from the list,"
                " or type its full name, such as Europe/London."
            )
        profile = HubProfile(
            name=name or "-",
            url=url,
            region=region,
            area=draft.get("area"),
            description=draft.get("description"),
            lat=lat,
            lon=lon,
            meeting_place=draft.get("meeting_place"),
            contact=draft.get("contact"),
            # Left out when it is the default, so a profile that needs none of the later
            # fields is one every older node takes too (PROTOCOL.md §5.1).
            timezone=None if timezone == geo.DEFAULT_TIMEZONE else timezone,
        )
        return profile, faults

    async def save(self, draft: Draft, network_regions: tuple[str, ...], *, by: Acting) -> bool:
        """Publish the profile the draft describes; whether the name or address changed
        (the node's config is updated then too). Raises ProfileInvalid with every fault."""
        require(by, Permission.EDIT_HUB_PROFILE)
        profile, faults = self._check(draft, await self.regions(network_regions))
        if not faults:
            try:
                check_body(profile)
            except SchemaViolation as exc:
                faults["description"] = Wording(
                    "That cannot be published: %(why)s", {"why": exc.message}
                )
        if faults:
            raise ProfileInvalid(faults)
        await self._messages.append("hub.profile", profile)
        self.zone = zone(profile.timezone)
        config = self._config()
        if (profile.name, profile.url) == (config.name, config.url):
            return False
        set_in_file(config.config_path, {"name": profile.name, "url": profile.url})
        self._reconfigure(dataclasses.replace(config, name=profile.name, url=profile.url))
        return True


def draft_from(form: Mapping[str, object]) -> Draft:
    """The form's fields, trimmed; runs of spaces folded except in the description."""
    values = {}
    for name in FIELDS:
        value = form.get(name)
        if isinstance(value, str):
            values[name] = value.strip() if name == "description" else " ".join(value.split())
    return Draft(values)
