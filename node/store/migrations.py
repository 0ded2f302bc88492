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
        4,
        "the hub's governance: charters, elections, nominations, secret ballots, mandates, notices",
        """
        -- Charter versions this hub adopted (the newest is in force); none: the built-in one.
        CREATE TABLE charters (
            version     TEXT PRIMARY KEY,
            title       TEXT NOT NULL,
            text        TEXT NOT NULL,
            adopted_at  INTEGER NOT NULL,
            adopted_by  INTEGER REFERENCES members (id),
            message_id  BLOB                -- the charter.adopt message published for it
        );
        -- A term's end has been acted on (notices sent, a delegate's recall queued).
        ALTER TABLE member_roles ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
        -- Elections for a role, and recall votes. The id is random and public: it seeds
        -- the tie-break draw (docs/ARCHITECTURE.md, "Governance").
        CREATE TABLE elections (
            id                TEXT PRIMARY KEY,
            kind              TEXT NOT NULL CHECK (kind IN ('election', 'recall')),
            role              TEXT NOT NULL,
            method            TEXT NOT NULL
                CHECK (method IN ('plurality', 'instant-runoff', 'yes-no')),
            opened_by         INTEGER REFERENCES members (id),
            opened_at         INTEGER NOT NULL,
            nominations_close INTEGER NOT NULL,
            voting_opens      INTEGER NOT NULL,
            voting_closes     INTEGER NOT NULL,
            recall_member     INTEGER REFERENCES members (id),  -- recall: whose term
            recall_starts_at  INTEGER,                          -- recall: which term
            state             TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
            voting_noticed    INTEGER NOT NULL DEFAULT 0,       -- "voting is open" sent
            reminded          INTEGER NOT NULL DEFAULT 0,       -- "voting closes soon" sent
            closed_at         INTEGER,
            result            TEXT,              -- JSON: rounds of counts, winner, lots
            elected           INTEGER REFERENCES members (id)
        );
        CREATE INDEX elections_by_state ON elections (state, voting_closes);
        CREATE TABLE nominations (
            election_id   TEXT NOT NULL REFERENCES elections (id),
            nominee       INTEGER NOT NULL REFERENCES members (id),
            nominated_by  INTEGER REFERENCES members (id),
            nominated_at  INTEGER NOT NULL,
            accepted_at   INTEGER,
            network_name  TEXT,     -- delegate elections: the name the nominee gives the network
            PRIMARY KEY (election_id, nominee)
        );
        -- The secret ballot, in two tables with nothing in common but the election.
        -- Who voted: no time, no order (keyed by member, WITHOUT ROWID).
        CREATE TABLE voters (
            election_id TEXT NOT NULL REFERENCES elections (id),
            member_id   INTEGER NOT NULL REFERENCES members (id),
            PRIMARY KEY (election_id, member_id)
        ) WITHOUT ROWID;
        -- What was chosen: one row per election holding every ballot cast, sorted, so no
        -- key, position, time or order is left that could name the ballot's voter.
        CREATE TABLE ballot_boxes (
            election_id TEXT PRIMARY KEY REFERENCES elections (id),
            ballots     TEXT NOT NULL          -- JSON list of rankings, kept sorted
        ) WITHOUT ROWID;
        -- The delegate's mandates as published (delegate.mandate) and ended (delegate.recall).
        CREATE TABLE delegate_mandates (
            member_id     INTEGER NOT NULL REFERENCES members (id),
            starts_at     INTEGER NOT NULL,
            ends_at       INTEGER NOT NULL,
            network_name  TEXT NOT NULL,
            message_id    BLOB,           -- NULL until the mandate is published
            ended_at      INTEGER,        -- when the term ended, early or on time
            end_reason    TEXT,
            recall_id     BLOB,           -- NULL until the recall is published
            PRIMARY KEY (member_id, starts_at)
        );
        -- In-app notices for members (node/notices.py), and email waiting to be sent.
        CREATE TABLE notices (
            id          INTEGER PRIMARY KEY,
            member_id   INTEGER NOT NULL REFERENCES members (id),
            text        TEXT NOT NULL,
            link        TEXT,
            created_at  INTEGER NOT NULL,
            read_at     INTEGER
        );
        CREATE INDEX notices_by_member ON notices (member_id, read_at);
        CREATE TABLE email_outbox (
            id            INTEGER PRIMARY KEY,
            member_id     INTEGER NOT NULL REFERENCES members (id),
            subject       TEXT NOT NULL,
            body          TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            next_attempt  INTEGER NOT NULL,
            last_error    TEXT
        );
        CREATE INDEX email_outbox_due ON email_outbox (next_attempt);
        """,
    ),
    Migration(
        5,
        "the hub's funds ledger (append-only), budget rounds, proposals and approvals, local polls",
        """
        -- The funds ledger only grows: corrections are new rows naming the row they
        -- correct (once each), and the triggers below refuse every UPDATE and DELETE.
        CREATE TABLE ledger_entries (
            id            INTEGER PRIMARY KEY,
            kind          TEXT NOT NULL
                CHECK (kind IN ('income', 'spending', 'commitment', 'void')),
            amount        INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND (
                              (kind = 'void' AND amount = 0) OR (kind <> 'void' AND amount > 0))),
            entry_date    TEXT NOT NULL CHECK (
                              entry_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                              AND date(entry_date, '+0 days') = entry_date),
            category      TEXT NOT NULL CHECK (length(category) BETWEEN 1 AND 60),
            note          TEXT NOT NULL DEFAULT '',
            corrects      INTEGER UNIQUE REFERENCES ledger_entries (id),
            against       INTEGER REFERENCES ledger_entries (id),
            round_id      INTEGER REFERENCES budget_rounds (id),
            proposal_id   INTEGER REFERENCES budget_proposals (id),
            receipt_hash  BLOB,
            receipt_type  TEXT,
            receipt_size  INTEGER,
            recorded_by   INTEGER REFERENCES members (id),  -- NULL: by the node (a round's result)
            recorded_at   INTEGER NOT NULL,
            CHECK (kind <> 'void' OR corrects IS NOT NULL),
            CHECK (against IS NULL OR kind = 'spending'),
            CHECK ((receipt_hash IS NULL) = (receipt_type IS NULL))
        );
        CREATE TRIGGER ledger_entries_append_only_update BEFORE UPDATE ON ledger_entries
        BEGIN
            SELECT RAISE(ABORT, 'the funds ledger is append-only: record a correction instead');
        END;
        CREATE TRIGGER ledger_entries_append_only_delete BEFORE DELETE ON ledger_entries
        BEGIN
            SELECT RAISE(ABORT, 'the funds ledger is append-only: record a correction instead');
        END;
        CREATE TRIGGER ledger_entries_correct_in_force BEFORE INSERT ON ledger_entries
        WHEN NEW.corrects IS NOT NULL
            AND (SELECT kind FROM ledger_entries WHERE id = NEW.corrects) = 'void'
        BEGIN
            SELECT RAISE(ABORT, 'a cancellation cannot itself be corrected');
        END;
        CREATE TRIGGER ledger_entries_paid_from_commitment BEFORE INSERT ON ledger_entries
        WHEN NEW.against IS NOT NULL
            AND (SELECT kind FROM ledger_entries WHERE id = NEW.against) IS NOT 'commitment'
        BEGIN
            SELECT RAISE(ABORT, 'spending can only be paid from a commitment');
        END;

        CREATE TABLE budget_rounds (
            id                  INTEGER PRIMARY KEY,
            title               TEXT NOT NULL,
            amount              INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
            opened_by           INTEGER REFERENCES members (id),
            opened_at           INTEGER NOT NULL,
            proposals_close_at  INTEGER NOT NULL,
            voting_open_at      INTEGER NOT NULL,
            voting_close_at     INTEGER NOT NULL,
            seed                BLOB NOT NULL,     -- for the tie-breaking draw; shown
            resolved_at         INTEGER,           -- when the result was worked out and committed
            CHECK (opened_at < proposals_close_at AND proposals_close_at <= voting_open_at
                   AND voting_open_at < voting_close_at)
        );
        CREATE TRIGGER budget_rounds_fixed BEFORE UPDATE OF title, amount, opened_by, seed
            ON budget_rounds
        BEGIN
            SELECT RAISE(ABORT, 'a budget round''s name, amount and seed are fixed when it opens');
        END;
        CREATE TRIGGER budget_rounds_resolved_once BEFORE UPDATE OF resolved_at ON budget_rounds
        WHEN OLD.resolved_at IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'a budget round''s result is worked out once');
        END;
        CREATE TRIGGER budget_rounds_kept BEFORE DELETE ON budget_rounds
        BEGIN
            SELECT RAISE(ABORT, 'budget rounds are kept');
        END;
        CREATE TABLE budget_proposals (
            id            INTEGER PRIMARY KEY,
            round_id      INTEGER NOT NULL REFERENCES budget_rounds (id),
            title         TEXT NOT NULL,
            description   TEXT NOT NULL,
            cost          INTEGER NOT NULL CHECK (typeof(cost) = 'integer' AND cost > 0),
            proposed_by   INTEGER REFERENCES members (id),
            submitted_at  INTEGER NOT NULL
        );
        CREATE INDEX budget_proposals_by_round ON budget_proposals (round_id);
        -- Who has sent approvals in a round; what they approved is in budget_approvals,
        -- with nothing that links the two (no member, no time, random keys, no rowid).
        CREATE TABLE budget_voters (
            round_id    INTEGER NOT NULL REFERENCES budget_rounds (id),
            member_id   INTEGER NOT NULL REFERENCES members (id),
            PRIMARY KEY (round_id, member_id)
        ) WITHOUT ROWID;
        CREATE TABLE budget_approvals (
            id           BLOB PRIMARY KEY,     -- random
            round_id     INTEGER NOT NULL REFERENCES budget_rounds (id),
            proposal_id  INTEGER NOT NULL REFERENCES budget_proposals (id)
        ) WITHOUT ROWID;
        CREATE TABLE budget_results (
            proposal_id  INTEGER PRIMARY KEY REFERENCES budget_proposals (id),
            round_id     INTEGER NOT NULL REFERENCES budget_rounds (id),
            position     INTEGER NOT NULL,
            approvals    INTEGER NOT NULL,
            funded       INTEGER NOT NULL CHECK (funded IN (0, 1)),
            reason       TEXT NOT NULL,
            entry_id     INTEGER REFERENCES ledger_entries (id)   -- the commitment, if funded
        );

        CREATE TABLE polls (
            id              INTEGER PRIMARY KEY,
            title           TEXT NOT NULL,
            body            TEXT NOT NULL,
            kind            TEXT NOT NULL CHECK (kind IN ('yes-no', 'choice')),
            options         TEXT NOT NULL,                -- JSON list of the options' names
            quorum_percent  INTEGER NOT NULL CHECK (quorum_percent BETWEEN 0 AND 100),
            electorate      INTEGER NOT NULL,             -- active members when it opened
            proposed_by     INTEGER REFERENCES members (id),
            opens_at        INTEGER NOT NULL,
            closes_at       INTEGER NOT NULL CHECK (closes_at > opens_at),
            published_at    INTEGER                       -- result first seen (notices sent)
        );
        -- Who may vote in a poll and whether they have; their choice is in poll_ballots,
        -- unlinked (random keys, no member, no time, no rowid).
        CREATE TABLE poll_electorate (
            poll_id     INTEGER NOT NULL REFERENCES polls (id),
            member_id   INTEGER NOT NULL REFERENCES members (id),
            voted       INTEGER NOT NULL DEFAULT 0 CHECK (voted IN (0, 1)),
            PRIMARY KEY (poll_id, member_id)
        ) WITHOUT ROWID;
        CREATE TABLE poll_ballots (
            id        BLOB PRIMARY KEY,       -- random
            poll_id   INTEGER NOT NULL REFERENCES polls (id),
            choice    INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TRIGGER poll_electorate_votes_once BEFORE UPDATE ON poll_electorate
        WHEN OLD.voted = 1 OR NEW.poll_id <> OLD.poll_id OR NEW.member_id <> OLD.member_id
        BEGIN
            SELECT RAISE(ABORT, 'a member votes once in a poll');
        END;
        CREATE TRIGGER poll_ballots_kept_update BEFORE UPDATE ON poll_ballots
        BEGIN
            SELECT RAISE(ABORT, 'ballots are never changed');
        END;
        CREATE TRIGGER poll_ballots_kept_delete BEFORE DELETE ON poll_ballots
        BEGIN
            SELECT RAISE(ABORT, 'ballots are never removed');
        END;
        CREATE TRIGGER budget_approvals_kept_update BEFORE UPDATE ON budget_approvals
        BEGIN
            SELECT RAISE(ABORT, 'approvals are never changed');
        END;
        CREATE TRIGGER budget_approvals_kept_delete BEFORE DELETE ON budget_approvals
        BEGIN
            SELECT RAISE(ABORT, 'approvals are never removed');
        END;
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
        9,
        "operations: key pre-rotation commitments and the node's own recovery state",
        """
        -- PROTOCOL.md §7.1: SHA-256 of the key an origin committed to rotate to next.
        ALTER TABLE origins ADD COLUMN next_key_digest BLOB;
        -- Facts about this node itself, by name (e.g. 'recovering' after a restore).
        CREATE TABLE node_state (
            name        TEXT PRIMARY KEY,
            value       TEXT NOT NULL,
            set_at      INTEGER NOT NULL
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
    Migration(
        11,
        "key history (each origin's key state from each seq, to judge forks); resolved forks",
        """
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
        """,
    ),
    Migration(
        12,
        "resources: each missing file's failed fetches and when to try it again",
        """
        -- Each file is retried on its own schedule (node/resources.py): one that no peer
        -- can give backs off and never stands in front of one that has not been tried.
        ALTER TABLE resources ADD COLUMN fetch_failures INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE resources ADD COLUMN next_fetch_at INTEGER NOT NULL DEFAULT 0;  -- ms
        CREATE INDEX resources_to_fetch ON resources (next_fetch_at) WHERE stored_at IS NULL;
        """,
    ),
    Migration(
        13,
        "email confirmations: applications to join and public registrations awaiting their"
        " emailed link; email to addresses that are no member's",
        """
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
        """,
    ),
    Migration(
        14,
        "one ballot box for elections, polls and budget approvals; the old per-choice rows"
        " zeroed and dropped",
        """
        -- node/store/ballots.py, docs/ARCHITECTURE.md "Secret ballots": per contest
        -- ('election:<id>', 'poll:<id>', 'budget:<round id>'), who voted and what was
        -- chosen, in two rows with nothing in common but the contest, each a sorted
        -- list of fixed-width entries. The code rewrites both tables whole on each vote.
        CREATE TABLE ballot_voters (
            contest  TEXT PRIMARY KEY,
            members  TEXT NOT NULL          -- member ids, 19 digits each, ascending
        ) WITHOUT ROWID;
        CREATE TABLE ballot_choices (
            contest  TEXT PRIMARY KEY,
            width    INTEGER NOT NULL CHECK (width > 0),
            choices  TEXT NOT NULL          -- compact JSON, each padded to width, sorted
        ) WITHOUT ROWID;
        -- Everything dropped below is zeroed where it lay, not just unlinked; the node
        -- empties the write-ahead log once migrations are done (node/store/database.py).
        PRAGMA secure_delete = ON;
        INSERT INTO ballot_voters (contest, members)
            SELECT DISTINCT contest, group_concat(printf('%019d', member_id), '') OVER (
                PARTITION BY contest ORDER BY member_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            FROM (
                SELECT 'election:' || election_id AS contest, member_id FROM voters
                UNION ALL
                SELECT 'poll:' || poll_id, member_id FROM poll_electorate WHERE voted = 1
                UNION ALL
                SELECT 'budget:' || round_id, member_id FROM budget_voters
            );
        -- Budget approvals were kept one row per approval, not per ballot: each becomes
        -- the entry [proposal, 1], as a ballot cast from now on adds for each proposal
        -- it approves ([proposal, 0] for the others).
        WITH entries (contest, entry) AS (
            SELECT 'election:' || b.election_id, json(e.value)
                FROM ballot_boxes b, json_each(b.ballots) e
            UNION ALL
            SELECT 'poll:' || poll_id, CAST(choice AS TEXT) FROM poll_ballots
            UNION ALL
            SELECT 'budget:' || round_id, '[' || proposal_id || ',1]' FROM budget_approvals
        ),
        widths (contest, width) AS (
            SELECT contest, max(length(entry)) FROM entries GROUP BY contest
        ),
        padded (contest, width, entry) AS (
            SELECT e.contest, w.width, printf('%-*s', w.width, e.entry)
            FROM entries e JOIN widths w ON w.contest = e.contest
        )
        INSERT INTO ballot_choices (contest, width, choices)
            SELECT DISTINCT contest, width, group_concat(entry, '') OVER (
                PARTITION BY contest ORDER BY entry
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            FROM padded;
        DROP TRIGGER poll_electorate_votes_once;
        ALTER TABLE poll_electorate DROP COLUMN voted;   -- who may vote, no more
        DROP TABLE poll_ballots;
        DROP TABLE budget_approvals;
        DROP TABLE budget_voters;
        DROP TABLE ballot_boxes;
        DROP TABLE voters;
        PRAGMA secure_delete = OFF;
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
