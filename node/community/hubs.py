"""Hubs by name: the `name` of each origin's latest hub.profile."""

from __future__ import annotations

from node.store.messages import MessageStore
from protocol.kinds.hub import HubProfile


async def hub_names(messages: MessageStore) -> dict[str, str]:
    return {
        origin: m.body.name
        for origin, m in (await messages.latest_of_kind("hub.profile")).items()
        if isinstance(m.body, HubProfile)
    }


def hub_name(names: dict[str, str], origin: str) -> str:
    return names.get(origin, f"hub {origin[:8]}…")
