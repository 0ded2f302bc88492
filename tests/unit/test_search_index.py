"""The search index's batch writes (node/store/search.py): what a search then finds."""

from __future__ import annotations

from node.store.database import Database
from node.store.search import SearchStore, drop_many_txn, put_many_txn


async def _titles(db: Database, words: str) -> list[str]:
    found = await SearchStore(db).matches(words, ["event", "campaign"], 10, members=True)
    return sorted(title for _, _, title, _, _ in found)


async def test_a_batch_indexes_each_thing_once_with_its_last_entry(db: Database) -> None:
    async with db.write() as conn:
        await put_many_txn(
            conn,
            [
                ("event", "a", "Picnic in the park", "bring food", "public", None),
                ("campaign", "a", "Save the park", "sign up", "public", "/campaigns/a"),
                ("event", "a", "Picnic moved indoors", "bring food", "public", None),
            ],
        )
    # The same ref under another kind is another thing; the later entry for event "a" won.
    assert await _titles(db, "picnic") == ["Picnic moved indoors"]
    assert await _titles(db, "park") == ["Save the park"]
    async with db.write() as conn:
        await put_many_txn(conn, [("event", "a", "Picnic cancelled?", "no", "members", None)])
        await put_many_txn(conn, [("event", "b", "Second picnic", "x", "public", None)])
    assert await _titles(db, "picnic") == ["Picnic cancelled?", "Second picnic"]
    rows = await db.fetchall("SELECT count(*) FROM search_refs")
    assert rows[0][0] == 3
    async with db.write() as conn:
        await drop_many_txn(conn, [("event", "a"), ("event", "b"), ("event", "never")])
    assert await _titles(db, "picnic") == []
    assert await _titles(db, "park") == ["Save the park"]
    counts = await db.fetchone(
        "SELECT (SELECT count(*) FROM search), (SELECT count(*) FROM search_refs)"
    )
    assert tuple(counts) == (1, 1)
