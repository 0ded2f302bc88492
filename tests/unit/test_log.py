"""protocol.log: where an incoming message goes in its origin's log (PROTOCOL.md §6)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.digest import sha256
from protocol.envelope import MessageId
from protocol.log import Head, Placement, next_position, place


def mid(label: str) -> MessageId:
    return MessageId(sha256(label.encode()))


ID1, ID2, ID3, OTHER = mid("1"), mid("2"), mid("3"), mid("other")
HEAD2 = Head(2, ID2)


@pytest.mark.parametrize(
    ("head", "seq", "prev", "message_id", "held", "expected"),
    [
        # An empty log takes seq 1 with no prev...
        (None, 1, None, ID1, None, Placement.APPEND),
        # ...refuses a seq 1 that names a prev...
        (None, 1, OTHER, ID1, None, Placement.BROKEN),
        # ...and holds anything later until seq 1 arrives.
        (None, 2, ID1, ID2, None, Placement.HOLD),
        (None, 9, OTHER, ID3, None, Placement.HOLD),
        # Next seq linking to the head: append.
        (HEAD2, 3, ID2, ID3, None, Placement.APPEND),
        # Next seq naming another prev: broken chain.
        (HEAD2, 3, OTHER, ID3, None, Placement.BROKEN),
        (HEAD2, 3, None, ID3, None, Placement.BROKEN),
        # Skipping ahead: hold.
        (HEAD2, 4, ID3, mid("4"), None, Placement.HOLD),
        (HEAD2, 1000, OTHER, mid("1000"), None, Placement.HOLD),
        # A seq already held with the same id: duplicate.
        (HEAD2, 2, ID1, ID2, ID2, Placement.DUPLICATE),
        (HEAD2, 1, None, ID1, ID1, Placement.DUPLICATE),
        # A seq already held with another id: fork.
        (HEAD2, 2, ID1, OTHER, ID2, Placement.FORK),
        (HEAD2, 1, None, OTHER, ID1, Placement.FORK),
        # A fork is a fork whatever its prev says.
        (HEAD2, 2, OTHER, mid("2b"), ID2, Placement.FORK),
    ],
    ids=[
        "empty-seq1",
        "empty-seq1-with-prev",
        "empty-seq2",
        "empty-far-ahead",
        "append",
        "broken-other-prev",
        "broken-no-prev",
        "hold-next-but-one",
        "hold-far-ahead",
        "duplicate-head",
        "duplicate-older",
        "fork-head",
        "fork-older",
        "fork-other-prev",
    ],
)
def test_place(
    head: Head | None,
    seq: int,
    prev: MessageId | None,
    message_id: MessageId,
    held: MessageId | None,
    expected: Placement,
) -> None:
    assert place(head, seq, prev, message_id, held) is expected


def test_every_placement_is_covered() -> None:
    assert {p.value for p in Placement} == {"append", "duplicate", "hold", "fork", "broken"}


def test_next_position_of_an_empty_log_is_seq_1_without_prev() -> None:
    assert next_position(None) == (1, None)


def test_next_position_follows_the_head() -> None:
    assert next_position(Head(7, ID3)) == (8, ID3)


def test_next_position_is_always_appended() -> None:
    head: Head | None = None
    for n in range(1, 6):
        seq, prev = next_position(head)
        new_id = mid(str(n))
        assert place(head, seq, prev, new_id, None) is Placement.APPEND
        head = Head(seq, new_id)
    assert head == Head(5, mid("5"))


# --- a receiver in miniature ---------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    prev: MessageId | None
    id: MessageId


def chain(length: int, label: str = "a") -> list[Entry]:
    entries: list[Entry] = []
    prev: MessageId | None = None
    for seq in range(1, length + 1):
        entry = Entry(seq, prev, mid(f"{label}{seq}"))
        entries.append(entry)
        prev = entry.id
    return entries


@dataclass
class Receiver:
    """One origin's log as a node keeps it: appended, held, and fork evidence."""

    log: list[Entry] = field(default_factory=list)
    held: dict[int, Entry] = field(default_factory=dict)
    forks: list[Entry] = field(default_factory=list)
    seen: list[Placement] = field(default_factory=list)

    @property
    def head(self) -> Head | None:
        return Head(self.log[-1].seq, self.log[-1].id) if self.log else None

    def receive(self, entry: Entry) -> Placement:
        held_id = self.log[entry.seq - 1].id if entry.seq <= len(self.log) else None
        placement = place(self.head, entry.seq, entry.prev, entry.id, held_id)
        self.seen.append(placement)
        if placement is Placement.APPEND:
            self.log.append(entry)
            self._release()
        elif placement is Placement.HOLD:
            self.held.setdefault(entry.seq, entry)
        elif placement is Placement.FORK:
            self.forks.append(entry)
        return placement

    def _release(self) -> None:
        # PROTOCOL.md §6: held messages are placed again once the gap before them fills.
        while self.head is not None and self.head.seq + 1 in self.held:
            entry = self.held.pop(self.head.seq + 1)
            if self.receive(entry) is not Placement.APPEND:
                break


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 15).flatmap(lambda n: st.permutations(chain(n))))
def test_any_arrival_order_ends_with_the_whole_log_in_seq_order(order: list[Entry]) -> None:
    receiver = Receiver()
    for entry in order:
        assert receiver.receive(entry) in (Placement.APPEND, Placement.HOLD)
    assert receiver.log == chain(len(order))
    assert receiver.held == {}
    assert receiver.forks == []


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.permutations(chain(n)), st.lists(st.integers(0, n - 1), max_size=2 * n)
        )
    )
)
def test_repeats_in_any_order_are_duplicates_and_change_nothing(
    data: tuple[list[Entry], list[int]],
) -> None:
    order, repeats = data
    receiver = Receiver()
    stream = list(order)
    for i, index in enumerate(repeats):
        stream.insert((i * 7) % (len(stream) + 1), order[index])
    for entry in stream:
        receiver.receive(entry)
    assert receiver.log == chain(len(order))
    assert receiver.forks == []
    assert Placement.FORK not in receiver.seen
    assert Placement.BROKEN not in receiver.seen


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 10).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_a_second_history_is_a_fork_wherever_it_differs(data: tuple[int, int]) -> None:
    length, at = data
    receiver = Receiver()
    for entry in chain(length):
        receiver.receive(entry)
    other = chain(length, label="b")[at - 1]  # another message at seq `at`
    assert receiver.receive(other) is Placement.FORK
    assert receiver.forks == [other]
    assert receiver.log == chain(length)  # the first history is kept
