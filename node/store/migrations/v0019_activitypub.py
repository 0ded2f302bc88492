"""Schema migration 19, as shipped: never edit it, add a new migration instead."""

VERSION = 19
DESCRIPTION = "the hub seen from the fediverse: followers, blocks, published objects, deliveries"
SQL = """
        -- Accounts on other ActivityPub servers following the hub (Mastodon, Mobilizon…).
        -- Where to deliver: their own inbox, or their server's shared inbox if offered.
        CREATE TABLE ap_followers (
            actor TEXT PRIMARY KEY,
            inbox TEXT NOT NULL,
            shared_inbox TEXT,
            host TEXT NOT NULL,
            followed_at INTEGER NOT NULL
        );
        CREATE INDEX ap_followers_host ON ap_followers (host);
        -- Instances (a domain, and every subdomain) or single accounts the organisers
        -- blocked: nothing is sent to them, nothing they send is kept.
        CREATE TABLE ap_blocks (
            target TEXT PRIMARY KEY,
            blocked_at INTEGER NOT NULL
        );
        -- Public keys of remote actors, fetched once and kept for a day.
        CREATE TABLE ap_keys (
            key_id TEXT PRIMARY KEY,
            actor TEXT NOT NULL,
            public_pem TEXT NOT NULL,
            inbox TEXT,
            shared_inbox TEXT,
            name TEXT,
            fetched_at INTEGER NOT NULL
        );
        -- What the hub published to the fediverse, one row per object (its own public
        -- events, news, campaigns), with the object as last sent. The outbox pages and
        -- the object URLs read it. message is the hub's own signed message it came from.
        CREATE TABLE ap_objects (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message BLOB NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            document TEXT NOT NULL,
            published_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0
        );
        -- Activities waiting to be delivered, one row per inbox, retried with back-off.
        CREATE TABLE ap_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            inbox TEXT NOT NULL,
            host TEXT NOT NULL,
            activity TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX ap_deliveries_due ON ap_deliveries (next_attempt);
        -- Replies from the fediverse to one of the hub's objects, cleaned, shown to members
        -- only. Never signed into hubnet's own log, never counted in anything decided.
        CREATE TABLE ap_replies (
            id TEXT PRIMARY KEY,
            message BLOB NOT NULL,
            actor TEXT NOT NULL,
            author TEXT NOT NULL,
            content TEXT NOT NULL,
            url TEXT,
            received_at INTEGER NOT NULL,
            hidden INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ap_replies_message ON ap_replies (message, received_at);
        -- Likes and boosts of the hub's objects: counted, nothing more.
        CREATE TABLE ap_reactions (
            id TEXT PRIMARY KEY,
            message BLOB NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('like', 'boost')),
            actor TEXT NOT NULL,
            received_at INTEGER NOT NULL
        );
        CREATE INDEX ap_reactions_message ON ap_reactions (message, kind);
"""
