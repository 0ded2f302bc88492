"""Schema migration 2, as shipped: never edit it, add a new migration instead."""

VERSION = 2
DESCRIPTION = "federation: peers, invites, the per-peer outbox, blocked origins, resource files"
SQL = """
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
        """
