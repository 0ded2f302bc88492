"""One search box over events, campaigns, resources and directory entries (SQLite FTS5).

Each searchable thing is a row (kind, ref, title, body, visibility). `ref` is the
thing's own id: a message id in hex for federated things, `local:<n>` for local
records. Rows are written by the projections (node/projections/) from stored
messages and by the local services from their records; the index holds nothing
that is not also somewhere else, so it can be dropped and rebuilt.

What a visitor types is never FTS5 syntax: every word is quoted, so `"`, `*`,
`AND`, `NEAR(` and the like are searched for as words and cannot make a query
fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from node.store.search import SearchStore, Visibility

KINDS = ("event", "campaign", "resource", "directory", "discussion")
MAX_QUERY_WORDS = 12

# Words: runs of letters and digits (unicode61's idea of a token, near enough).
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    ref: str
    title: str
    snippet: str  # plain text with [ and ] around matches; escaped when shown
    link: str | None = None  # the page, for kinds whose ref does not name it


def match_expression(text: str) -> str | None:
    """The FTS5 query for what a visitor typed: every word quoted, all required, the
    last a prefix (so a search updates as they type). None if there are no words."""
    words = _WORD.findall(text)[:MAX_QUERY_WORDS]
    if not words:
        return None
    quoted = [f'"{w.replace(chr(34), chr(34) * 2)}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class Search:
    def __init__(self, store: SearchStore) -> None:
        self._store = store

    async def put(
        self,
        kind: str,
        ref: str,
        title: str,
        text: str,
        visibility: Visibility,
        link: str | None = None,
    ) -> None:
        await self._store.put(kind, ref, title, text, visibility, link)

    async def drop(self, kind: str, ref: str) -> None:
        await self._store.drop(kind, ref)

    async def query(
        self,
        text: str,
        kinds: tuple[str, ...] = KINDS,
        limit: int = 20,
        members: bool = False,
    ) -> list[Hit]:
        """The best matches, best first; members-only things only when `members`."""
        expression = match_expression(text)
        wanted = [k for k in kinds if k in KINDS]
        if expression is None or not wanted:
            return []
        rows = await self._store.matches(expression, wanted, limit, members)
        return [Hit(k, r, t, s, link) for k, r, t, s, link in rows]
