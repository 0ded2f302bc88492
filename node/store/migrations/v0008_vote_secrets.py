"""Schema migration 8, as shipped: never edit it, add a new migration instead."""

VERSION = 8
DESCRIPTION = "secrets behind this hub's sealed votes on network motions, kept until revealed"
SQL = """
        -- The choice and secret of a sealed delegate.vote (PROTOCOL.md §13.5): only this
        -- node knows them until the close, when a delegate.reveal publishes them.
        CREATE TABLE vote_secrets (
            vote_id     BLOB PRIMARY KEY,      -- id of the delegate.vote with the commitment
            motion_id   BLOB NOT NULL,
            choice      TEXT NOT NULL,
            secret      BLOB NOT NULL,
            created_at  INTEGER NOT NULL
        );
        """
