"""Schema migration 10, as shipped: never edit it, add a new migration instead."""

VERSION = 10
DESCRIPTION = "discussions: hub threads, network comments, working groups, moderation"
SQL = """
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
        """
