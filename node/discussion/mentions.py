"""@mentions in hub posts: which members a text names, and the name to type for each.

A member is mentioned by their handle: the network name they chose, if any, or else
their name with its spaces (and anything else that cannot sit in a word) made "_":
"Sam Jones" is @Sam_Jones. Matching ignores case. Handles are resolved among this
hub's active members only, so a name in a post from elsewhere names nobody here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_HANDLE = 40
# @name: a word of letters, digits, _ . or - (any script), not inside an address.
MENTION = re.compile(r"(?<![\w@])@([\w.\-]{2,40})")


def handle(name: str) -> str:
    """The handle a member's name gives: "Sam Jones" -> "Sam_Jones"."""
    return re.sub(r"[^\w.\-]+", "_", name).strip("_.-")[:MAX_HANDLE]


def named(text: str) -> set[str]:
    """The handles `text` mentions, in lower case (a full stop after one is not part of it)."""
    return {m.rstrip(".-").lower() for m in MENTION.findall(text)}


def handles(
    members: Iterable[tuple[int, str | None, str | None]],
) -> dict[str, tuple[int, str]]:
    """lower-case handle -> (member id, handle as shown), from (id, name, network name)
    rows; where two members' names give one handle, the name is nobody's (a network
    name, which is unique on the hub, still works)."""
    found: dict[str, tuple[int, str]] = {}
    clashes: set[str] = set()
    rows = list(members)
    for member_id, name, _ in rows:
        shown = handle(name or "")
        key = shown.lower()
        if len(shown) < 2:
            continue
        if key in found and found[key][0] != member_id:
            clashes.add(key)
        found[key] = (member_id, shown)
    for key in clashes:
        del found[key]
    for member_id, _, network_name in rows:
        if network_name:
            found[network_name.lower()] = (member_id, network_name)
    return found
