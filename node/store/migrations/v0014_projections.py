"""Schema migration 14, as shipped: never edit it, add a new migration instead."""

VERSION = 14
DESCRIPTION = "projections: one cursor table for every projection, and one table of hubs"
SQL = """
        -- The projection runner's cursors (node/projections/runner.py): for each
        -- projection, the rowid of the last message it applied. The three cursors
        -- kept before move here, so nothing is applied twice.
        CREATE TABLE projection_cursors (
            name        TEXT PRIMARY KEY,
            last_rowid  INTEGER NOT NULL
        );
        INSERT INTO projection_cursors (name, last_rowid)
            SELECT 'events', last_rowid FROM event_projection WHERE id = 1;
        INSERT INTO projection_cursors (name, last_rowid)
            SELECT part.name, c.last_rowid FROM projection_cursor c,
            (SELECT 'campaigns' AS name UNION ALL SELECT 'library' UNION ALL
             SELECT 'speakers' UNION ALL SELECT 'directory') part
            WHERE c.name = 'community';
        INSERT INTO projection_cursors (name, last_rowid)
            SELECT 'comments', last_rowid FROM discussion_progress WHERE id = 1;
        -- Every hub's latest hub.profile, members of the network or not (the hubs
        -- projection). Seeded from the calendar's copy; its cursor starts at 0, so
        -- the runner reads every profile again at start and fills in the rest.
        CREATE TABLE hubs (
            origin      TEXT PRIMARY KEY,
            seq         INTEGER NOT NULL,
            name        TEXT NOT NULL,
            url         TEXT NOT NULL,
            region      TEXT,
            area        TEXT,
            description TEXT,
            lat         INTEGER,           -- millionths of a degree
            lon         INTEGER
        );
        CREATE INDEX hubs_by_region ON hubs (region);
        INSERT INTO hubs (origin, seq, name, url, region, lat, lon)
            SELECT origin, seq, name, url, region, lat, lon FROM calendar_hubs;
        DROP TABLE calendar_hubs;
        DROP TABLE event_projection;
        DROP TABLE projection_cursor;
        DROP TABLE discussion_progress;
        """
