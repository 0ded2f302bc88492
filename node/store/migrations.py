"""Numbered, described schema migrations; each runs in its own transaction.

PRAGMA user_version holds the number of the last migration applied. Never edit a
migration that has shipped: add a new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "message store: origins with their heads, messages, held and forked messages",
        """
        -- One row per origin whose messages we hold: its key in force and its head.
        CREATE TABLE origins (
            origin      TEXT PRIMARY KEY,
            public_key  BLOB NOT NULL,
            head_seq    INTEGER NOT NULL DEFAULT 0,
            head_id     BLOB,
            forked_at   INTEGER,          -- ms; set when two messages share a seq
            first_seen  INTEGER NOT NULL
        );
        -- The source of truth: payload and signature exactly as received.
        CREATE TABLE messages (
            rowid       INTEGER PRIMARY KEY,
            id          BLOB NOT NULL UNIQUE,
            origin      TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            kind        TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            payload     BLOB NOT NULL,
            signature   BLOB NOT NULL,
            UNIQUE (origin, seq)
        );
        CREATE INDEX messages_by_kind ON messages (kind, created_at);
        -- Messages that skipped ahead of their origin's head, kept until the gap fills.
        CREATE TABLE held (
            id          BLOB PRIMARY KEY,
            origin      TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            payload     BLOB NOT NULL,
            signature   BLOB NOT NULL,
            UNIQUE (origin, seq)
        );
        -- Evidence of equivocation: a second message at a seq we already hold.
        CREATE TABLE forks (
            id          BLOB PRIMARY KEY,
            origin      TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            other_id    BLOB NOT NULL,    -- the message we hold at that seq
            received_at INTEGER NOT NULL,
            payload     BLOB NOT NULL,
            signature   BLOB NOT NULL
        );
        CREATE INDEX forks_by_origin ON forks (origin, seq);
        """,
    ),
    Migration(
        2,
        "federation: peers, invites, the per-peer outbox, blocked origins, resource files",
        """
        CREATE TABLE peers (
            node_id       TEXT PRIMARY KEY,
            url           TEXT NOT NULL,
            name          TEXT,
            added_at      INTEGER NOT NULL,
            blocked       INTEGER NOT NULL DEFAULT 0,
            last_contact  INTEGER,            -- ms: last request that succeeded, either way
            last_error    TEXT,
            last_error_at INTEGER,
            failures      INTEGER NOT NULL DEFAULT 0,  -- consecutive failed deliveries
            next_attempt  INTEGER NOT NULL DEFAULT 0   -- ms: back-off until then
        );
        -- Only a hash of each invite's secret is kept; the secret is in the invite text.
        CREATE TABLE invites (
            token_hash  BLOB PRIMARY KEY,
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            used_by     TEXT
        );
        -- Messages waiting to be pushed to each peer, in the order they were stored.
        CREATE TABLE outbox (
            seq         INTEGER PRIMARY KEY,
            peer        TEXT NOT NULL,
            message_id  BLOB NOT NULL,
            UNIQUE (peer, message_id)
        );
        CREATE INDEX outbox_by_peer ON outbox (peer, seq);
        CREATE TABLE blocked_origins (
            origin      TEXT PRIMARY KEY,
            blocked_at  INTEGER NOT NULL,
            reason      TEXT
        );
        -- Content-addressed files named by resource messages; the bytes live in files/.
        CREATE TABLE resources (
            hash        BLOB PRIMARY KEY,
            size        INTEGER NOT NULL,
            media_type  TEXT NOT NULL,
            stored_at   INTEGER                -- NULL until the file has been fetched
        );
        """,
    ),
    Migration(
        3,
        "members' accounts, roles, sessions and password-reset links (never federated)",
        """
        -- Personal data: stays on this node. Erased (set to NULL) when a member leaves.
        CREATE TABLE members (
            id                  INTEGER PRIMARY KEY,
            email               TEXT UNIQUE COLLATE NOCASE,
            name                TEXT,
            phone               TEXT,
            statement           TEXT,          -- what they wrote when applying
            password_hash       TEXT,
            status              TEXT NOT NULL
                CHECK (status IN ('applied', 'active', 'rejected', 'suspended', 'left')),
            charter_version     TEXT NOT NULL,
            charter_signed_at   INTEGER NOT NULL,
            privacy_version     TEXT NOT NULL,
            privacy_accepted_at INTEGER NOT NULL,
            applied_at          INTEGER NOT NULL,
            decided_at          INTEGER,
            decided_by          INTEGER REFERENCES members (id),
            left_at             INTEGER
        );
        -- Who holds which role, when. Open-ended (ends_at NULL) for the interim group.
        CREATE TABLE member_roles (
            member_id   INTEGER NOT NULL REFERENCES members (id),
            role        TEXT NOT NULL,
            starts_at   INTEGER NOT NULL,
            ends_at     INTEGER,
            PRIMARY KEY (member_id, role, starts_at)
        );
        -- Server-side sessions; the cookie holds a random id, the table its hash.
        CREATE TABLE sessions (
            id_hash     BLOB PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            created_at  INTEGER NOT NULL,
            last_seen   INTEGER NOT NULL
        );
        CREATE INDEX sessions_by_member ON sessions (member_id);
        CREATE TABLE reset_links (
            token_hash  BLOB PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            created_by  INTEGER REFERENCES members (id),
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            used_at     INTEGER
        );
        """,
    ),
    Migration(
        9,
        "operations: key pre-rotation commitments and the node's own recovery state",
        """
        -- PROTOCOL.md §7.1: SHA-256 of the key an origin committed to rotate to next.
        ALTER TABLE origins ADD COLUMN next_key_digest BLOB;
        -- Facts about this node itself, by name (e.g. 'recovering' after a restore).
        CREATE TABLE node_state (
            name        TEXT PRIMARY KEY,
            value       TEXT NOT NULL,
            set_at      INTEGER NOT NULL
        );
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
