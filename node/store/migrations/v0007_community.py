"""Schema migration 7, as shipped: never edit it, add a new migration instead."""

VERSION = 7
DESCRIPTION = "community: campaigns, library, speakers, directory, mutual aid, search index"
SQL = """
        -- Views derived from stored messages (node/community/projections.py); all of
        -- them can be dropped and rebuilt from `messages` by resetting the cursor.
        CREATE TABLE projection_cursor (
            name        TEXT PRIMARY KEY,
            last_rowid  INTEGER NOT NULL
        );
        CREATE TABLE campaigns (
            id          BLOB PRIMARY KEY,      -- the campaign message's id
            origin      TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            created_at  INTEGER NOT NULL,
            title       TEXT NOT NULL,
            summary     TEXT NOT NULL,
            status      TEXT NOT NULL,         -- the latest applicable status
            principles  TEXT NOT NULL,         -- JSON lists
            goals       TEXT NOT NULL
        );
        -- Updates applied (only those by the campaign's origin are ever written).
        CREATE TABLE campaign_updates (
            id          BLOB PRIMARY KEY,
            campaign    BLOB NOT NULL,
            seq         INTEGER NOT NULL,
            created_at  INTEGER NOT NULL,
            text        TEXT NOT NULL,
            status      TEXT
        );
        CREATE INDEX campaign_updates_by_campaign ON campaign_updates (campaign, seq);
        CREATE TABLE campaign_links (
            campaign    BLOB NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('event', 'resource')),
            target      BLOB NOT NULL,
            PRIMARY KEY (campaign, kind, target)
        );
        -- Kept even when the campaign is not held yet: shown once it arrives.
        CREATE TABLE campaign_endorsements (
            campaign    BLOB NOT NULL,
            origin      TEXT NOT NULL,
            message_id  BLOB NOT NULL,
            created_at  INTEGER NOT NULL,
            statement   TEXT,
            PRIMARY KEY (campaign, origin)
        );
        CREATE TABLE library (
            id          BLOB PRIMARY KEY,      -- the resource message's id
            origin      TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            hash        BLOB NOT NULL,
            name        TEXT NOT NULL,
            media_type  TEXT NOT NULL,
            size        INTEGER NOT NULL,
            title       TEXT NOT NULL,
            description TEXT,
            tags        TEXT NOT NULL          -- JSON list
        );
        CREATE INDEX library_by_hash ON library (hash);
        CREATE TABLE speaker_offers (
            id          BLOB PRIMARY KEY,
            origin      TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            topics      TEXT NOT NULL,         -- JSON list
            area        TEXT,
            note        TEXT,
            withdrawn   INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE directory_shared (
            entry       BLOB PRIMARY KEY,      -- id of the entry's first version
            origin      TEXT NOT NULL,
            version     BLOB NOT NULL,         -- id of the version shown
            seq         INTEGER NOT NULL,
            name        TEXT NOT NULL,
            category    TEXT NOT NULL,
            area        TEXT NOT NULL,
            hours       TEXT NOT NULL,
            contact     TEXT NOT NULL,
            description TEXT,
            url         TEXT
        );
        CREATE TABLE directory_versions (
            version     BLOB PRIMARY KEY,
            entry       BLOB NOT NULL
        );
        -- Local records: kept on this node only.
        -- A member's offer to speak. Personal: erased with the member (ON DELETE).
        CREATE TABLE speakers (
            id          INTEGER PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            topics      TEXT NOT NULL,         -- JSON list
            area        TEXT,
            note        TEXT,
            created_at  INTEGER NOT NULL,
            published   BLOB,                  -- id of the speaker.offer, if published
            withdrawn_at INTEGER
        );
        CREATE INDEX speakers_by_member ON speakers (member_id);  -- export and erasure
        CREATE TABLE directory_local (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            category    TEXT NOT NULL,
            area        TEXT NOT NULL,
            hours       TEXT NOT NULL,
            contact     TEXT NOT NULL,
            description TEXT,
            url         TEXT,
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            shared      BLOB,                  -- id of the first directory.entry, if shared
            latest      BLOB                   -- id of the latest version sent
        );
        -- Members only; never leaves the hub.
        CREATE TABLE mutual_aid (
            id          INTEGER PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            type        TEXT NOT NULL CHECK (type IN ('request', 'offer')),
            title       TEXT NOT NULL,
            text        TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            closed_at   INTEGER,
            outcome     TEXT CHECK (outcome IN ('fulfilled', 'closed'))
        );
        CREATE INDEX mutual_aid_open ON mutual_aid (closed_at, created_at);
        CREATE INDEX mutual_aid_by_member ON mutual_aid (member_id);  -- export and erasure
        -- One search box over everything (node/search.py).
        CREATE VIRTUAL TABLE search USING fts5(
            title, body, kind UNINDEXED, ref UNINDEXED, visibility UNINDEXED,
            tokenize = 'porter unicode61'
        );
        -- FTS5 cannot index kind and ref, so each thing's row is found through here.
        CREATE TABLE search_refs (
            kind        TEXT NOT NULL,
            ref         TEXT NOT NULL,
            fts_rowid   INTEGER NOT NULL,
            link        TEXT,             -- the page, where kind and ref do not say it
            PRIMARY KEY (kind, ref)
        );
        -- Search joins each match to its ref by rowid: without this, every match of a
        -- common word scanned the whole table (seconds for one query at 20,000 things).
        CREATE UNIQUE INDEX search_refs_by_rowid ON search_refs (fts_rowid);
        -- Titles weigh four times the body. As the table's rank, `ORDER BY rank LIMIT`
        -- lets FTS5 keep only the best rows rather than sort every match by bm25().
        INSERT INTO search (search, rank) VALUES ('rank', 'bm25(4.0, 1.0)');
        """
