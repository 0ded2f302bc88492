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
        4,
        "the hub's governance: charters, elections, nominations, secret ballots, mandates, notices",
        """
        -- Charter versions this hub adopted (the newest is in force); none: the built-in one.
        CREATE TABLE charters (
            version     TEXT PRIMARY KEY,
            title       TEXT NOT NULL,
            text        TEXT NOT NULL,
            adopted_at  INTEGER NOT NULL,
            adopted_by  INTEGER REFERENCES members (id),
            message_id  BLOB                -- the charter.adopt message published for it
        );
        -- A term's end has been acted on (notices sent, a delegate's recall queued).
        ALTER TABLE member_roles ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
        -- Elections for a role, and recall votes. The id is random and public: it seeds
        -- the tie-break draw (docs/ARCHITECTURE.md, "Governance").
        CREATE TABLE elections (
            id                TEXT PRIMARY KEY,
            kind              TEXT NOT NULL CHECK (kind IN ('election', 'recall')),
            role              TEXT NOT NULL,
            method            TEXT NOT NULL
                CHECK (method IN ('plurality', 'instant-runoff', 'yes-no')),
            opened_by         INTEGER REFERENCES members (id),
            opened_at         INTEGER NOT NULL,
            nominations_close INTEGER NOT NULL,
            voting_opens      INTEGER NOT NULL,
            voting_closes     INTEGER NOT NULL,
            recall_member     INTEGER REFERENCES members (id),  -- recall: whose term
            recall_starts_at  INTEGER,                          -- recall: which term
            state             TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
            voting_noticed    INTEGER NOT NULL DEFAULT 0,       -- "voting is open" sent
            reminded          INTEGER NOT NULL DEFAULT 0,       -- "voting closes soon" sent
            closed_at         INTEGER,
            result            TEXT,              -- JSON: rounds of counts, winner, lots
            elected           INTEGER REFERENCES members (id)
        );
        CREATE INDEX elections_by_state ON elections (state, voting_closes);
        CREATE TABLE nominations (
            election_id   TEXT NOT NULL REFERENCES elections (id),
            nominee       INTEGER NOT NULL REFERENCES members (id),
            nominated_by  INTEGER REFERENCES members (id),
            nominated_at  INTEGER NOT NULL,
            accepted_at   INTEGER,
            network_name  TEXT,     -- delegate elections: the name the nominee gives the network
            PRIMARY KEY (election_id, nominee)
        );
        -- The secret ballot, in two tables with nothing in common but the election.
        -- Who voted: no time, no order (keyed by member, WITHOUT ROWID).
        CREATE TABLE voters (
            election_id TEXT NOT NULL REFERENCES elections (id),
            member_id   INTEGER NOT NULL REFERENCES members (id),
            PRIMARY KEY (election_id, member_id)
        ) WITHOUT ROWID;
        -- What was chosen: one row per election holding every ballot cast, sorted, so no
        -- key, position, time or order is left that could name the ballot's voter.
        CREATE TABLE ballot_boxes (
            election_id TEXT PRIMARY KEY REFERENCES elections (id),
            ballots     TEXT NOT NULL          -- JSON list of rankings, kept sorted
        ) WITHOUT ROWID;
        -- The delegate's mandates as published (delegate.mandate) and ended (delegate.recall).
        CREATE TABLE delegate_mandates (
            member_id     INTEGER NOT NULL REFERENCES members (id),
            starts_at     INTEGER NOT NULL,
            ends_at       INTEGER NOT NULL,
            network_name  TEXT NOT NULL,
            message_id    BLOB,           -- NULL until the mandate is published
            ended_at      INTEGER,        -- when the term ended, early or on time
            end_reason    TEXT,
            recall_id     BLOB,           -- NULL until the recall is published
            PRIMARY KEY (member_id, starts_at)
        );
        -- In-app notices for members (node/notices.py), and email waiting to be sent.
        CREATE TABLE notices (
            id          INTEGER PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            text        TEXT NOT NULL,
            link        TEXT,
            created_at  INTEGER NOT NULL,
            read_at     INTEGER
        );
        CREATE INDEX notices_by_member ON notices (member_id, read_at);
        CREATE TABLE email_outbox (
            id            INTEGER PRIMARY KEY,
            member_id     INTEGER NOT NULL REFERENCES members (id),
            subject       TEXT NOT NULL,
            body          TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            next_attempt  INTEGER NOT NULL,
            last_error    TEXT
        );
        CREATE INDEX email_outbox_due ON email_outbox (next_attempt);
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
