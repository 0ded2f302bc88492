"""The one ballot box: every secret vote the hub takes (elections and recalls, polls,
budget approvals) is cast and counted here.

Each contest ("election:<id>", "poll:<id>", "budget:<round id>") has two rows with
nothing in common but the contest: who voted (`ballot_voters`) and what was chosen
(`ballot_choices`), each one fixed-width list kept in sorted order. A ballot is cast
in one write transaction that refuses a second vote and rewrites both tables whole,
with `secure_delete` on, and the write-ahead log is emptied after it. So what is
stored depends only on who has voted and on the choices made, never on who made
which, nor on the order they came in (docs/ARCHITECTURE.md, "Secret ballots"):

- no row per ballot, so no rowid, key or insertion order;
- every voter and every choice of a contest takes the same room, so the size of
  each write depends only on how many votes were cast, never on what was chosen;
- both tables are emptied and written again in key order on each ballot: SQLite
  then lays their pages out afresh, the same way whatever came before, and
  secure_delete zeroes what was there;
- what was chosen is sealed at rest (node/store/sealing.py) with `seal_stable`, whose
  nonce is made from the sealed text, so the same choices seal to the same bytes;
- the checkpoint copies the new pages into the database file and truncates the
  log, so no earlier copy of a page waits there or in a backup, which copies the
  database through SQLite's backup API (node/backup.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import aiosqlite

from node.errors import NodeError
from node.store.database import Database

# A choice as the box keeps it: a number, an ASCII string, or a list of them (a ranking).
Choice: TypeAlias = int | str | Sequence["Choice"]
# A member id, zero-padded: every voter takes the same room in the list of voters.
VOTER_WIDTH = 19


def contest(kind: str, key: object) -> str:
    """The box's name for one vote: `contest("poll", 3)` is "poll:3"."""
    return f"{kind}:{key}"


def encode(choice: Choice) -> str:
    """A choice in canonical form: compact JSON, ASCII only (one character, one byte)."""
    return json.dumps(choice, separators=(",", ":"), ensure_ascii=True)


def width_for(possible: Iterable[Choice]) -> int:
    """The room every choice of a contest takes: that of the longest it could hold."""
    return max((len(encode(c)) for c in possible), default=1)


@dataclass(frozen=True, slots=True)
class Ballot:
    """What one member's vote adds to the box."""

    choices: tuple[Choice, ...]  # several for approvals: one for each proposal
    # The same for every ballot in the contest (see width_for), so that no choice
    # takes more room than another.
    width: int


def _pack(entries: Iterable[str], width: int) -> str:
    return "".join(sorted(entry.ljust(width) for entry in entries))


def _unpack(packed: str, width: int) -> list[str]:
    return [packed[i : i + width].rstrip() for i in range(0, len(packed), width)]


def _voter(member_id: int) -> str:
    return f"{member_id:0{VOTER_WIDTH}d}"


async def choices_txn(conn: aiosqlite.Connection, name: str) -> list[Any]:
    """Every choice in a contest's box, in canonical order (empty if nobody chose)."""
    rows = await conn.execute_fetchall(
        "SELECT width, unseal('ballot_choices.choices', choices) FROM ballot_choices"
        " WHERE contest = ?",
        (name,),
    )
    return [json.loads(entry) for width, packed in rows for entry in _unpack(packed, width)]


class BallotBox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def cast(
        self,
        name: str,
        member_id: int,
        ballot: Callable[[aiosqlite.Connection], Awaitable[Ballot]],
        already_voted: NodeError,
    ) -> None:
        """Record that `member_id` voted in contest `name` and add their choices to its
        box, in one transaction; raise `already_voted` if they have voted before.

        `ballot` runs inside that transaction, after the check for a second vote: it
        checks what must still hold (the window open, the member eligible), raising
        the caller's error if not, and returns what to add.
        """
        async with self._db.write() as conn:
            # Zero every byte the rewrite frees, in the pages and the log.
            await conn.execute("PRAGMA secure_delete = ON")
            try:
                voters = {
                    c: _unpack(m, VOTER_WIDTH)
                    for c, m in await conn.execute_fetchall(
                        "SELECT contest, members FROM ballot_voters"
                    )
                }
                if _voter(member_id) in voters.get(name, []):
                    raise already_voted
                cast = await ballot(conn)
                boxes = {
                    c: (w, _unpack(packed, w))
                    for c, w, packed in await conn.execute_fetchall(
                        "SELECT contest, width, unseal('ballot_choices.choices', choices)"
                        " FROM ballot_choices"
                    )
                }
                # A box kept before widths were fixed (migration 15) widens once, at
                # its first ballot since: a step that says nothing of any choice.
                width, held = boxes.get(name, (cast.width, []))
                width = max(width, cast.width)
                added = [encode(c) for c in cast.choices]
                if any(len(entry) > width for entry in added):
                    raise ValueError(f"a choice in {name} is wider than the box's {width}")
                boxes[name] = (width, held + added)
                voters[name] = [*voters.get(name, []), _voter(member_id)]
                await _rewrite_txn(conn, voters, boxes)
            finally:
                await conn.execute("PRAGMA secure_delete = OFF")
        await self._db.checkpoint_truncate()

    async def voters(self, name: str) -> frozenset[int]:
        row = await self._db.fetchone(
            "SELECT members FROM ballot_voters WHERE contest = ?", (name,)
        )
        return frozenset(int(v) for v in _unpack(row[0], VOTER_WIDTH)) if row else frozenset()

    async def has_voted(self, name: str, member_id: int) -> bool:
        return member_id in await self.voters(name)

    async def turnout(self, name: str) -> int:
        row = await self._db.fetchone(
            "SELECT length(members) FROM ballot_voters WHERE contest = ?", (name,)
        )
        return int(row[0]) // VOTER_WIDTH if row else 0

    async def voted_in(self, member_id: int, kind: str) -> list[str]:
        """The keys of the contests of one kind that a member voted in, for their export."""
        prefix = contest(kind, "")
        rows = await self._db.fetchall(
            "SELECT contest, members FROM ballot_voters WHERE substr(contest, 1, ?) = ?"
            " ORDER BY contest",
            (len(prefix), prefix),
        )
        return [c[len(prefix) :] for c, m in rows if _voter(member_id) in _unpack(m, VOTER_WIDTH)]

    async def choices(self, name: str) -> list[Any]:
        return await choices_txn(self._db.reader, name)


async def _rewrite_txn(
    conn: aiosqlite.Connection,
    voters: dict[str, list[str]],
    boxes: dict[str, tuple[int, list[str]]],
) -> None:
    # DELETE with no WHERE empties a table at once: its root page is written afresh and
    # its other pages freed (zeroed, by secure_delete). Rows then go back in key order,
    # so the pages hold them in the same places whatever the history.
    await conn.execute("DELETE FROM ballot_voters")
    await conn.execute("DELETE FROM ballot_choices")
    await conn.executemany(
        "INSERT INTO ballot_voters (contest, members) VALUES (?, ?)",
        [(c, _pack(m, VOTER_WIDTH)) for c, m in sorted(voters.items())],
    )
    await conn.executemany(
        "INSERT INTO ballot_choices (contest, width, choices)"
        " VALUES (?, ?, seal_stable('ballot_choices.choices', ?))",
        [(c, w, _pack(entries, w)) for c, (w, entries) in sorted(boxes.items())],
    )
