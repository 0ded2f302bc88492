"""Schema migration 11, as shipped: never edit it, add a new migration instead."""

VERSION = 11
DESCRIPTION = "key history (each origin's key state from each seq, to judge forks); resolved forks"
SQL = """
        -- PROTOCOL.md §6, §7: fork evidence counts only if the key in force at its seq
        -- signed it. One row per change of an origin's key state (key.rotate,
        -- key.commit, key.revoke): the key and commitment in force for messages at
        -- from_seq and after, until the next row. No row: the key inside the node id.
        CREATE TABLE key_history (
            origin          TEXT NOT NULL,
            from_seq        INTEGER NOT NULL,
            public_key      BLOB NOT NULL,
            next_key_digest BLOB,
            PRIMARY KEY (origin, from_seq)
        );
        -- Logs held before this table existed: their state in force is known only
        -- from the head on. Earlier seqs read as the id's key with no commitment, so
        -- a fork there signed by a later key is refused rather than recorded
        -- (docs/PROTOCOL.md §6): never a fork made up, at worst one not recorded.
        INSERT INTO key_history (origin, from_seq, public_key, next_key_digest)
            SELECT origin, head_seq + 1, public_key, next_key_digest FROM origins
            WHERE head_seq > 0;
        -- PROTOCOL.md §6.2: forks their origins resolved with a fork.resolve. From
        -- from_seq the log continues through `keep`; other messages at seqs from
        -- from_seq to the fork.resolve's own (until_seq), inclusive, are kept as
        -- evidence without quarantining the origin again.
        CREATE TABLE fork_resolutions (
            origin      TEXT NOT NULL,
            from_seq    INTEGER NOT NULL,
            keep        BLOB NOT NULL,
            until_seq   INTEGER NOT NULL,
            resolve_id  BLOB NOT NULL,
            resolved_at INTEGER NOT NULL,     -- ms
            PRIMARY KEY (origin, from_seq)
        );
        """
