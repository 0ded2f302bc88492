"""SQL for the charter across the network: the endorsements hubs recorded (and their
withdrawals), and the charter versions each hub adopted, read from the signed log."""

from __future__ import annotations

from node.store.database import Database
from protocol.envelope import Message, parse_payload

ENDORSEMENT_KINDS = ("charter.endorse", "charter.endorse.withdraw")


async def endorsement_messages(db: Database) -> list[Message]:
    """Every endorsement and withdrawal held, in the order stored."""
    rows = await db.fetchall(
        "SELECT payload, signature FROM messages WHERE kind IN (?, ?) ORDER BY rowid",
        ENDORSEMENT_KINDS,
    )
    return [parse_payload(p, s) for p, s in rows]


async def newest_charter_ids(db: Database) -> dict[str, bytes]:
    """Each hub's newest `charter.adopt` message id, by origin."""
    rows = await db.fetchall(
        "SELECT origin, id FROM messages WHERE kind = 'charter.adopt' ORDER BY origin, seq"
    )
    return {str(origin): bytes(i) for origin, i in rows}


async def adopted_charters(db: Database, origin: str) -> list[Message]:
    """The `charter.adopt` messages of one hub, oldest first."""
    rows = await db.fetchall(
        "SELECT payload, signature FROM messages WHERE kind = 'charter.adopt' AND origin = ?"
        " ORDER BY seq",
        (origin,),
    )
    return [parse_payload(p, s) for p, s in rows]
