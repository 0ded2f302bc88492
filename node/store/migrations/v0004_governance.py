"""Schema migration 4, as shipped: never edit it, add a new migration instead."""

VERSION = 4
DESCRIPTION = (
    "the hub's governance: charters, elections, nominations, secret ballots, mandates, notices"
)
SQL = """
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
        """
