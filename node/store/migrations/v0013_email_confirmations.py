"""Schema migration 13, as shipped: never edit it, add a new migration instead."""

VERSION = 13
DESCRIPTION = (
    "email confirmations: applications to join and public registrations awaiting their"
    " emailed link; email to addresses that are no member's"
)
SQL = """
        -- node/accounts/confirmations.py: with email set up, an application to join or
        -- a public registration waits here until its emailed one-time link is followed.
        -- Only the link's SHA-256 is kept; it expires, and works once: following it
        -- deletes the row, and expired rows are deleted as new ones are made.
        CREATE TABLE confirmations (
            token_hash  BLOB PRIMARY KEY,
            kind        TEXT NOT NULL CHECK (kind IN ('join', 'register')),
            email       TEXT NOT NULL COLLATE NOCASE,
            event       BLOB,                 -- a registration's event
            details     TEXT NOT NULL,        -- JSON: the form (a password only as its hash)
            created_at  INTEGER NOT NULL,     -- ms
            expires_at  INTEGER NOT NULL      -- ms
        );
        CREATE INDEX confirmations_by_expiry ON confirmations (expires_at);
        -- Email to an address, not a member (email_outbox is members' notices).
        CREATE TABLE email_to_address (
            id            INTEGER PRIMARY KEY,
            address       TEXT NOT NULL,
            subject       TEXT NOT NULL,
            body          TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            next_attempt  INTEGER NOT NULL,
            last_error    TEXT
        );
        CREATE INDEX email_to_address_due ON email_to_address (next_attempt);
        """
