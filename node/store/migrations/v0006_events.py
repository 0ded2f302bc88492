"""Schema migration 6, as shipped: never edit it, add a new migration instead."""

VERSION = 6
DESCRIPTION = "events: the latest version of each event, members-only events, RSVPs, registrations"
SQL = """
        -- Materialised from stored event messages (node/events/projection.py), plus
        -- members-only events (federated = 0), which exist only here and never federate.
        CREATE TABLE events (
            id            BLOB PRIMARY KEY,  -- the original `event` message's id (random if local)
            origin        TEXT NOT NULL,     -- the organising hub's node id
            federated     INTEGER NOT NULL,
            version_seq   INTEGER NOT NULL,  -- seq of the version shown (0: members-only)
            sequence      INTEGER NOT NULL DEFAULT 0,  -- revisions applied: iCalendar SEQUENCE
            title         TEXT NOT NULL,
            description   TEXT,
            starts        INTEGER NOT NULL,  -- seconds, UTC
            ends          INTEGER NOT NULL,
            timezone      TEXT NOT NULL,
            type          TEXT NOT NULL,
            visibility    TEXT NOT NULL CHECK (visibility IN ('public', 'network', 'members')),
            place         TEXT,
            lat           INTEGER,           -- millionths of a degree
            lon           INTEGER,
            online_url    TEXT,
            capacity      INTEGER,
            speakers      TEXT NOT NULL DEFAULT '[]',  -- JSON list
            cohosts       TEXT NOT NULL DEFAULT '[]',
            cancelled     INTEGER NOT NULL DEFAULT 0,
            cancel_reason TEXT,
            created_at    INTEGER NOT NULL,  -- ms: the original's created-at
            updated_at    INTEGER NOT NULL   -- ms: the version shown's created-at
        );
        CREATE INDEX events_by_end ON events (ends, starts);
        CREATE INDEX events_by_start ON events (starts);
        CREATE INDEX events_by_origin ON events (origin, starts);
        -- Every event.update and event.cancel seen, applied or still waiting for its event.
        CREATE TABLE event_versions (
            id          BLOB PRIMARY KEY,
            event       BLOB NOT NULL,
            origin      TEXT NOT NULL,
            seq         INTEGER NOT NULL
        );
        CREATE INDEX event_versions_by_event ON event_versions (event);
        -- Each origin's latest hub.profile, for the calendar's region, hub and distance filters.
        CREATE TABLE calendar_hubs (
            origin      TEXT PRIMARY KEY,
            seq         INTEGER NOT NULL,
            name        TEXT NOT NULL,
            url         TEXT NOT NULL,
            region      TEXT,
            lat         INTEGER,
            lon         INTEGER
        );
        CREATE INDEX calendar_hubs_by_region ON calendar_hubs (region);
        -- How far through the messages table the projection has read (rowid).
        CREATE TABLE event_projection (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            last_rowid  INTEGER NOT NULL
        );
        -- Personal data: stays on this node.
        CREATE TABLE rsvps (
            event       BLOB NOT NULL,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            created_at  INTEGER NOT NULL,
            PRIMARY KEY (event, member_id)
        );
        CREATE INDEX rsvps_by_member ON rsvps (member_id);
        CREATE TABLE registrations (
            id          INTEGER PRIMARY KEY,
            event       BLOB NOT NULL,
            name        TEXT NOT NULL,
            email       TEXT NOT NULL COLLATE NOCASE,
            created_at  INTEGER NOT NULL,
            UNIQUE (event, email)
        );
        -- A member's secret "my events" feed address; only its hash is kept.
        CREATE TABLE calendar_tokens (
            token_hash  BLOB PRIMARY KEY,
            member_id   INTEGER NOT NULL UNIQUE REFERENCES members (id),
            created_at  INTEGER NOT NULL
        );
        """
