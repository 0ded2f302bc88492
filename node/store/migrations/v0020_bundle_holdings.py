"""Schema migration 20, as shipped: never edit it, add a new migration instead."""

VERSION = 20
DESCRIPTION = "what another hub held when it wrote a bundle this node imported"
SQL = """
        -- PROTOCOL.md §15: a bundle's header lists its hub's head seq per origin. Kept
        -- per hub, so a bundle written back for that hub (`hubnet bundle export --for`)
        -- leaves out what it already holds. Node ids and seqs only; no client address
        -- is kept anywhere (docs/THREAT_MODEL.md), so there is none to erase here.
        CREATE TABLE hub_holdings (
            hub         TEXT NOT NULL,
            origin      TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            recorded_at INTEGER NOT NULL,
            PRIMARY KEY (hub, origin)
        ) WITHOUT ROWID;
"""
