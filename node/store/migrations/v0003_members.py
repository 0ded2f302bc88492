"""Schema migration 3, as shipped: never edit it, add a new migration instead."""

VERSION = 3
DESCRIPTION = "members' accounts, roles, sessions and password-reset links (never federated)"
SQL = """
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
        """
