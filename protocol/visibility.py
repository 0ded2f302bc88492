"""Who may see an event, by its visibility (PROTOCOL.md §5, `event`): one pure rule.

Three kinds of viewer ask: a visitor (anyone, not logged in), a member of this hub,
and another hub of the network. `public` is for all three; `network` for the
network's hubs and their members, never on public pages or feeds; `members` for
this hub's members only, so it never leaves the hub (it is not a wire visibility:
protocol.kinds.event.Visibility knows only the other two). The event pages, the
calendar and its feeds, the public page, search, registrations and the organiser's
choice of what to publish all ask here.
"""

from __future__ import annotations

from typing import Literal

Viewer = Literal["visitor", "member", "hub"]
EventVisibility = Literal["public", "network", "members"]

VISIBILITIES: tuple[EventVisibility, ...] = ("public", "network", "members")

_SEEN_BY: dict[Viewer, tuple[EventVisibility, ...]] = {
    "visitor": ("public",),
    "member": ("public", "network", "members"),
    "hub": ("public", "network"),
}


def visible_to(viewer: Viewer) -> tuple[EventVisibility, ...]:
    """The visibilities of the events `viewer` may see (for a query's filter)."""
    return _SEEN_BY[viewer]


def may_see(viewer: Viewer, visibility: str) -> bool:
    """Whether `viewer` may see an event of `visibility`; an unknown one is seen by nobody."""
    return visibility in _SEEN_BY[viewer]


def federates(visibility: str) -> bool:
    """Whether an event of `visibility` is published to the network (as a signed message)."""
    return may_see("hub", visibility)


def search_audience(visibility: str) -> Literal["public", "members"]:
    """Who may find the event in this hub's search: anyone, or logged-in members only."""
    return "public" if may_see("visitor", visibility) else "members"
