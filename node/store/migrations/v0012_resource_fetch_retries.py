"""Schema migration 12, as shipped: never edit it, add a new migration instead."""

VERSION = 12
DESCRIPTION = "resources: each missing file's failed fetches and when to try it again"
SQL = """
        -- Each file is retried on its own schedule (node/resources.py): one that no peer
        -- can give backs off and never stands in front of one that has not been tried.
        ALTER TABLE resources ADD COLUMN fetch_failures INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE resources ADD COLUMN next_fetch_at INTEGER NOT NULL DEFAULT 0;  -- ms
        CREATE INDEX resources_to_fetch ON resources (next_fetch_at) WHERE stored_at IS NULL;
        """
