"""GET /federation/v1/heads pages (PROTOCOL.md §9.3): the wire format and the store's query."""

from __future__ import annotations

import pytest

from crypto.nodeid import NodeId, node_id_from_public_key
from node.store.database import Database
from node.store.heads import HeadsStore
from node.store.messages import MessageStore
from protocol import federation as wire
from protocol.codec import encode
from protocol.envelope import MessageId
from protocol.errors import MalformedPayload
from tests.helpers import chain, key_from, wires

IDS = sorted(node_id_from_public_key(key_from(n).public_key) for n in range(1, 6))
MID = MessageId(b"\x07" * 32)


def test_a_heads_page_round_trips_in_order_of_origin() -> None:
    rows = [(IDS[2], 3, MID), (IDS[0], 1, MID), (IDS[1], 2, MID)]
    page = wire.decode_heads_page(wire.encode_heads_page(rows, more=True))
    assert list(page.heads) == IDS[:3] and page.more and page.last == IDS[2]
    assert page.heads[IDS[2]] == (3, MID)


def test_a_full_page_of_heads_is_far_below_the_body_limit() -> None:
    rows = [(NodeId("a" * 55 + c), 2**53, MID) for c in "abcdefghijklmnopqrstuvwxyz234567"]
    one = len(wire.encode_heads_page(rows[:1], more=True))
    assert one * wire.MAX_HEADS_PAGE < wire.MAX_BODY_BYTES / 20


@pytest.mark.parametrize(
    ("rows", "after"),
    [
        ([[IDS[1], 1, bytes(MID)], [IDS[0], 1, bytes(MID)]], None),  # not ascending
        ([[IDS[0], 1, bytes(MID)], [IDS[0], 2, bytes(MID)]], None),  # one origin twice
        ([[IDS[1], 1, bytes(MID)]], IDS[1]),  # not after `after`: no progress
        ([[IDS[0], 1, bytes(MID)]], IDS[3]),  # before `after`
    ],
)
def test_a_page_that_would_not_move_the_walk_on_is_refused(
    rows: list[list[object]], after: str | None
) -> None:
    with pytest.raises(MalformedPayload):
        wire.decode_heads_page(encode({"heads": rows, "more": True}), after)


def test_a_page_over_the_page_size_or_without_more_is_refused() -> None:
    with pytest.raises(MalformedPayload):
        wire.decode_heads_page(encode({"heads": []}))
    too_many = [[f"{n:056d}", 1, bytes(MID)] for n in range(wire.MAX_HEADS_PAGE + 1)]
    with pytest.raises(MalformedPayload):
        wire.decode_heads_page(encode({"heads": too_many, "more": False}))


async def test_the_store_pages_offered_heads_without_forked_or_blocked_origins(
    store: MessageStore, db: Database
) -> None:
    keys = [key_from(n) for n in range(1, 6)]
    for key in keys:
        await store.ingest(wires(chain(key, 2)))
    ids = sorted(node_id_from_public_key(k.public_key) for k in keys)
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO blocked_origins (origin, blocked_at) VALUES (?, 0)", (ids[1],)
        )
        await conn.execute("UPDATE origins SET forked_at = 1 WHERE origin = ?", (ids[3],))
    heads = HeadsStore(db)
    first, more = await heads.offered_page("", 2)
    assert [o for o, _ in first] == [ids[0], ids[2]] and more
    second, more = await heads.offered_page(first[-1][0], 2)
    assert [o for o, _ in second] == [ids[4]] and not more
    assert set(await heads.heads_of([ids[0], ids[4], "x" * 56])) == {ids[0], ids[4]}
