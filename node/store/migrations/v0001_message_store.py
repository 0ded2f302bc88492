"""Schema migration 1, as shipped: never edit it, add a new migration instead."""

VERSION = 1
DESCRIPTION = "message store: origins with their heads, messages, held and forked messages"
SQL = """
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
        """
