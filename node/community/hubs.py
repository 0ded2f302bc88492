"""Hubs by name: the `name` of each origin's latest hub.profile (the `hubs` table)."""

from __future__ import annotations

from crypto.nodeid import NodeId
from node.store.database import Database
from node.store.hubs import hub_profiles
from node.wording import Term


async def hub_names(db: Database) -> dict[NodeId, str]:
    return {origin: hub.name for origin, hub in (await hub_profiles(db)).items()}


def hub_name(names: dict[NodeId, str] | dict[str, str], origin: str) -> str:
    """The hub's name; one not yet heard of is "a hub", never a piece of its node id
    (members never see ids outside "Technical details")."""
    return names.get(origin) or Term("a hub")  # type: ignore[call-overload]
