"""Bounds on what one origin (or all of them) can make a node keep: held rows and fork evidence."""

from __future__ import annotations

import pytest

from crypto.nodeid import node_id_from_public_key
from node.store import fork_books as store_module
from node.store.fork_books import MAX_FORK_EVIDENCE_PER_ORIGIN
from node.store.messages import MessageStore
from node.store.outcomes import Status
from tests.helpers import chain, key_from, wires

A = key_from(1)
A_ID = node_id_from_public_key(A.public_key)


async def test_two_hundred_variants_at_one_seq_keep_at_most_the_fork_cap(
    store: MessageStore,
) -> None:
    messages = chain(A, 3)
    await store.ingest(wires(messages))
    variants = [
        chain(A, 1, start=2, prev=messages[0].id, text=f"variant {i}")[0] for i in range(200)
    ]
    # Half in one push, half one by one: the cap holds within a batch and across them.
    report = await store.ingest(wires(variants[:100]))
    outcomes = list(report.outcomes)
    for variant in variants[100:]:
        outcomes += (await store.ingest([variant.wire])).outcomes
    # Every variant is still answered as a fork: the sender learns what it is.
    assert {o.status for o in outcomes} == {Status.FORK}
    evidence = await store.fork_evidence(A_ID)
    assert len(evidence) == MAX_FORK_EVIDENCE_PER_ORIGIN == 8
    assert [m.id for m, _ in evidence] == [v.id for v in variants[:8]]
    assert A_ID in await store.forked_origins()


async def test_fork_evidence_of_all_origins_together_is_capped(
    store: MessageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "MAX_FORK_EVIDENCE_TOTAL", 5)
    for n in range(10):
        key = key_from(100 + n)
        first = chain(key, 2)
        rival = chain(key, 1, start=2, prev=first[0].id, text="rival")[0]
        await store.ingest(wires(first))
        [outcome] = (await store.ingest([rival.wire])).outcomes
        assert outcome.status is Status.FORK
    assert len(await store.forked_origins()) == 10  # each is still known to have forked
    total = sum([len(await store.fork_evidence(o)) for o in await store.forked_origins()])
    assert total == 5


async def test_held_rows_of_one_origin_are_capped_even_below_its_head(
    store: MessageStore,
) -> None:
    # The store fixture holds at most 50 ahead. Rows held under another history stay
    # when the head moves past them; without a count per origin they would pile up.
    other = chain(A, 90, text="another history")
    report = await store.ingest(wires(other[2:50]))  # seqs 3..50, all held
    assert report.count(Status.HELD) == 48
    await store.ingest(wires(chain(A, 40)))  # the head moves to 40 past them
    report = await store.ingest(wires(other[50:90]))  # seqs 51..90: within 50 of 40
    assert report.count(Status.REFUSED) > 0
    refused = [o for o in report.outcomes if o.status is Status.REFUSED]
    assert all(o.reason and o.reason.startswith("rate-limited: ") for o in refused)
    assert await store.held_count() <= 50
