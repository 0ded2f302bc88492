"""Messages that skipped ahead of their origin's head, kept until the gap fills
(PROTOCOL.md §4), within caps: a stranger's far-future seqs cannot fill the disk."""

from __future__ import annotations

from node.store.log_txn import OriginState, WriteTxn
from node.store.outcomes import Outcome, Status, TooManyHeld
from protocol.envelope import Message

# Held messages from all origins together: origins cost nothing to make.
MAX_HELD_TOTAL = 100_000


async def hold_txn(txn: WriteTxn, message: Message, state: OriginState, max_held: int) -> Outcome:
    """Keep a message that skipped ahead of its origin's head until the gap fills,
    within the caps; refused beyond them."""
    head_seq = state.head.seq if state.head else 0
    if message.seq - head_seq > max_held:
        return Outcome(
            Status.REFUSED,
            message.id,
            TooManyHeld(
                f"seq {message.seq} is more than {max_held} ahead of the "
                f"{head_seq} held for {message.origin}; send the gap first"
            ),
        )
    async with txn.conn.execute("SELECT count(*) FROM held") as cursor:
        row = await cursor.fetchone()
    if row is not None and row[0] >= MAX_HELD_TOTAL:
        return Outcome(
            Status.REFUSED,
            message.id,
            TooManyHeld("this hub holds too many out-of-order messages; send in order"),
        )
    # Rows, not only distance: rows left below a head that moved on still count,
    # and one origin must not take the whole total.
    async with txn.conn.execute(
        "SELECT count(*) FROM held WHERE origin = ?", (message.origin,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None and row[0] >= max_held:
        return Outcome(
            Status.REFUSED,
            message.id,
            TooManyHeld(
                f"this hub holds {max_held} out-of-order messages of "
                f"{message.origin} already; send the gap first"
            ),
        )
    await txn.conn.execute(
        "INSERT OR IGNORE INTO held (id, origin, seq, received_at, payload, signature)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (message.id, message.origin, message.seq, txn.now, message.payload, message.signature),
    )
    return Outcome(Status.HELD, message.id)
