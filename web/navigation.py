"""The main navigation: a few named groups of links, the current one marked.

base.html shows it; on a phone it folds into one "Menu" (a <details>, so it opens
without script). A group a member can use none of is left out (Organise, for most).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.accounts.members import Member
from node.accounts.permissions import Permission


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    href: str
    permission: Permission | None = None  # None: every member
    # Other paths that belong to this page's section (an event belongs to the calendar).
    also: tuple[str, ...] = ()


GROUPS: tuple[tuple[str, tuple[Link, ...]], ...] = (
    (
        "Hub",
        (
            Link("Home", "/dashboard"),
            Link("Calendar", "/calendar", also=("/events",)),
            Link("Discussions", "/discussions", also=("/discuss", "/posts", "/comments")),
            Link("Working groups", "/groups", also=("/tasks",)),
            Link("Mutual aid", "/mutual-aid"),
            Link("Campaigns", "/campaigns"),
            Link("Library", "/library"),
            Link("Services", "/directory"),
            Link("Speakers", "/speakers"),
            Link("Search", "/search"),
        ),
    ),
    (
        "Network",
        (
            Link("Overview", "/network"),
            Link("Hubs", "/network/hubs"),
            Link("Motions", "/network/motions"),
        ),
    ),
    (
        "Money and decisions",
        (
            Link("Funds", "/funds"),
            Link("Budget", "/budget"),
            Link("Polls", "/polls"),
            Link("Elections", "/elections"),
            Link("Roles", "/roles"),
            Link("Charter", "/charter"),
        ),
    ),
    (
        "Organise",
        (
            Link("Members", "/organise/members", Permission.MANAGE_MEMBERS),
            Link("Peers", "/organise/peers", Permission.MANAGE_PEERS),
            Link("Health", "/organise/health", Permission.VIEW_HEALTH),
            Link("Moderation", "/moderation", Permission.MODERATE),
        ),
    ),
)

VISITOR_LINKS = (
    Link("Calendar", "/calendar", also=("/events",)),
    Link("Campaigns", "/campaigns"),
    Link("Library", "/library"),
    Link("Services", "/directory"),
    Link("Network", "/network"),
    Link("Search", "/search"),
    Link("Charter", "/charter"),
    Link("Join", "/join"),
    Link("Log in", "/login"),
)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def _current(path: str, links: list[Link]) -> str | None:
    """The href of the link whose section holds `path`: the longest that matches."""
    best: tuple[int, str] | None = None
    for link in links:
        for prefix in (link.href, *link.also):
            if _under(path, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), link.href)
    return best[1] if best else None


def _item(link: Link, current: str | None) -> dict[str, object]:
    return {"label": link.label, "href": link.href, "current": link.href == current}


def menu(path: str, member: Member | None) -> list[dict[str, object]]:
    """The groups this visitor sees, each {"name", "links", "current"}; a visitor's is
    one group without a name."""
    if member is None:
        current = _current(path, list(VISITOR_LINKS))
        links = [_item(link, current) for link in VISITOR_LINKS]
        return [{"name": "", "links": links, "current": current is not None}]
    shown = [
        (name, [x for x in links if x.permission is None or member.can(x.permission)])
        for name, links in GROUPS
    ]
    shown = [(name, links) for name, links in shown if links]
    current = _current(path, [link for _, links in shown for link in links])
    return [
        {
            "name": name,
            "links": [_item(link, current) for link in links],
            "current": any(link.href == current for link in links),
        }
        for name, links in shown
    ]
