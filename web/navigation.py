"""The main navigation: a few named groups of links, the current one marked.

base.html shows it; on a phone it folds into one "Menu" (a <details>, so it opens
without script). A group a member can use none of is left out (Organise, for most).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from markupsafe import Markup, escape

from node.accounts.members import Member
from node.accounts.permissions import Permission
from web import i18n
from web.i18n import N_, _


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    href: str
    permission: Permission | None = None  # None: every member
    # Other paths that belong to this page's section (an event belongs to the calendar).
    also: tuple[str, ...] = ()


GROUPS: tuple[tuple[str, tuple[Link, ...]], ...] = (
    (
        N_("Hub"),
        (
            Link(N_("Home"), "/dashboard"),
            Link(N_("Calendar"), "/calendar", also=("/events",)),
            Link(N_("Discussions"), "/discussions", also=("/discuss", "/posts", "/comments")),
            Link(N_("Working groups"), "/groups", also=("/tasks",)),
            Link(N_("Mutual aid"), "/mutual-aid"),
            Link(N_("Campaigns"), "/campaigns"),
            Link(N_("Library"), "/library"),
            Link(N_("Services"), "/directory"),
            Link(N_("Speakers"), "/speakers"),
            Link(N_("Search"), "/search"),
        ),
    ),
    (
        N_("Network"),
        (
            Link(N_("Overview"), "/network"),
            Link(N_("Hubs"), "/network/hubs"),
            Link(N_("Motions"), "/network/motions"),
            Link(N_("Endorsements"), "/network/charter/endorsements"),
        ),
    ),
    (
        N_("Money and decisions"),
        (
            Link(N_("Funds"), "/funds"),
            Link(N_("Budget"), "/budget"),
            Link(N_("Polls"), "/polls"),
            Link(N_("Elections"), "/elections"),
            Link(N_("Roles"), "/roles"),
            Link(N_("Charter"), "/charter"),
        ),
    ),
    (
        N_("Organise"),
        (
            Link(N_("Members"), "/organise/members", Permission.MANAGE_MEMBERS),
            Link(N_("Invitations"), "/organise/invitations", Permission.MANAGE_MEMBERS),
            Link(N_("Hub profile"), "/organise/profile", Permission.EDIT_HUB_PROFILE),
            Link(N_("Hub news"), "/organise/news", Permission.PUBLISH_NEWS),
            Link(N_("Email"), "/organise/email", Permission.SET_UP_HUB),
            Link(N_("Peers"), "/organise/peers", Permission.MANAGE_PEERS),
            Link(N_("Fediverse"), "/organise/fediverse", Permission.MANAGE_PEERS),
            Link(N_("USB stick"), "/organise/exchange", Permission.MANAGE_PEERS),
            Link(N_("Health"), "/organise/health", Permission.VIEW_HEALTH),
            Link(N_("Moderation"), "/moderation", Permission.MODERATE),
        ),
    ),
)

VISITOR_LINKS = (
    Link(N_("Calendar"), "/calendar", also=("/events",)),
    Link(N_("Campaigns"), "/campaigns"),
    Link(N_("Library"), "/library"),
    Link(N_("Services"), "/directory"),
    Link(N_("Network"), "/network"),
    Link(N_("Search"), "/search"),
    Link(N_("Charter"), "/charter"),
    Link(N_("Join"), "/join"),
    Link(N_("Log in"), "/login"),
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


@functools.lru_cache(maxsize=32)
def _shown(perms: frozenset[Permission] | None) -> tuple[tuple[str, tuple[Link, ...]], ...]:
    """The groups a visitor (None) or a member with `perms` sees; a visitor's is one
    group without a name, and a group with nothing the member may use is left out."""
    if perms is None:
        return (("", VISITOR_LINKS),)
    shown = (
        (name, tuple(x for x in links if x.permission is None or x.permission in perms))
        for name, links in GROUPS
    )
    return tuple((name, links) for name, links in shown if links)


@functools.lru_cache(maxsize=512)
def _html(perms: frozenset[Permission] | None, current: str | None, language: str) -> Markup:
    # `language` is part of the cache's key: the labels are in the page's language.
    parts = []
    for name, links in _shown(perms):
        here = any(link.href == current for link in links)
        parts.append(f'<div class="nav-group{" current" if here else ""}">')
        if name:
            parts.append(f'<p class="nav-heading" aria-hidden="true">{escape(_(name))}</p>')
            parts.append(f'<ul aria-label="{escape(_(name))}">')
        else:
            parts.append("<ul>")
        for link in links:
            mark = ' aria-current="page"' if link.href == current else ""
            parts.append(f'<li><a href="{link.href}"{mark}>{escape(_(link.label))}</a></li>')
        parts.append("</ul></div>")
    return Markup("".join(parts))


def menu_html(path: str, member: Member | None) -> Markup:
    """The groups as HTML, the current section's link marked: base.html shows it twice
    (folded for phones, open for wider screens), and every page has it, so it is made
    once for each set of permissions and section, not rendered by a template each time."""
    return _menu(path, None if member is None else member.permissions, i18n.language())


@functools.lru_cache(maxsize=1024)
def _menu(path: str, perms: frozenset[Permission] | None, language: str) -> Markup:
    # `language` is part of the cache's key: the labels are in the page's language.
    current = _current(path, [link for _, links in _shown(perms) for link in links])
    return _html(perms, current, language)
