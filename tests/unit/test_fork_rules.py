"""Pure fork rules (protocol/forks.py): proof pairs, resolutions, standing proofs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.nodeid import node_id_from_public_key
from protocol.envelope import Message, MessageId, create_message
from protocol.forks import NotAFork, Resolution, check_fork_pair, reporters_of
from protocol.kinds.forks import ForkProof
from protocol.kinds.hub import Announcement
from tests.helpers import T0, key_from

KEY = key_from(1)
REPORTER = key_from(2)
HUB = node_id_from_public_key(KEY.public_key)


def said(text: str, seq: int = 2, key: int = 1) -> Message:
    prev = MessageId(b"\0" * 32) if seq > 1 else None
    return create_message(key_from(key), "announcement", Announcement(text), seq, prev, T0)


def proof(seq: int, reporter: int = 2, hub: str = HUB) -> Message:
    body = ForkProof(hub, seq, b"\1" * 32, b"\2" * 32)
    return create_message(key_from(reporter), "fork.proof", body, 1, None, T0)


def test_two_messages_at_one_seq_of_one_origin_are_a_fork() -> None:
    check_fork_pair(said("a"), said("b"))


@pytest.mark.parametrize(
    ("first", "second", "why"),
    [
        (said("a"), said("a"), "same message"),
        (said("a", seq=2), said("b", seq=3), "seqs"),
        (said("a", key=1), said("b", key=3), "origins"),
    ],
)
def test_anything_else_is_not_a_fork(first: Message, second: Message, why: str) -> None:
    with pytest.raises(NotAFork, match=why):
        check_fork_pair(first, second)


@given(st.integers(1, 50), st.integers(0, 50), st.integers(1, 120))
def test_a_resolution_covers_exactly_the_seqs_up_to_its_own(at: int, span: int, seq: int) -> None:
    resolution = Resolution(at, MessageId(b"\1" * 32), at + span + 1)
    assert resolution.covers(seq) == (at <= seq <= at + span + 1)


@given(st.integers(1, 20), st.integers(1, 20), st.booleans())
def test_a_resolution_abandons_only_other_messages_at_its_seq(
    at: int, seq: int, kept: bool
) -> None:
    message = said("x", seq=seq)
    keep = message.id if kept else MessageId(b"\1" * 32)
    assert Resolution(at, keep, at + 1).abandons(message) == (seq == at and not kept)


def test_only_proofs_the_hub_has_not_resolved_stand_against_it() -> None:
    proofs = [proof(3, reporter=2), proof(7, reporter=4), proof(3, reporter=5, hub="a" * 56)]
    assert reporters_of(HUB, proofs, []) == {proofs[0].origin, proofs[1].origin}
    assert reporters_of(HUB, proofs, [(3, 4)]) == {proofs[1].origin}
    assert reporters_of(HUB, proofs, [(3, 4), (7, 9)]) == set()
    assert reporters_of(HUB, [said("not a proof")], []) == set()
