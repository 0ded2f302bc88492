"""Numbered, described schema migrations; each runs in its own transaction.

PRAGMA user_version holds the number of the last migration applied. Never edit a
migration that has shipped: add a new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "message store: origins with their heads, messages, held and forked messages",
        """
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
        """,
    ),
    Migration(
        2,
        "federation: peers, invites, the per-peer outbox, blocked origins, resource files",
        """
        CREATE TABLE peers (
            node_id       TEXT PRIMARY KEY,
            url           TEXT NOT NULL,
            name          TEXT,
            added_at      INTEGER NOT NULL,
            blocked       INTEGER NOT NULL DEFAULT 0,
            last_contact  INTEGER,            -- ms: last request that succeeded, either way
            last_error    TEXT,
            last_error_at INTEGER,
            failures      INTEGER NOT NULL DEFAULT 0,  -- consecutive failed deliveries
            next_attempt  INTEGER NOT NULL DEFAULT 0   -- ms: back-off until then
        );
        -- Only a hash of each invite's secret is kept; the secret is in the invite text.
        CREATE TABLE invites (
            token_hash  BLOB PRIMARY KEY,
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            used_by     TEXT
        );
        -- Messages waiting to be pushed to each peer, in the order they were stored.
        CREATE TABLE outbox (
            seq         INTEGER PRIMARY KEY,
            peer        TEXT NOT NULL,
            message_id  BLOB NOT NULL,
            UNIQUE (peer, message_id)
        );
        CREATE INDEX outbox_by_peer ON outbox (peer, seq);
        CREATE TABLE blocked_origins (
            origin      TEXT PRIMARY KEY,
            blocked_at  INTEGER NOT NULL,
            reason      TEXT
        );
        -- Content-addressed files named by resource messages; the bytes live in files/.
        CREATE TABLE resources (
            hash        BLOB PRIMARY KEY,
            size        INTEGER NOT NULL,
            media_type  TEXT NOT NULL,
            stored_at   INTEGER                -- NULL until the file has been fetched
        );
        """,
    ),
    Migration(
        3,
        "members' accounts, roles, sessions and password-reset links (never federated)",
        """
        -- Personal data: stays on this node. Erased (set to NULL) when a member leaves.
        CREATE TABLE members (
            id                  INTEGER PRIMARY KEY,
            email               TEXT UNIQUE COLLATE NOCASE,
            name                TEXT,
            phone               TEXT,
            statement           TEXT,          -- what they wrote when applying
            password_hash       TEXT,
            status              TEXT NOT NULL
                CHECK (status IN ('applied', 'active', 'rejected', 'suspended', 'left')),
            charter_version     TEXT NOT NULL,
            charter_signed_at   INTEGER NOT NULL,
            privacy_version     TEXT NOT NULL,
            privacy_accepted_at INTEGER NOT NULL,
            applied_at          INTEGER NOT NULL,
            decided_at          INTEGER,
            decided_by          INTEGER REFERENCES members (id),
            left_at             INTEGER
        );
        -- Who holds which role, when. Open-ended (ends_at NULL) for the interim group.
        CREATE TABLE member_roles (
            member_id   INTEGER NOT NULL REFERENCES members (id),
            role        TEXT NOT NULL,
            starts_at   INTEGER NOT NULL,
            ends_at     INTEGER,
            PRIMARY KEY (member_id, role, starts_at)
        );
        -- Server-side sessions; the cookie holds a random id, the table its hash.
        CREATE TABLE sessions (
            id_hash     BLOB PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            created_at  INTEGER NOT NULL,
            last_seen   INTEGER NOT NULL
        );
        CREATE INDEX sessions_by_member ON sessions (member_id);
        CREATE TABLE reset_links (
            token_hash  BLOB PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            created_by  INTEGER REFERENCES members (id),
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            used_at     INTEGER
        );
        """,
    ),
    Migration(
        6,
        "events: the latest version of each event, members-only events, RSVPs, registrations",
        """
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
        """,
    ),
    Migration(
        7,
        "community: campaigns, library, speakers, directory, mutual aid, search index",
        """
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
        """,
    ),
    Migration(
        8,
        "secrets behind this hub's sealed votes on network motions, kept until revealed",
        """
        -- The choice and secret of a sealed delegate.vote (PROTOCOL.md §13.5): only this
        -- node knows them until the close, when a delegate.reveal publishes them.
        CREATE TABLE vote_secrets (
            vote_id     BLOB PRIMARY KEY,      -- id of the delegate.vote with the commitment
            motion_id   BLOB NOT NULL,
            choice      TEXT NOT NULL,
            secret      BLOB NOT NULL,
            created_at  INTEGER NOT NULL
        );
        """,
    ),
    Migration(
        10,
        "discussions: hub threads, network comments, working groups, moderation",
        """
        -- Hub discussions: members only, never federated.
        CREATE TABLE topics (
            id            INTEGER PRIMARY KEY,
            category      TEXT NOT NULL,
            title         TEXT NOT NULL,
            member_id     INTEGER NOT NULL REFERENCES members (id),
            created_at    INTEGER NOT NULL,
            last_post_at  INTEGER NOT NULL
        );
        CREATE INDEX topics_by_category ON topics (category, last_post_at);
        CREATE TABLE posts (
            id          INTEGER PRIMARY KEY,
            topic_id    INTEGER NOT NULL REFERENCES topics (id),
            member_id   INTEGER NOT NULL REFERENCES members (id),
            text        TEXT,                 -- NULL once deleted
            created_at  INTEGER NOT NULL,
            edited_at   INTEGER,
            deleted_at  INTEGER,
            hidden_at   INTEGER,              -- hidden by a moderator
            hidden_by   INTEGER REFERENCES members (id)
        );
        CREATE INDEX posts_by_topic ON posts (topic_id, id);
        CREATE INDEX posts_by_member ON posts (member_id, created_at);
        -- Comments on network messages, materialised from comment / comment.update /
        -- comment.delete messages; everything but hidden_* can be rebuilt from them.
        CREATE TABLE comments (
            id          BLOB PRIMARY KEY,     -- the comment message's id
            origin      TEXT NOT NULL,
            subject     BLOB NOT NULL,
            reply_to    BLOB,
            author      TEXT NOT NULL,        -- the network display name in the message
            text        TEXT,                 -- NULL once deleted: a tombstone
            created_at  INTEGER NOT NULL,     -- ms, from the message
            edited_at   INTEGER,
            deleted_at  INTEGER,
            shown_at    INTEGER,              -- ms; NULL while held back by the per-origin limit
            hidden_at   INTEGER,              -- hidden on this hub by a moderator
            hidden_by   INTEGER REFERENCES members (id)
        );
        CREATE INDEX comments_by_subject ON comments (subject, created_at);
        CREATE INDEX comments_by_origin ON comments (origin, shown_at);
        -- Which member wrote each comment this hub published: never federated.
        CREATE TABLE comment_authors (
            comment_id  BLOB PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            created_at  INTEGER NOT NULL
        );
        CREATE INDEX comment_authors_by_member ON comment_authors (member_id, created_at);
        -- The one name a member chose for the network (the only thing of theirs that leaves).
        CREATE TABLE network_names (
            member_id   INTEGER PRIMARY KEY REFERENCES members (id),
            name        TEXT NOT NULL UNIQUE COLLATE NOCASE
        );
        -- When each member last read each thread ("topic:7", "message:<hex id>").
        CREATE TABLE discussion_reads (
            member_id   INTEGER NOT NULL REFERENCES members (id),
            thread      TEXT NOT NULL,
            read_at     INTEGER NOT NULL,
            PRIMARY KEY (member_id, thread)
        );
        -- How far through the messages table the comments view has been brought.
        CREATE TABLE discussion_progress (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            last_rowid  INTEGER NOT NULL
        );
        INSERT INTO discussion_progress (id, last_rowid) VALUES (1, 0);
        CREATE TABLE conduct (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            text        TEXT NOT NULL,
            updated_at  INTEGER NOT NULL,
            updated_by  INTEGER REFERENCES members (id)
        );
        -- Reports of a post or comment. reporter_id stays here; a report from another
        -- hub names only that hub.
        CREATE TABLE reports (
            id          INTEGER PRIMARY KEY,
            post_id     INTEGER REFERENCES posts (id),
            comment_id  BLOB,
            reason      TEXT NOT NULL,
            reporter_id INTEGER REFERENCES members (id),
            from_hub    TEXT,
            created_at  INTEGER NOT NULL,
            resolved_at INTEGER,
            resolved_by INTEGER REFERENCES members (id),
            outcome     TEXT
        );
        CREATE INDEX reports_open ON reports (resolved_at, created_at);
        CREATE TABLE warnings (
            id          INTEGER PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            reason      TEXT NOT NULL,
            given_by    INTEGER REFERENCES members (id),
            given_at    INTEGER NOT NULL
        );
        -- Members suspended from posting (not from the hub) until a time.
        CREATE TABLE discussion_bans (
            member_id   INTEGER PRIMARY KEY REFERENCES members (id),
            until       INTEGER NOT NULL,
            reason      TEXT NOT NULL,
            given_by    INTEGER REFERENCES members (id),
            given_at    INTEGER NOT NULL
        );
        CREATE TABLE working_groups (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            purpose     TEXT NOT NULL,
            subject     BLOB,                 -- a campaign or event message, if any
            topic_id    INTEGER NOT NULL REFERENCES topics (id),
            created_by  INTEGER NOT NULL REFERENCES members (id),
            created_at  INTEGER NOT NULL
        );
        CREATE TABLE group_members (
            group_id    INTEGER NOT NULL REFERENCES working_groups (id),
            member_id   INTEGER NOT NULL REFERENCES members (id),
            joined_at   INTEGER NOT NULL,
            PRIMARY KEY (group_id, member_id)
        );
        CREATE TABLE group_tasks (
            id          INTEGER PRIMARY KEY,
            group_id    INTEGER NOT NULL REFERENCES working_groups (id),
            text        TEXT NOT NULL,
            taken_by    INTEGER REFERENCES members (id),
            done_at     INTEGER,
            created_by  INTEGER NOT NULL REFERENCES members (id),
            created_at  INTEGER NOT NULL
        );
        CREATE INDEX group_tasks_by_group ON group_tasks (group_id, id);
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
