"""Upgrades from every earlier schema, with data in it, to the latest.

Each migration has a seed: rows a real node would hold at that version. For each
version N the test builds a database at N holding the seeds of every version up
to N, opens it with the current code (which migrates it forward), and checks
that every seeded row is still there, readable by the current code, and that
SQLite's integrity and foreign key checks pass. The latest version is built too,
so its seed is known to be sound before a later migration upgrades it. A
migration without a seed fails test_every_migration_has_a_seed: add one with the
migration.

Seeds satisfy every CHECK, trigger and foreign key (the database is built with
foreign keys enforced, as the node runs), refer to the members and messages the
earlier seeds insert, and their checks include the queries the code itself runs
to read each table, with literal values in place of its parameters.

SHIPPED records each migration's checksum: editing a shipped migration fails
test_shipped_migrations_are_unchanged, and a new migration fails
test_every_migration_has_a_recorded_checksum until its checksum is recorded.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from crypto.nodeid import node_id_from_public_key
from node.search import match_expression
from node.store.database import SEALING_VERSION, Database, _split_sql
from node.store.messages import MessageStore
from node.store.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    MigrationListError,
    collect,
)
from node.store.sealing import KeyPlaces, Sealer
from node.verifier import Verifier
from protocol.kinds.hub import Announcement
from tests.helpers import T0, ManualClock, chain, key_from

ORIGIN_KEY = key_from(5)
ORIGIN = node_id_from_public_key(ORIGIN_KEY.public_key)
PEER = node_id_from_public_key(key_from(6).public_key)
HOME_KEY = key_from(7)  # this node's own key
HOME = node_id_from_public_key(HOME_KEY.public_key)
LOG = chain(ORIGIN_KEY, 3)
DAY = 86_400_000
S0 = T0 // 1000  # T0 in seconds, as events keep their times


def blob(data: bytes) -> str:
    """`data` as an SQL blob literal."""
    return f"X'{data.hex()}'"


@dataclass(frozen=True)
class Seed:
    rows: Callable[[sqlite3.Connection], None]
    # (query, rows it must return after the upgrade)
    checks: list[tuple[str, list[tuple[object, ...]]]]


def _seed_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO origins (origin, public_key, head_seq, head_id, first_seen)"
        " VALUES (?, ?, ?, ?, ?)",
        (ORIGIN, ORIGIN_KEY.public_key, 2, LOG[1].id, T0),
    )
    for m in LOG[:2]:
        conn.execute(
            "INSERT INTO messages (id, origin, seq, kind, created_at, received_at, payload,"
            " signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (m.id, m.origin, m.seq, m.kind, m.created_at, T0, m.payload, m.signature),
        )
    m = LOG[2]
    conn.execute(
        "INSERT INTO held (id, origin, seq, received_at, payload, signature)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (m.id, m.origin, m.seq, T0, m.payload, m.signature),
    )


def _seed_2(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO peers (node_id, url, name, added_at) VALUES (?, ?, ?, ?)",
        (PEER, "https://peer.example.org", "Peer", T0),
    )
    conn.execute(
        "INSERT INTO invites (token_hash, created_at, expires_at) VALUES (?, ?, ?)",
        (b"\x01" * 32, T0, T0 + 1000),
    )
    conn.execute("INSERT INTO outbox (peer, message_id) VALUES (?, ?)", (PEER, LOG[0].id))
    conn.execute(
        "INSERT INTO blocked_origins (origin, blocked_at, reason) VALUES (?, ?, ?)",
        ("b" * 56, T0, "spam"),
    )
    conn.execute(
        "INSERT INTO resources (hash, size, media_type) VALUES (?, ?, ?)",
        (b"\x02" * 32, 10, "text/plain"),
    )


def _seed_3(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO members (id, email, name, status, charter_version, charter_signed_at,"
        " privacy_version, privacy_accepted_at, applied_at) VALUES (1, 'ana@example.org',"
        " 'Ana', 'active', '1', ?, '1', ?, ?)",
        (T0, T0, T0),
    )
    conn.execute(
        "INSERT INTO member_roles (member_id, role, starts_at) VALUES (1, 'interim', ?)", (T0,)
    )
    conn.execute(
        "INSERT INTO sessions (id_hash, member_id, created_at, last_seen) VALUES (?, 1, ?, ?)",
        (b"\x03" * 32, T0, T0),
    )
    conn.execute(
        "INSERT INTO reset_links (token_hash, member_id, created_at, expires_at)"
        " VALUES (?, 1, ?, ?)",
        (b"\x04" * 32, T0, T0 + 1000),
    )


# Seed 5: a hub's funds. One round decided (its commitment is entry 6), one poll open.
ROUND_SEED = b"\x06" * 16
RECEIPT = b"\x07" * 32
APPROVAL = b"\x08" * 16
BALLOT = b"\x09" * 16
ROUND_OPENED = T0 - 20 * DAY
ROUND_CLOSED = T0 - 6 * DAY  # 2025-11-07
ROUND_RESOLVED = ROUND_CLOSED + 60_000
POLL_OPTIONS = '["Yes", "No", "Abstain"]'


# (id, kind, amount, entry_date, category, note, corrects, against, round_id,
#  proposal_id, receipt_hash, receipt_type, receipt_size, recorded_by, recorded_at)
LEDGER = [
    (1, "income", 150000, "2025-10-01", "Grants", "Community chest grant",
     None, None, None, None, None, None, None, 1, T0 - 40 * DAY),
    (2, "commitment", 20000, "2025-10-20", "Hall hire", "Winter hall bookings",
     None, None, None, None, None, None, None, 1, T0 - 24 * DAY),
    (3, "spending", 8000, "2025-11-03", "Hall hire", "November bookings",
     None, 2, None, None, RECEIPT, "application/pdf", 48213, 1, T0 - 10 * DAY),
    (4, "income", 2500, "2025-11-05", "Donations", "Bucket at the fair",
     None, None, None, None, None, None, None, 1, T0 - 8 * DAY),
    (5, "income", 2050, "2025-11-05", "Donations", "Bucket at the fair, recounted",
     4, None, None, None, None, None, None, 1, T0 - 7 * DAY),
    # What the node records when a round is decided: no member, the round's day.
    (6, "commitment", 8000, "2025-11-07", "Participatory budget",
     "Small grants, autumn: Seed library shelves",
     None, None, 1, 1, None, None, None, None, ROUND_RESOLVED),
    (7, "spending", 1200, "2025-11-10", "Supplies", "Tea and coffee",
     None, None, None, None, None, None, None, 1, T0 - 3 * DAY),
    (8, "void", 0, "2025-11-10", "Supplies", "Entered twice",
     7, None, None, None, None, None, None, 1, T0 - 3 * DAY + 60_000),
]  # fmt: skip
PROPOSALS = [  # (id, title, description, cost, submitted_at)
    (1, "Seed library shelves", "Shelves and jars for the seed swap.", 8000, T0 - 18 * DAY),
    (2, "Bike repair stand", "A stand and tools for the Saturday session.", 6000, T0 - 17 * DAY),
]


def _seed_5(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO budget_rounds (id, title, amount, opened_by, opened_at, proposals_close_at,"
        " voting_open_at, voting_close_at, seed, resolved_at)"
        " VALUES (1, 'Small grants, autumn', 12000, 1, ?, ?, ?, ?, ?, ?)",
        (ROUND_OPENED, T0 - 13 * DAY, T0 - 13 * DAY, ROUND_CLOSED, ROUND_SEED, ROUND_RESOLVED),
    )
    conn.executemany(
        "INSERT INTO budget_proposals (id, round_id, title, description, cost, proposed_by,"
        " submitted_at) VALUES (?, 1, ?, ?, ?, 1, ?)",
        PROPOSALS,
    )
    conn.executemany(
        "INSERT INTO ledger_entries (id, kind, amount, entry_date, category, note, corrects,"
        " against, round_id, proposal_id, receipt_hash, receipt_type, receipt_size,"
        " recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        LEDGER,
    )
    conn.execute("INSERT INTO budget_voters (round_id, member_id) VALUES (1, 1)")
    conn.execute(
        "INSERT INTO budget_approvals (id, round_id, proposal_id) VALUES (?, 1, 1)", (APPROVAL,)
    )
    conn.executemany(
        "INSERT INTO budget_results (proposal_id, round_id, position, approvals, funded, reason,"
        " entry_id) VALUES (?, 1, ?, ?, ?, ?, ?)",
        [(1, 1, 1, 1, "funded", 6), (2, 2, 0, 0, "not funded: no approvals", None)],
    )
    conn.execute(
        "INSERT INTO polls (id, title, body, kind, options, quorum_percent, electorate,"
        " proposed_by, opens_at, closes_at) VALUES (1, 'Open the hub on Sundays?',"
        " 'From 10:00 to 16:00, staffed by volunteers.', 'yes-no', ?, 20, 1, 1, ?, ?)",
        (POLL_OPTIONS, T0 - 2 * DAY, T0 + 5 * DAY),
    )
    conn.execute("INSERT INTO poll_electorate (poll_id, member_id, voted) VALUES (1, 1, 1)")
    conn.execute("INSERT INTO poll_ballots (id, poll_id, choice) VALUES (?, 1, 0)", (BALLOT,))


# Seed 6: a members-only event of this hub, and its public one with a revision.
EVENT_MEMBERS = b"\x20" * 32
EVENT_PUBLIC = b"\x21" * 32
EVENT_UPDATE = b"\x22" * 32
FEED_TOKEN = b"\x23" * 32
LAT, LON = 53_480_759, -2_242_631
EVENT_MEMBERS_ROW = (
    EVENT_MEMBERS, HOME, 0, 1, "Volunteers' meeting", "Planning the winter rota.",
    S0 + 7 * 86_400, S0 + 7 * 86_400 + 7200, "Europe/London", "public-meeting", "members",
    "Back room, 12 Mill Lane", None, None, None, 20, "[]", "[]", 0, None, T0 - DAY, T0,
)  # fmt: skip
EVENT_PUBLIC_ROW = (
    EVENT_PUBLIC, HOME, 1, 1, "Winter warmth fair", "Free draught-proofing kits and energy advice.",
    S0 + 14 * 86_400, S0 + 14 * 86_400 + 4 * 3600, "Europe/London", "social", "public",
    "Millbrook Community Hall", LAT, LON, None, 150, '["Energy Savers"]', "[]", 0, None,
    T0 - 2 * DAY, T0 - DAY,
)  # fmt: skip
HUB = ("Millbrook Community Hub", "https://millbrook.example.org", "North West")


def _seed_6(conn: sqlite3.Connection) -> None:
    conn.executemany(
        "INSERT INTO events (id, origin, federated, version_seq, sequence, title, description,"
        " starts, ends, timezone, type, visibility, place, lat, lon, online_url, capacity,"
        " speakers, cohosts, cancelled, cancel_reason, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (*EVENT_MEMBERS_ROW[:2], 0, 0, *EVENT_MEMBERS_ROW[3:]),
            (*EVENT_PUBLIC_ROW[:2], 1, 2, *EVENT_PUBLIC_ROW[3:]),
        ],
    )
    conn.execute(
        "INSERT INTO event_versions (id, event, origin, seq) VALUES (?, ?, ?, 2)",
        (EVENT_UPDATE, EVENT_PUBLIC, HOME),
    )
    conn.execute(
        "INSERT INTO calendar_hubs (origin, seq, name, url, region, lat, lon)"
        " VALUES (?, 3, ?, ?, ?, ?, ?)",
        (HOME, *HUB, LAT, LON),
    )
    conn.execute("INSERT INTO event_projection (id, last_rowid) VALUES (1, 2)")
    conn.execute(
        "INSERT INTO rsvps (event, member_id, created_at) VALUES (?, 1, ?)", (EVENT_MEMBERS, T0)
    )
    conn.execute(
        "INSERT INTO registrations (id, event, name, email, created_at)"
        " VALUES (1, ?, 'Jo Bloggs', 'jo@example.net', ?)",
        (EVENT_PUBLIC, T0),
    )
    conn.execute(
        "INSERT INTO calendar_tokens (token_hash, member_id, created_at) VALUES (?, 1, ?)",
        (FEED_TOKEN, T0),
    )


# Seed 7: a peer's campaign, resource, speaker offer and directory entry, as the
# projection writes them, this hub's local records, and their rows in the search index.
CAMPAIGN = b"\x30" * 32
CAMPAIGN_UPDATE = b"\x31" * 32
ENDORSEMENT = b"\x32" * 32
RESOURCE = b"\x33" * 32
SPEAKER_OFFER = b"\x34" * 32
ENTRY = b"\x35" * 32
ENTRY_V2 = b"\x36" * 32
SEARCH_ROWS = [  # (title, body, kind, ref, visibility, link), in the order they were indexed
    ("Winter warmth fair", "Free draught-proofing kits and energy advice."
     " Millbrook Community Hall Energy Savers", "event", EVENT_PUBLIC.hex(), "public", None),
    ("Warm homes this winter", "Insulate every council flat in the ward before next winter."
     " Nobody should choose between heating and eating Council commits to a retrofit plan",
     "campaign", CAMPAIGN.hex(), "public", None),
    ("Draught-proofing guide", "A step-by-step guide for renters. draught-proofing.txt energy"
     " housing", "resource", RESOURCE.hex(), "public", None),
    ("Leeds Tenants Union", "Advice for private renters. Leeds housing",
     "directory", ENTRY.hex(), "public", None),
    ("Millbrook Repair Café", "Bring broken things; we fix them together. Millbrook Other",
     "directory", "local:1", "public", None),
]  # fmt: skip


def _search_put(
    conn: sqlite3.Connection, rows: list[tuple[str, str, str, str, str, str | None]]
) -> None:
    """As node.store.search.put_txn writes them."""
    for title, body, kind, ref, visibility, link in rows:
        cursor = conn.execute(
            "INSERT INTO search (title, body, kind, ref, visibility) VALUES (?, ?, ?, ?, ?)",
            (title, body, kind, ref, visibility),
        )
        conn.execute(
            "INSERT INTO search_refs (kind, ref, fts_rowid, link) VALUES (?, ?, ?, ?)",
            (kind, ref, cursor.lastrowid, link),
        )


def _seed_7(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO projection_cursor (name, last_rowid) VALUES ('community', 2)")
    conn.execute(
        "INSERT INTO campaigns (id, origin, seq, created_at, title, summary, status, principles,"
        " goals) VALUES (?, ?, 4, ?, 'Warm homes this winter',"
        " 'Insulate every council flat in the ward before next winter.', 'active', ?, ?)",
        (
            CAMPAIGN,
            PEER,
            T0 - 5 * DAY,
            '["Nobody should choose between heating and eating"]',
            '["Council commits to a retrofit plan"]',
        ),
    )
    conn.execute(
        "INSERT INTO campaign_updates (id, campaign, seq, created_at, text, status)"
        " VALUES (?, ?, 6, ?, 'The council meets us on the 20th.', NULL)",
        (CAMPAIGN_UPDATE, CAMPAIGN, T0 - 2 * DAY),
    )
    conn.executemany(
        "INSERT INTO campaign_links (campaign, kind, target) VALUES (?, ?, ?)",
        [(CAMPAIGN, "event", EVENT_PUBLIC), (CAMPAIGN, "resource", RESOURCE)],
    )
    conn.execute(
        "INSERT INTO campaign_endorsements (campaign, origin, message_id, created_at, statement)"
        " VALUES (?, ?, ?, ?, 'We are in.')",
        (CAMPAIGN, ORIGIN, ENDORSEMENT, T0 - 4 * DAY),
    )
    conn.execute(
        "INSERT INTO library (id, origin, created_at, hash, name, media_type, size, title,"
        " description, tags) VALUES (?, ?, ?, ?, 'draught-proofing.txt', 'text/plain', 10,"
        " 'Draught-proofing guide', 'A step-by-step guide for renters.', ?)",
        (RESOURCE, PEER, T0 - 6 * DAY, b"\x02" * 32, '["energy", "housing"]'),
    )
    conn.execute(
        "INSERT INTO speaker_offers (id, origin, created_at, topics, area, note)"
        " VALUES (?, ?, ?, ?, 'Leeds', 'Weekday evenings')",
        (SPEAKER_OFFER, PEER, T0 - 3 * DAY, '["energy advice", "renting"]'),
    )
    conn.execute(
        "INSERT INTO directory_shared (entry, origin, version, seq, name, category, area, hours,"
        " contact, description, url) VALUES (?, ?, ?, 9, 'Leeds Tenants Union', 'housing',"
        " 'Leeds', 'Tue 18:00-20:00', 'help@tenants.example.org', 'Advice for private renters.',"
        " 'https://tenants.example.org')",
        (ENTRY, PEER, ENTRY_V2),
    )
    conn.executemany(
        "INSERT INTO directory_versions (version, entry) VALUES (?, ?)",
        [(ENTRY, ENTRY), (ENTRY_V2, ENTRY)],
    )
    conn.execute(
        "INSERT INTO speakers (id, member_id, topics, area, note, created_at, published)"
        " VALUES (1, 1, '[\"composting\"]', 'Millbrook', 'Happy to speak at schools', ?, NULL)",
        (T0 - DAY,),
    )
    conn.execute(
        "INSERT INTO directory_local (id, name, category, area, hours, contact, description,"
        " url, created_at, updated_at) VALUES (1, 'Millbrook Repair Café', 'other', 'Millbrook',"
        " 'Sat 10:00-13:00', '0161 496 0000', 'Bring broken things; we fix them together.',"
        " NULL, ?, ?)",
        (T0 - 9 * DAY, T0 - 9 * DAY),
    )
    conn.execute(
        "INSERT INTO mutual_aid (id, member_id, type, title, text, created_at)"
        " VALUES (1, 1, 'offer', 'Lifts to the food bank',"
        " 'I drive there every Thursday and have two seats free.', ?)",
        (T0 - DAY,),
    )
    _search_put(conn, SEARCH_ROWS)


# Seed 8: this hub's sealed vote on a network motion, not yet revealed.
VOTE = b"\x40" * 32
MOTION = b"\x41" * 32
VOTE_SECRET = b"\x42" * 32


def _seed_8(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO vote_secrets (vote_id, motion_id, choice, secret, created_at)"
        " VALUES (?, ?, 'For', ?, ?)",
        (VOTE, MOTION, VOTE_SECRET, T0),
    )


def _seed_9(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE origins SET next_key_digest = ? WHERE origin = ?", (b"\x05" * 32, ORIGIN))
    conn.execute(
        "INSERT INTO node_state (name, value, set_at) VALUES ('recovering', 'restored', ?)",
        (T0,),
    )


# Seed 10: a hub thread (one post hidden and reported), comments on a network
# message (one by a peer, the reply by this hub's member, reported by the peer),
# moderation, a working group with its thread, and their rows in the search index.
COMMENT = b"\x50" * 32
REPLY = b"\x51" * 32
SUBJECT = LOG[0].id
HIDDEN_AT = T0 - DAY + 3_600_000
POST_TEXT = "Shall we try opening on Sundays from 10? Volunteers for a rota welcome."
COMMENT_LINK = f"/discuss/{SUBJECT.hex()}#comment-{COMMENT.hex()}"


def _seed_10(conn: sqlite3.Connection) -> None:
    conn.executemany(
        "INSERT INTO topics (id, category, title, member_id, created_at, last_post_at)"
        " VALUES (?, ?, ?, 1, ?, ?)",
        [
            (1, "general", "Sunday opening hours", T0 - 2 * DAY, T0 - DAY),
            (2, "working-groups", "Garden group", T0 - 3 * DAY, T0 - 3 * DAY),
        ],
    )
    conn.executemany(
        "INSERT INTO posts (id, topic_id, member_id, text, created_at, hidden_at, hidden_by)"
        " VALUES (?, ?, 1, ?, ?, ?, ?)",
        [
            (1, 1, POST_TEXT, T0 - 2 * DAY, None, None),
            (2, 1, "Whoever runs the Saturday stall is useless.", T0 - DAY, HIDDEN_AT, 1),
            (3, 2, "The first dig is on Saturday.", T0 - 3 * DAY, None, None),
        ],
    )
    conn.executemany(
        "INSERT INTO comments (id, origin, subject, reply_to, author, text, created_at, shown_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (COMMENT, PEER, SUBJECT, None, "sam", "Good news, see you there.", T0 - DAY,
             T0 - DAY + 1000),
            (REPLY, HOME, SUBJECT, COMMENT, "ana", "Thanks, Sam!", T0 - DAY + 60_000,
             T0 - DAY + 60_000),
        ],
    )  # fmt: skip
    conn.execute(
        "INSERT INTO comment_authors (comment_id, member_id, created_at) VALUES (?, 1, ?)",
        (REPLY, T0 - DAY + 60_000),
    )
    conn.execute("INSERT INTO network_names (member_id, name) VALUES (1, 'ana')")
    conn.executemany(
        "INSERT INTO discussion_reads (member_id, thread, read_at) VALUES (1, ?, ?)",
        [("topic:1", T0 - DAY), (f"message:{SUBJECT.hex()}", T0 - DAY + 60_000)],
    )
    conn.execute("UPDATE discussion_progress SET last_rowid = 2 WHERE id = 1")
    conn.execute(
        "INSERT INTO conduct (id, text, updated_at, updated_by)"
        " VALUES (1, 'Be kind. Disagree with ideas, not people.', ?, 1)",
        (T0 - 10 * DAY,),
    )
    conn.executemany(
        "INSERT INTO reports (id, post_id, comment_id, reason, reporter_id, from_hub, created_at,"
        " resolved_at, resolved_by, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, 2, None, "A personal attack", 1, None, T0 - DAY + 1_800_000,
             None, None, None),
            (2, None, REPLY, "Off topic", None, PEER, T0 - DAY + 120_000,
             T0 - DAY + 7_200_000, 1, "dismissed"),
        ],
    )  # fmt: skip
    conn.execute(
        "INSERT INTO warnings (id, member_id, reason, given_by, given_at)"
        " VALUES (1, 1, 'A personal attack in \"Sunday opening hours\"', 1, ?)",
        (HIDDEN_AT,),
    )
    conn.execute(
        "INSERT INTO discussion_bans (member_id, until, reason, given_by, given_at)"
        " VALUES (1, ?, 'A week away from discussions after a warning', 1, ?)",
        (T0 + 6 * DAY, HIDDEN_AT),
    )
    conn.execute(
        "INSERT INTO working_groups (id, name, purpose, subject, topic_id, created_by, created_at)"
        " VALUES (1, 'Garden group', 'Look after the community garden.', ?, 2, 1, ?)",
        (EVENT_PUBLIC, T0 - 3 * DAY),
    )
    conn.execute(
        "INSERT INTO group_members (group_id, member_id, joined_at) VALUES (1, 1, ?)",
        (T0 - 3 * DAY,),
    )
    conn.executemany(
        "INSERT INTO group_tasks (id, group_id, text, taken_by, done_at, created_by, created_at)"
        " VALUES (?, 1, ?, ?, ?, 1, ?)",
        [
            (1, "Order compost", 1, T0 - DAY, T0 - 3 * DAY),
            (2, "Fix the gate", None, None, T0 - 3 * DAY + 60_000),
        ],
    )
    _search_put(
        conn,
        [
            ("Sunday opening hours", POST_TEXT, "discussion", "post:1", "members",
             "/discussions/1#post-1"),
            ("Garden group", "The first dig is on Saturday.", "discussion", "post:3", "members",
             "/discussions/2#post-3"),
            ("Comment by sam", "Good news, see you there.", "discussion",
             f"comment:{COMMENT.hex()}", "members", COMMENT_LINK),
        ],
    )  # fmt: skip


ELECTION_ID = "e" * 32


# Seed 11: the peer rotated its key at seq 4, so its key in force from seq 5 is
# another; migration 11 itself wrote the row for ORIGIN's head (seed 1, seed 9).
PEER_NEW_KEY = key_from(8).public_key


def _seed_11(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO key_history (origin, from_seq, public_key, next_key_digest)"
        " VALUES (?, 5, ?, NULL)",
        (PEER, PEER_NEW_KEY),
    )
    # ORIGIN resolved a fork at seq 2 in favour of its message there (LOG[1]).
    conn.execute(
        "INSERT INTO fork_resolutions (origin, from_seq, keep, until_seq, resolve_id,"
        " resolved_at) VALUES (?, 2, ?, 4, ?, ?)",
        (ORIGIN, LOG[1].id, b"\x60" * 32, T0),
    )


def _seed_12(conn: sqlite3.Connection) -> None:
    # Seed 2's file: no peer could give it three times, so it waits until T0 + 5 s.
    conn.execute(
        "UPDATE resources SET fetch_failures = 3, next_fetch_at = ? WHERE hash = ?",
        (T0 + 5000, b"\x02" * 32),
    )


def _seed_13(conn: sqlite3.Connection) -> None:
    # An application to join awaiting its emailed link, and the email carrying it.
    conn.execute(
        "INSERT INTO confirmations (token_hash, kind, email, event, details, created_at,"
        " expires_at) VALUES (?, 'join', 'new@example.org', NULL, ?, ?, ?)",
        (b"\x13" * 32, '{"name": "New"}', T0, T0 + 86_400_000),
    )
    conn.execute(
        "INSERT INTO email_to_address (address, subject, body, created_at, next_attempt)"
        " VALUES ('new@example.org', 'Confirm', 'Follow the link', ?, ?)",
        (T0, T0),
    )


def _seed_14(conn: sqlite3.Connection) -> None:
    # Another hub's profile with the fields the calendar's copy lacked, and the hubs
    # projection's cursor.
    conn.execute(
        "INSERT INTO hubs (origin, seq, name, url, region, area, description, lat, lon)"
        " VALUES (?, 2, 'Eastfield Hub', 'https://eastfield.example.org', 'North West',"
        " 'Eastfield', 'A hub by the river', NULL, NULL)",
        (PEER,),
    )
    conn.execute("INSERT INTO projection_cursors (name, last_rowid) VALUES ('hubs', 3)")


def _seed_15(conn: sqlite3.Connection) -> None:
    # A second poll, open, with one vote in the ballot box.
    conn.execute(
        "INSERT INTO polls (id, title, body, kind, options, quorum_percent, electorate,"
        " proposed_by, opens_at, closes_at) VALUES (2, 'Paint the door?', 'Green or blue.',"
        " 'choice', '[\"Green\", \"Blue\"]', 0, 1, 1, ?, ?)",
        (T0 - DAY, T0 + 5 * DAY),
    )
    conn.execute("INSERT INTO poll_electorate (poll_id, member_id) VALUES (2, 1)")
    conn.execute(
        "INSERT INTO ballot_voters (contest, members) VALUES ('poll:2', ?)", ("0" * 18 + "1",)
    )
    conn.execute("INSERT INTO ballot_choices (contest, width, choices) VALUES ('poll:2', 1, '1')")


def _seed_16(conn: sqlite3.Connection) -> None:
    # The peer's profile gains a meeting place, contact and time zone.
    conn.execute(
        "UPDATE hubs SET meeting_place = 'The library', contact = 'hello@eastfield.example.org',"
        " timezone = 'Europe/London' WHERE origin = ?",
        (PEER,),
    )


def _seed_17(conn: sqlite3.Connection) -> None:
    # A request member 1 made of PEER's speaker, answered; PEER's count for an event.
    conn.execute(
        "INSERT INTO speaker_requests (id, origin, to_hub, offer, topic, starts, timezone,"
        " place, created_at, asker_id, share_contact, answer, answered_at)"
        " VALUES (?, ?, ?, ?, 'housing law', 1790000000, 'Europe/London', 'The hall', ?,"
        " 1, 1, 'accept', ?)",
        (b"\x19" * 32, ORIGIN, PEER, b"\x18" * 32, T0, T0 + 1),
    )
    conn.execute(
        "INSERT INTO hub_attendance (event, origin, count, seq) VALUES (?, ?, 5, 7)",
        (b"\x17" * 32, PEER),
    )


def _seed_18(conn: sqlite3.Connection) -> None:
    conn.execute(
        "UPDATE nominations SET statement = 'I will keep the minutes short.' WHERE nominee = 1"
    )


def _seed_19(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO ap_followers (actor, inbox, shared_inbox, host, followed_at)"
        " VALUES ('https://social.example/users/ann', 'https://social.example/users/ann/inbox',"
        " 'https://social.example/inbox', 'social.example', ?)",
        (T0,),
    )
    conn.execute("INSERT INTO ap_blocks (target, blocked_at) VALUES ('spam.example', ?)", (T0,))
    conn.execute(
        "INSERT INTO ap_objects (message, kind, document, published_at, updated_at)"
        " VALUES (?, 'event', '{\"type\": \"Event\"}', ?, ?)",
        (LOG[0].id, T0, T0),
    )
    conn.execute(
        "INSERT INTO ap_replies (id, message, actor, author, content, received_at)"
        " VALUES ('https://social.example/notes/1', ?, 'https://social.example/users/ann',"
        " 'Ann (social.example)', '<p>See you there</p>', ?)",
        (LOG[0].id, T0),
    )


def _seed_20(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO hub_holdings (hub, origin, seq, recorded_at) VALUES (?, ?, 7, ?)",
        (PEER, ORIGIN, T0),
    )


def _seed_21(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE members SET language = 'cy' WHERE id = 1")


def _seed_22(conn: sqlite3.Connection) -> None:
    # A phone number given after sealing: written as node/store/accounts.py writes one.
    conn.execute("UPDATE members SET phone = seal('members.phone', '01632 960001') WHERE id = 1")


def _seed_4(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO charters (version, title, text, adopted_at, adopted_by, message_id)"
        " VALUES ('2', 'Our charter', 'Equal voice for every member.', ?, 1, ?)",
        (T0, LOG[0].id),
    )
    conn.execute(
        "INSERT INTO elections (id, kind, role, method, opened_by, opened_at, nominations_close,"
        " voting_opens, voting_closes, state, closed_at, result, elected)"
        " VALUES (?, 'election', 'chair', 'instant-runoff', 1, ?, ?, ?, ?, 'closed', ?, ?, 1)",
        (ELECTION_ID, T0, T0 + 10, T0 + 10, T0 + 20, T0 + 20, '{"winner": 1}'),
    )
    conn.execute(
        "INSERT INTO nominations (election_id, nominee, nominated_by, nominated_at, accepted_at)"
        " VALUES (?, 1, 1, ?, ?)",
        (ELECTION_ID, T0 + 1, T0 + 2),
    )
    conn.execute("INSERT INTO voters (election_id, member_id) VALUES (?, 1)", (ELECTION_ID,))
    conn.execute(
        "INSERT INTO ballot_boxes (election_id, ballots) VALUES (?, '[[1]]')", (ELECTION_ID,)
    )
    conn.execute(
        "INSERT INTO delegate_mandates (member_id, starts_at, ends_at, network_name, message_id)"
        " VALUES (1, ?, ?, 'ana_r', ?)",
        (T0, T0 + 1000, LOG[1].id),
    )
    conn.execute(
        "INSERT INTO notices (member_id, text, link, created_at) VALUES (1, ?, ?, ?)",
        ("You were elected chair", f"/elections/{ELECTION_ID}", T0 + 20),
    )
    conn.execute(
        "INSERT INTO email_outbox (member_id, subject, body, created_at, next_attempt)"
        " VALUES (1, 'Elected', 'You were elected chair', ?, ?)",
        (T0 + 20, T0 + 20),
    )


SEEDS: dict[int, Seed] = {
    1: Seed(
        _seed_1,
        [
            ("SELECT seq FROM messages ORDER BY seq", [(1,), (2,)]),
            ("SELECT origin, head_seq FROM origins", [(ORIGIN, 2)]),
            ("SELECT seq FROM held", [(3,)]),
        ],
    ),
    2: Seed(
        _seed_2,
        [
            ("SELECT node_id, url FROM peers", [(PEER, "https://peer.example.org")]),
            ("SELECT count(*) FROM invites", [(1,)]),
            ("SELECT peer FROM outbox", [(PEER,)]),
            ("SELECT reason FROM blocked_origins", [("spam",)]),
            ("SELECT size, media_type FROM resources", [(10, "text/plain")]),
        ],
    ),
    3: Seed(
        _seed_3,
        [
            (
                "SELECT unseal('members.email', email), unseal('members.name', name), status"
                " FROM members",
                [("ana@example.org", "Ana", "active")],
            ),
            ("SELECT role FROM member_roles", [("interim",)]),
            ("SELECT member_id FROM sessions", [(1,)]),
            ("SELECT member_id FROM reset_links", [(1,)]),
        ],
    ),
    4: Seed(
        _seed_4,
        [
            # Governance.charter, .elections, .nominations, the ballot box, mandates, notices
            ("SELECT version, title FROM charters", [("2", "Our charter")]),
            (
                "SELECT role, method, state, elected FROM elections",
                [("chair", "instant-runoff", "closed", 1)],
            ),
            ("SELECT nominee, accepted_at FROM nominations", [(1, T0 + 2)]),
            # BallotBox (node/store/ballots.py), since migration 15
            (
                f"SELECT members FROM ballot_voters WHERE contest = 'election:{ELECTION_ID}'",
                [("0" * 18 + "1",)],
            ),
            (
                "SELECT width, unseal('ballot_choices.choices', choices) FROM ballot_choices"
                f" WHERE contest = 'election:{ELECTION_ID}'",
                [(3, "[1]")],
            ),
            ("SELECT closed FROM member_roles", [(0,)]),
            ("SELECT network_name, ended_at FROM delegate_mandates", [("ana_r", None)]),
            (
                "SELECT unseal('notices.text', text), read_at FROM notices",
                [("You were elected chair", None)],
            ),
            (
                "SELECT unseal('email_outbox.subject', subject), attempts FROM email_outbox",
                [("Elected", 0)],
            ),
        ],
    ),
    5: Seed(
        _seed_5,
        [
            # Funds._entries, .ledger, .receipt, ._reserved, .settle
            (
                "SELECT id, kind, amount, entry_date, category, note, corrects, against"
                " FROM ledger_entries ORDER BY id",
                [r[:8] for r in LEDGER],
            ),
            (
                "SELECT e.id, coalesce(unseal('members.name', m.name),"
                " CASE WHEN e.recorded_by IS NULL"
                " THEN 'the hub (budget result)' ELSE 'a former member' END), e.recorded_at,"
                " e.receipt_type, e.round_id FROM ledger_entries e"
                " LEFT JOIN members m ON m.id = e.recorded_by ORDER BY e.id",
                [
                    (r[0], "Ana" if r[13] else "the hub (budget result)", r[14], r[11], r[8])
                    for r in LEDGER
                ],
            ),
            (
                "SELECT receipt_hash, receipt_type FROM ledger_entries WHERE id = 3"
                " AND receipt_hash IS NOT NULL",
                [(RECEIPT, "application/pdf")],
            ),
            (
                "SELECT coalesce(sum(amount), 0) FROM budget_rounds WHERE resolved_at IS NULL",
                [(0,)],
            ),
            (
                "SELECT id FROM budget_rounds WHERE resolved_at IS NULL"
                f" AND voting_close_at <= {T0}",
                [],
            ),
            (f"SELECT id FROM polls WHERE published_at IS NULL AND closes_at <= {T0}", []),
            # ._ROUND_SQL, .proposals, ._resolve_round, .has_approved
            (
                "SELECT r.id, r.title, r.amount, r.opened_at, r.proposals_close_at,"
                " r.voting_open_at, r.voting_close_at, coalesce(unseal('members.name', m.name),"
                " 'a former member'),"
                " r.seed, r.resolved_at,"
                " (SELECT count(*) FROM budget_proposals p WHERE p.round_id = r.id)"
                " FROM budget_rounds r LEFT JOIN members m ON m.id = r.opened_by"
                " ORDER BY r.id DESC",
                [
                    (
                        1,
                        "Small grants, autumn",
                        12000,
                        ROUND_OPENED,
                        T0 - 13 * DAY,
                        T0 - 13 * DAY,
                        ROUND_CLOSED,
                        "Ana",
                        ROUND_SEED,
                        ROUND_RESOLVED,
                        2,
                    ),
                ],
            ),
            (
                "SELECT p.id, p.title, p.description, p.cost, coalesce(unseal('members.name',"
                " m.name), 'a former member'),"
                " p.submitted_at, r.position, r.approvals, r.funded, r.reason, r.entry_id"
                " FROM budget_proposals p LEFT JOIN members m ON m.id = p.proposed_by"
                " LEFT JOIN budget_results r ON r.proposal_id = p.id WHERE p.round_id = 1"
                " ORDER BY coalesce(r.position, 0), p.id",
                [
                    (*PROPOSALS[0][:4], "Ana", PROPOSALS[0][4], 1, 1, 1, "funded", 6),
                    (
                        *PROPOSALS[1][:4],
                        "Ana",
                        PROPOSALS[1][4],
                        2,
                        0,
                        0,
                        "not funded: no approvals",
                        None,
                    ),
                ],
            ),
            # BallotBox (node/store/ballots.py), since migration 15: one approval
            (
                "SELECT width, unseal('ballot_choices.choices', choices)"
                " FROM ballot_choices WHERE contest = 'budget:1'",
                [(5, "[1,1]")],
            ),
            ("SELECT members FROM ballot_voters WHERE contest = 'budget:1'", [("0" * 18 + "1",)]),
            # ._poll (._POLL_SQL), ._poll_view, .voter_status
            (
                "SELECT p.id, p.title, p.body, p.kind, p.options, p.quorum_percent, p.electorate,"
                " coalesce(unseal('members.name', m.name), 'a former member'), p.opens_at,"
                " p.closes_at FROM polls p"
                " LEFT JOIN members m ON m.id = p.proposed_by WHERE p.id = 1",
                [
                    (
                        1,
                        "Open the hub on Sundays?",
                        "From 10:00 to 16:00, staffed by volunteers.",
                        "yes-no",
                        POLL_OPTIONS,
                        20,
                        1,
                        "Ana",
                        T0 - 2 * DAY,
                        T0 + 5 * DAY,
                    ),
                ],
            ),
            (
                "SELECT width, unseal('ballot_choices.choices', choices)"
                " FROM ballot_choices WHERE contest = 'poll:1'",
                [(1, "0")],
            ),
            ("SELECT members FROM ballot_voters WHERE contest = 'poll:1'", [("0" * 18 + "1",)]),
            ("SELECT 1 FROM poll_electorate WHERE poll_id = 1 AND member_id = 1", [(1,)]),
        ],
    ),
    6: Seed(
        _seed_6,
        [
            # Calendar.for_feed (node/events/calendar.py _SELECT), .hub
            (
                "SELECT e.id, e.origin, e.federated, e.sequence, e.title, e.description,"
                " e.starts, e.ends, e.timezone, e.type, e.visibility, e.place, e.lat, e.lon,"
                " e.online_url, e.capacity, e.speakers, e.cohosts, e.cancelled,"
                " e.cancel_reason, e.created_at, e.updated_at, h.name, h.url, h.region,"
                " (SELECT count(*) FROM rsvps r WHERE r.event = e.id)"
                " + (SELECT count(*) FROM registrations g WHERE g.event = e.id)"
                " FROM events e LEFT JOIN hubs h ON h.origin = e.origin"
                f" WHERE e.ends >= {S0} AND e.visibility IN ('public', 'network', 'members')"
                " ORDER BY e.starts LIMIT 500",
                [(*EVENT_MEMBERS_ROW, *HUB, 1), (*EVENT_PUBLIC_ROW, *HUB, 1)],
            ),
            (
                f"SELECT name, url, region, lat, lon FROM hubs WHERE origin = '{HOME}'",
                [(*HUB, LAT, LON)],
            ),
            # The events projection: where the runner resumes it (migration 14 moved the
            # cursor), and the revisions it holds
            ("SELECT last_rowid FROM projection_cursors WHERE name = 'events'", [(2,)]),
            (
                f"SELECT id, origin, seq FROM event_versions WHERE event = {blob(EVENT_PUBLIC)}",
                [(EVENT_UPDATE, HOME, 2)],
            ),
            # Attendance.attendees, .feed_member
            (
                "SELECT unseal('members.name', m.name), unseal('members.email', m.email)"
                " FROM rsvps r JOIN members m ON m.id = r.member_id"
                f" WHERE r.event = {blob(EVENT_MEMBERS)} ORDER BY r.created_at",
                [("Ana", "ana@example.org")],
            ),
            (
                "SELECT unseal('registrations.name', name), unseal('registrations.email', email)"
                f" FROM registrations WHERE event = {blob(EVENT_PUBLIC)}"
                " ORDER BY created_at",
                [("Jo Bloggs", "jo@example.net")],
            ),
            (
                "SELECT t.member_id FROM calendar_tokens t JOIN members m ON m.id = t.member_id"
                f" WHERE t.token_hash = {blob(FEED_TOKEN)} AND m.status = 'active'",
                [(1,)],
            ),
        ],
    ),
    7: Seed(
        _seed_7,
        [
            # The community projections each resume where the one before them stopped.
            (
                "SELECT name, last_rowid FROM projection_cursors WHERE name IN"
                " ('campaigns', 'library', 'speakers', 'directory') ORDER BY name",
                [("campaigns", 2), ("directory", 2), ("library", 2), ("speakers", 2)],
            ),
            # Campaigns.all, .page
            (
                "SELECT c.id, c.origin, c.title, c.summary, c.status, c.created_at,"
                " (SELECT count(*) FROM campaign_endorsements e"
                "  WHERE e.campaign = c.id AND e.origin != c.origin)"
                " FROM campaigns c ORDER BY c.created_at DESC, c.id LIMIT 500",
                [
                    (
                        CAMPAIGN,
                        PEER,
                        "Warm homes this winter",
                        "Insulate every council flat in the ward before next winter.",
                        "active",
                        T0 - 5 * DAY,
                        1,
                    ),
                ],
            ),
            (
                "SELECT text, status, created_at FROM campaign_updates"
                f" WHERE campaign = {blob(CAMPAIGN)} ORDER BY seq DESC",
                [("The council meets us on the 20th.", None, T0 - 2 * DAY)],
            ),
            (
                "SELECT origin, statement, created_at FROM campaign_endorsements"
                f" WHERE campaign = {blob(CAMPAIGN)} AND origin != '{PEER}'"
                " ORDER BY created_at, origin",
                [(ORIGIN, "We are in.", T0 - 4 * DAY)],
            ),
            (
                "SELECT l.kind, l.target, coalesce(s.title, b.title) FROM campaign_links l"
                " LEFT JOIN search s ON s.kind = 'event' AND l.kind = 'event'"
                "  AND s.ref = lower(hex(l.target))"
                " LEFT JOIN library b ON l.kind = 'resource' AND b.id = l.target"
                f" WHERE l.campaign = {blob(CAMPAIGN)} ORDER BY l.rowid",
                [
                    ("event", EVENT_PUBLIC, "Winter warmth fair"),
                    ("resource", RESOURCE, "Draught-proofing guide"),
                ],
            ),
            # Library.items, .tags
            (
                "SELECT l.id, l.origin, l.hash, l.name, l.media_type, l.size, l.title,"
                " l.description, l.tags, l.created_at, r.stored_at IS NOT NULL FROM library l"
                " LEFT JOIN resources r ON r.hash = l.hash"
                " ORDER BY l.created_at DESC, l.id LIMIT 500",
                [
                    (
                        RESOURCE,
                        PEER,
                        b"\x02" * 32,
                        "draught-proofing.txt",
                        "text/plain",
                        10,
                        "Draught-proofing guide",
                        "A step-by-step guide for renters.",
                        '["energy", "housing"]',
                        T0 - 6 * DAY,
                        0,
                    ),
                ],
            ),
            (
                "SELECT DISTINCT value FROM library, json_each(library.tags)"
                " ORDER BY value LIMIT 200",
                [("energy",), ("housing",)],
            ),
            # Speakers.search, .mine
            (
                "SELECT id, origin, topics, area, note, created_at FROM speaker_offers"
                " WHERE withdrawn = 0 ORDER BY created_at DESC LIMIT 200",
                [
                    (
                        SPEAKER_OFFER,
                        PEER,
                        '["energy advice", "renting"]',
                        "Leeds",
                        "Weekday evenings",
                        T0 - 3 * DAY,
                    ),
                ],
            ),
            (
                "SELECT id, topics, area, note, published IS NOT NULL FROM speakers"
                " WHERE member_id = 1 AND withdrawn_at IS NULL ORDER BY id DESC",
                [(1, '["composting"]', "Millbrook", "Happy to speak at schools", 0)],
            ),
            # Directory.entries, and the projection's lookup of an entry's versions
            (
                "SELECT id, name, category, area, hours, contact, description, url,"
                " shared IS NOT NULL FROM directory_local ORDER BY name",
                [
                    (
                        1,
                        "Millbrook Repair Café",
                        "other",
                        "Millbrook",
                        "Sat 10:00-13:00",
                        "0161 496 0000",
                        "Bring broken things; we fix them together.",
                        None,
                        0,
                    ),
                ],
            ),
            (
                "SELECT entry, origin, name, category, area, hours, contact, description, url"
                f" FROM directory_shared WHERE origin != '{HOME}' ORDER BY name LIMIT 1000",
                [
                    (
                        ENTRY,
                        PEER,
                        "Leeds Tenants Union",
                        "housing",
                        "Leeds",
                        "Tue 18:00-20:00",
                        "help@tenants.example.org",
                        "Advice for private renters.",
                        "https://tenants.example.org",
                    ),
                ],
            ),
            (
                "SELECT d.entry, d.origin FROM directory_versions v"
                f" JOIN directory_shared d ON d.entry = v.entry WHERE v.version = {blob(ENTRY_V2)}",
                [(ENTRY, PEER)],
            ),
            # MutualAid.board
            (
                "SELECT p.id, p.member_id, coalesce(unseal('members.name', m.name), 'A member'),"
                " p.type, p.title, p.text,"
                " p.created_at, p.closed_at, p.outcome FROM mutual_aid p"
                " JOIN members m ON m.id = p.member_id WHERE m.status = 'active'"
                " AND p.closed_at IS NULL ORDER BY p.created_at DESC, p.id DESC LIMIT 200",
                [
                    (
                        1,
                        1,
                        "Ana",
                        "offer",
                        "Lifts to the food bank",
                        "I drive there every Thursday and have two seats free.",
                        T0 - DAY,
                        None,
                        None,
                    ),
                ],
            ),
            # Search.query, for a visitor typing "fix broken"; node.store.search.drop_txn
            (
                "SELECT search.kind, search.ref, search.title,"
                " snippet(search, 1, '[', ']', ' … ', 24), search_refs.link"
                " FROM search JOIN search_refs ON search_refs.fts_rowid = search.rowid"
                f" WHERE search MATCH '{match_expression('fix broken')}'"
                " AND search.kind IN ('event', 'campaign', 'resource', 'directory', 'discussion')"
                " AND search.visibility = 'public' ORDER BY bm25(search, 4.0, 1.0) LIMIT 20",
                [
                    (
                        "directory",
                        "local:1",
                        "Millbrook Repair Café",
                        "Bring [broken] things; we [fix] them together. Millbrook Other",
                        None,
                    )
                ],
            ),
            (
                "SELECT fts_rowid FROM search_refs WHERE kind = 'campaign'"
                f" AND ref = '{CAMPAIGN.hex()}'",
                [(2,)],
            ),
        ],
    ),
    8: Seed(
        _seed_8,
        [
            # Assembly.sealed_choice, .reveal
            (f"SELECT choice FROM vote_secrets WHERE vote_id = {blob(VOTE)}", [("For",)]),
            (
                f"SELECT choice, secret FROM vote_secrets WHERE vote_id = {blob(VOTE)}",
                [("For", VOTE_SECRET)],
            ),
        ],
    ),
    9: Seed(
        _seed_9,
        [
            ("SELECT next_key_digest FROM origins", [(b"\x05" * 32,)]),
            ("SELECT value FROM node_state WHERE name = 'recovering'", [("restored",)]),
        ],
    ),
    10: Seed(
        _seed_10,
        [
            # Topics.listing, .posts, .read_at
            (
                "SELECT t.id, t.category, t.title, unseal('members.name', m.name),"
                " (SELECT count(*) FROM posts WHERE topic_id = t.id), t.last_post_at,"
                " coalesce((SELECT read_at FROM discussion_reads WHERE member_id = 1"
                "  AND thread = 'topic:' || t.id), -1)"
                " FROM topics t JOIN members m ON m.id = t.member_id"
                " WHERE t.category != 'working-groups'"
                " ORDER BY t.last_post_at DESC, t.id DESC LIMIT 200",
                [(1, "general", "Sunday opening hours", "Ana", 2, T0 - DAY, T0 - DAY)],
            ),
            (
                "SELECT p.id, p.member_id, unseal('members.name', m.name), p.text, p.created_at,"
                " p.edited_at,"
                " p.deleted_at, p.hidden_at FROM posts p JOIN members m ON m.id = p.member_id"
                " WHERE p.topic_id = 1 ORDER BY p.id",
                [
                    (1, 1, "Ana", POST_TEXT, T0 - 2 * DAY, None, None, None),
                    (
                        2,
                        1,
                        "Ana",
                        "Whoever runs the Saturday stall is useless.",
                        T0 - DAY,
                        None,
                        None,
                        HIDDEN_AT,
                    ),
                ],
            ),
            # Comments.thread, .display_name; the comments view's progress
            (
                "SELECT c.id, c.origin, c.author, c.text, c.created_at, c.edited_at,"
                " c.deleted_at, c.hidden_at, c.reply_to, a.member_id, c.shown_at FROM comments c"
                " LEFT JOIN comment_authors a ON a.comment_id = c.id"
                f" WHERE c.subject = {blob(SUBJECT)} AND c.shown_at IS NOT NULL"
                " AND c.origin NOT IN (SELECT origin FROM blocked_origins)"
                " ORDER BY c.created_at, c.id",
                [
                    (
                        COMMENT,
                        PEER,
                        "sam",
                        "Good news, see you there.",
                        T0 - DAY,
                        None,
                        None,
                        None,
                        None,
                        None,
                        T0 - DAY + 1000,
                    ),
                    (
                        REPLY,
                        HOME,
                        "ana",
                        "Thanks, Sam!",
                        T0 - DAY + 60_000,
                        None,
                        None,
                        None,
                        COMMENT,
                        1,
                        T0 - DAY + 60_000,
                    ),
                ],
            ),
            (
                "SELECT read_at FROM discussion_reads WHERE member_id = 1"
                f" AND thread = 'message:{SUBJECT.hex()}'",
                [(T0 - DAY + 60_000,)],
            ),
            ("SELECT name FROM network_names WHERE member_id = 1", [("ana",)]),
            ("SELECT last_rowid FROM projection_cursors WHERE name = 'comments'", [(2,)]),
            # Moderation.conduct, .open_reports, .standing, .suspended
            (
                "SELECT text FROM conduct WHERE id = 1",
                [("Be kind. Disagree with ideas, not people.",)],
            ),
            (
                "SELECT r.id, r.reason, r.created_at, r.from_hub, r.post_id, p.topic_id,"
                " r.comment_id, c.subject, coalesce(unseal('members.name', pm.name), c.author),"
                " coalesce(p.member_id,"
                " a.member_id), CASE WHEN p.hidden_at IS NULL THEN coalesce(p.text, c.text) END,"
                " c.origin, c.hidden_at"
                " FROM reports r LEFT JOIN posts p ON p.id = r.post_id"
                " LEFT JOIN members pm ON pm.id = p.member_id"
                " LEFT JOIN comments c ON c.id = r.comment_id"
                " LEFT JOIN comment_authors a ON a.comment_id = r.comment_id"
                " WHERE r.resolved_at IS NULL ORDER BY r.created_at",
                [
                    (
                        1,
                        "A personal attack",
                        T0 - DAY + 1_800_000,
                        None,
                        2,
                        1,
                        None,
                        None,
                        "Ana",
                        1,
                        None,
                        None,
                        None,
                    ),
                ],
            ),
            (
                "SELECT unseal('warnings.reason', reason),"
                " given_at FROM warnings WHERE member_id = 1 ORDER BY given_at DESC",
                [('A personal attack in "Sunday opening hours"', HIDDEN_AT)],
            ),
            (
                "SELECT b.member_id, unseal('members.name', m.name), b.until,"
                " unseal('discussion_bans.reason', b.reason)"
                " FROM discussion_bans b"
                f" JOIN members m ON m.id = b.member_id WHERE b.until > {T0} ORDER BY b.until",
                [(1, "Ana", T0 + 6 * DAY, "A week away from discussions after a warning")],
            ),
            # Groups.all, .get, .tasks
            (
                "SELECT g.id, g.name, (SELECT count(*) FROM group_members WHERE group_id = g.id)"
                " FROM working_groups g ORDER BY g.created_at DESC",
                [(1, "Garden group", 1)],
            ),
            (
                "SELECT id, name, purpose, subject, topic_id FROM working_groups WHERE id = 1",
                [(1, "Garden group", "Look after the community garden.", EVENT_PUBLIC, 2)],
            ),
            (
                "SELECT m.id, unseal('members.name', m.name)"
                " FROM group_members g JOIN members m ON m.id = g.member_id"
                " WHERE g.group_id = 1 ORDER BY g.joined_at",
                [(1, "Ana")],
            ),
            (
                "SELECT t.id, t.text, t.taken_by, unseal('members.name', m.name),"
                " t.done_at FROM group_tasks t"
                " LEFT JOIN members m ON m.id = t.taken_by WHERE t.group_id = 1 ORDER BY t.id",
                [(1, "Order compost", 1, "Ana", T0 - DAY), (2, "Fix the gate", None, None, None)],
            ),
            # Search.query by a member, for "rota"
            (
                "SELECT search.kind, search.ref, search.title,"
                " snippet(search, 1, '[', ']', ' … ', 24), search_refs.link"
                " FROM search JOIN search_refs ON search_refs.fts_rowid = search.rowid"
                f" WHERE search MATCH '{match_expression('rota')}'"
                " AND search.kind IN ('discussion')  ORDER BY bm25(search, 4.0, 1.0) LIMIT 20",
                [
                    (
                        "discussion",
                        "post:1",
                        "Sunday opening hours",
                        "Shall we try opening on Sundays from 10? Volunteers for a [rota] welcome.",
                        "/discussions/1#post-1",
                    )
                ],
            ),
        ],
    ),
    11: Seed(
        _seed_11,
        [
            # MessageStore._key_state_at_txn
            (
                f"SELECT public_key, next_key_digest FROM key_history WHERE origin = '{PEER}'"
                " AND from_seq <= 9 ORDER BY from_seq DESC LIMIT 1",
                [(PEER_NEW_KEY, None)],
            ),
            (
                f"SELECT from_seq, next_key_digest FROM key_history WHERE origin = '{ORIGIN}'",
                [(3, b"\x05" * 32)],
            ),
            # node.store.forks.resolutions_txn
            (
                "SELECT origin, from_seq, keep, until_seq FROM fork_resolutions"
                f" WHERE origin IN ('{ORIGIN}') ORDER BY from_seq",
                [(ORIGIN, 2, LOG[1].id, 4)],
            ),
        ],
    ),
    12: Seed(
        _seed_12,
        [
            # ResourceFiles.due: not before its time, then with its count.
            (
                "SELECT hash, size, fetch_failures FROM resources"
                f" WHERE stored_at IS NULL AND next_fetch_at <= {T0}"
                " ORDER BY next_fetch_at, rowid LIMIT 20",
                [],
            ),
            (
                "SELECT hash, size, fetch_failures FROM resources"
                f" WHERE stored_at IS NULL AND next_fetch_at <= {T0 + 5000}"
                " ORDER BY next_fetch_at, rowid LIMIT 20",
                [(b"\x02" * 32, 10, 3)],
            ),
        ],
    ),
    13: Seed(
        _seed_13,
        [
            # Confirmations.pending, Notices._send_to_addresses
            (
                "SELECT kind, event FROM confirmations WHERE token_hash = X'"
                + "13" * 32
                + f"' AND expires_at > {T0}",
                [("join", None)],
            ),
            (
                "SELECT unseal('email_to_address.address', address),"
                " unseal('email_to_address.subject', subject), attempts FROM email_to_address"
                f" WHERE next_attempt <= {T0}",
                [("new@example.org", "Confirm", 0)],
            ),
        ],
    ),
    14: Seed(
        _seed_14,
        [
            # node.store.hubs.hub_profiles
            (
                "SELECT origin, name, url, region, area, description, lat, lon FROM hubs"
                f" WHERE origin = '{PEER}'",
                [
                    (
                        PEER,
                        "Eastfield Hub",
                        "https://eastfield.example.org",
                        "North West",
                        "Eastfield",
                        "A hub by the river",
                        None,
                        None,
                    )
                ],
            ),
            ("SELECT last_rowid FROM projection_cursors WHERE name = 'hubs'", [(3,)]),
        ],
    ),
    15: Seed(
        _seed_15,
        [
            # BallotBox.choices, .turnout, Funds.voter_status
            (
                "SELECT width, unseal('ballot_choices.choices', choices)"
                " FROM ballot_choices WHERE contest = 'poll:2'",
                [(1, "1")],
            ),
            ("SELECT length(members) FROM ballot_voters WHERE contest = 'poll:2'", [(19,)]),
            ("SELECT 1 FROM poll_electorate WHERE poll_id = 2 AND member_id = 1", [(1,)]),
        ],
    ),
    16: Seed(
        _seed_16,
        [
            # node.store.hubs.hub_profiles
            (
                f"SELECT name, meeting_place, contact, timezone FROM hubs WHERE origin = '{PEER}'",
                [
                    (
                        "Eastfield Hub",
                        "The library",
                        "hello@eastfield.example.org",
                        "Europe/London",
                    )
                ],
            ),
        ],
    ),
    17: Seed(
        _seed_17,
        [
            # SpeakerRequestsStore.asked_by, AttendanceCountsStore.hub_counts
            (
                "SELECT topic, answer, share_contact FROM speaker_requests"
                f" WHERE origin = '{ORIGIN}'",
                [("housing law", "accept", 1)],
            ),
            (
                "SELECT origin, count FROM hub_attendance WHERE event = X'" + "17" * 32 + "'",
                [(PEER, 5)],
            ),
        ],
    ),
    18: Seed(
        _seed_18,
        [
            # node.store.elections: nominations and candidates with their statements
            ("SELECT nominee, statement FROM nominations", [(1, "I will keep the minutes short.")]),
        ],
    ),
    19: Seed(
        _seed_19,
        [
            # node.store.activitypub: followers and blocks; activitypub_objects: replies
            ("SELECT shared_inbox FROM ap_followers", [("https://social.example/inbox",)]),
            ("SELECT target FROM ap_blocks", [("spam.example",)]),
            ("SELECT author, hidden FROM ap_replies", [("Ann (social.example)", 0)]),
        ],
    ),
    20: Seed(
        _seed_20,
        [
            # node.store.bundles.BundleStore.holdings
            (f"SELECT origin, seq FROM hub_holdings WHERE hub = '{PEER}'", [(ORIGIN, 7)]),
        ],
    ),
    21: Seed(
        _seed_21,
        [
            # node.store.accounts: the member's chosen language, read with their account
            ("SELECT language FROM members WHERE id = 1", [("cy",)]),
        ],
    ),
    22: Seed(
        _seed_22,
        [
            # node.store.accounts.credentials: found by the blind index, opened by unseal
            (
                "SELECT id, unseal('members.phone', phone) FROM members"
                " WHERE email_index = blind_index('ANA@example.org')",
                [(1, "01632 960001")],
            ),
            ("SELECT method FROM unlock_methods", [("file",)]),
        ],
    ),
}


def build_at(path: Path, version: int) -> None:
    """A database at schema `version`: every migration numbered up to it, in the order
    the node applies them (the list's, which need not be the numbers'), each followed
    by its seed, with foreign keys enforced as the node runs."""
    conn = sqlite3.connect(path, isolation_level=None)
    if version >= SEALING_VERSION:
        # Migration 22 seals with the node's new data key, as Database.open does.
        sealer = Sealer()
        sealer.start_new(KeyPlaces.beside(path).first_start_key())
        sealer.attach_inline(conn)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        for migration in MIGRATIONS:
            if migration.version > version:
                continue
            conn.execute("BEGIN")
            for statement in _split_sql(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            SEEDS[migration.version].rows(conn)
            conn.execute("COMMIT")
    finally:
        conn.close()


def test_every_migration_has_a_seed() -> None:
    assert set(SEEDS) == {m.version for m in MIGRATIONS}, (
        "each migration needs a seed in tests/unit/test_migrations.py"
    )


# SHA-256 of each migration as it shipped (checksum() below). A database that ran a
# migration never runs it again, so an edit to a shipped one would leave old databases
# unlike new ones: the fix is a new migration. Recording a new migration's checksum
# here is the deliberate act that ships it.
SHIPPED = {
    1: "af9da187f7e41bebf5aade429806de1c8933e4c1fa245c6773940f6361892d03",
    2: "6a10de0a1d0869e7653683763c0e8f77213640ec16cdeb3ecdfd577d8a6fc4d0",
    3: "412c08b5e1e1e6006432182abdca7fe6427288a5eaeca7c6941b81d33ac92366",
    4: "b533478a023d973d38bf7dcfee56119440e9bcd2f88fe363228a903296b59a14",
    5: "58838999719cc812a7d17ba805677528ff2a5b26e190d778615d24ae17b7c112",
    6: "f0ea784554c887ad27751efd78bfe995e3b79265ca27492e6124a144ea4057a8",
    7: "8e135f2c9ad823746a504f4d29634f6c8a63c88435fd2cdcee3002719633de3d",
    8: "1f3240556859f13ec1c0c9fd4e9850b2b1e8b2aeb229a88f02315178fe05c5c9",
    9: "0377fd963167ca4723590a1daa112fe366bd0e4970c34dd19f64f8754ef61a36",
    10: "016373ff17f09c29111eda7fd23c967f6c93eb78efaf38e31158d3317ef907b6",
    11: "04c074c0a500b54e47f95ec402621244d492e145c811f5bd50d6d3269e300498",
    12: "802977a6a362b34c9c8cf44a1ea20b940ad01115b4d94a75c16140114a77c93e",
    13: "f1d33890b2c40e0492502a6e5a34f06705f7bfd02d30f147ecce5fb9216d5e4e",
    14: "3a0985620ff5034d35bbfa3b8c3b3ffe25701dc07176372d9d2fb7b4a48c6794",
    15: "20367fb16a43d5a3a59c7ffad6d612bd91076cd5edf8468d74b8d729c0585946",
    16: "7feb3dddcba3adbee801b3e120779641707a5e61a3005cd2025aea915e4f8b77",
    17: "5ac7ab0dc4413966372bafdf8ae614d8bdf3aebb250a12e181c355a7e103ff07",
    18: "4fe9fdb5abbeab1cfb54c540f4f8ce4b5c594fe1052eb0d2de2d6abbafb00404",
    19: "ad054cc9e9adc55fc31957caade794421d83c0570afe20461efc52f1ae5b317d",
    20: "5de7425174dee0bf78126a4774295771c99720916e0b700ccae366a084aa31a1",
    21: "5be68d43bb5e6b869cba28743c54f8a168248deb7b6880f18c38be1836ac7fce",
    22: "0ee0ad9efd2cae4f9c09d0e6cfe87fe5571b882e4f17e4cacd1d1920764df0df",
}


def checksum(migration: Migration) -> str:
    """SHA-256 of the description and the SQL, UTF-8, with a NUL between them."""
    data = migration.description.encode() + b"\0" + migration.sql.encode()
    return hashlib.sha256(data).hexdigest()


def test_shipped_migrations_are_unchanged() -> None:
    # A migration with no checksum yet is test_every_migration_has_a_recorded_checksum's.
    changed = [m.version for m in MIGRATIONS if SHIPPED.get(m.version) not in (None, checksum(m))]
    assert not changed, "\n".join(
        f"migration {v} has changed since it shipped: add a new migration instead" for v in changed
    )
    gone = sorted(set(SHIPPED) - {m.version for m in MIGRATIONS})
    assert not gone, f"migrations {gone} shipped and are gone: put them back"


def test_every_migration_has_a_recorded_checksum() -> None:
    unrecorded = [m for m in MIGRATIONS if m.version not in SHIPPED]
    assert not unrecorded, "\n".join(
        f"migration {m.version} has no recorded checksum: once it is final, add"
        f' {m.version}: "{checksum(m)}" to SHIPPED in tests/unit/test_migrations.py'
        for m in unrecorded
    )


def _migration_module(name: str, version: int) -> ModuleType:
    module = ModuleType(f"node.store.migrations.{name}")
    module.VERSION = version
    module.DESCRIPTION = f"migration {version}"
    module.SQL = "CREATE TABLE t (x);"
    return module


def test_migrations_numbered_one_to_n_are_collected_in_order() -> None:
    migrations = collect([_migration_module("v0001_a", 1), _migration_module("v0002_b", 2)])
    assert [m.version for m in migrations] == [1, 2]


@pytest.mark.parametrize(
    "versions",
    [[2], [1, 3], [1, 2, 2], [2, 1], [1, 0]],
    ids=["not-from-1", "gap", "repeat", "out-of-order", "zero"],
)
def test_migrations_with_a_gap_or_repeat_are_refused(versions: list[int]) -> None:
    modules = [_migration_module(f"v{v:04d}_x", v) for v in versions]
    with pytest.raises(MigrationListError, match="without gaps or repeats"):
        collect(modules)


def test_a_migration_named_for_another_version_is_refused() -> None:
    with pytest.raises(MigrationListError, match="must start with v0002_"):
        collect([_migration_module("v0001_a", 1), _migration_module("v0003_b", 2)])


# The latest too: nothing to upgrade, but its seed is checked before a later
# migration relies on it.
VERSIONS = sorted(m.version for m in MIGRATIONS)


@pytest.mark.parametrize("version", VERSIONS)
async def test_upgrade_keeps_every_row(tmp_path: Path, version: int) -> None:
    path = tmp_path / "hubnet.db"
    build_at(path, version)
    db = await Database.open(path)
    verifier = Verifier(1)
    try:
        assert await db.fetchone("PRAGMA user_version") == (LATEST_VERSION,)
        assert await db.fetchall("PRAGMA integrity_check") == [("ok",)]
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        for seeded in (v for v in SEEDS if v <= version):
            for query, expected in SEEDS[seeded].checks:
                assert await db.fetchall(query) == expected, query
        # The current code reads the old rows and writes beside them.
        store = MessageStore(db, HOME_KEY, ManualClock(), verifier)
        assert [m.id for m in await store.log(ORIGIN)] == [m.id for m in LOG[:2]]
        if version < 9:  # seed 9 puts the node in the recovering state
            assert (await store.append("announcement", Announcement("after"))).seq == 1
    finally:
        await verifier.aclose()
        await db.close()


async def test_the_old_ballots_are_zeroed_not_just_dropped(tmp_path: Path) -> None:
    """Migration 15 moves polls' and budget rounds' votes into the ballot box: their old
    rows, under random keys, must be gone from the file and the log, not left in free
    pages where a copy of the files would show them with their order."""
    path = tmp_path / "hubnet.db"
    build_at(path, 13)
    before = path.read_bytes()
    assert APPROVAL in before and BALLOT in before
    db = await Database.open(path)
    try:
        wal = path.with_name("hubnet.db-wal")
        for stored in (path.read_bytes(), wal.read_bytes() if wal.exists() else b""):
            assert APPROVAL not in stored and BALLOT not in stored
    finally:
        await db.close()
