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
