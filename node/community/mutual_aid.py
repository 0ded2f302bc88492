"""The mutual aid board: members' requests and offers of help.

Members only, and it never leaves the hub: there is no message kind for it, so
nothing here can reach another node. A post is closed by its author, as
fulfilled or simply closed.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any, Literal

from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.clock import Clock
from node.errors import NodeError, NotAllowed
from node.store.mutual_aid import MutualAidStore, Post

PostType = Literal["request", "offer"]
MAX_TITLE = 200
MAX_TEXT = 4000


class MutualAidError(NodeError):
    """A post this hub refuses, with the reason to show."""


class MutualAidNotAllowed(MutualAidError, NotAllowed):
    """A member who holds no permission (suspended) (permissions.require)."""


class MutualAid:
    personal_data_name = "mutual_aid_posts"

    def __init__(self, store: MutualAidStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def post(self, by: Member, type: str, title: str, text: str) -> int:
        require(by, Permission.MEMBER, MutualAidNotAllowed)
        title, text = title.strip(), text.strip()
        if type not in ("request", "offer"):
            raise MutualAidError("Say whether you are asking for help or offering it.")
        if not title or not text:
            raise MutualAidError("Give your post a title and say what is needed or offered.")
        if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
            raise MutualAidError(
                "Keep the title under %(title)s characters and the text under %(text)s.",
                title=MAX_TITLE,
                text=MAX_TEXT,
            )
        return await self._store.add(by.id, type, title, text, self._clock())

    async def close(self, by: Member, post_id: int, outcome: str) -> None:
        """A member closes a post of their own."""
        require(by, Permission.MEMBER, MutualAidNotAllowed)
        if outcome not in ("fulfilled", "closed"):
            raise MutualAidError("A post is closed as fulfilled or just closed.")
        if not await self._store.close(by.id, post_id, outcome, self._clock()):
            raise MutualAidError("You can close only your own open posts.")

    async def board(self, include_closed: bool = False, limit: int = 200) -> list[Post]:
        """Open posts, newest first; only by members still active (a member who left
        or was suspended is not shown asking or offering)."""
        return await self._store.board(include_closed, limit)

    # -- personal data (node/accounts/personal.py) ------------------------------------

    async def export_member(self, member_id: int) -> list[dict[str, Any]]:
        keys = ("type", "title", "text", "created_at_ms", "closed_at_ms", "outcome")
        return [
            dict(zip(keys, astuple(r), strict=True)) for r in await self._store.records(member_id)
        ]

    async def erase_member(self, member_id: int) -> None:
        """Their posts go, open or closed: what they asked for or offered is about them."""
        await self._store.forget_member(member_id)
