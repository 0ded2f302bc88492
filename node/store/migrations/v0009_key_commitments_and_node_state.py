"""Schema migration 9, as shipped: never edit it, add a new migration instead."""

VERSION = 9
DESCRIPTION = "operations: key pre-rotation commitments and the node's own recovery state"
SQL = """
        -- PROTOCOL.md §7.1: SHA-256 of the key an origin committed to rotate to next.
        ALTER TABLE origins ADD COLUMN next_key_digest BLOB;
        -- Facts about this node itself, by name (e.g. 'recovering' after a restore).
        CREATE TABLE node_state (
            name        TEXT PRIMARY KEY,
            value       TEXT NOT NULL,
            set_at      INTEGER NOT NULL
        );
        """
