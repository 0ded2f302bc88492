"""Schema migration 17, as shipped: never edit it, add a new migration instead."""

VERSION = 17
DESCRIPTION = (
    "across hubs: requests for another hub's speaker and their answers; each hub's count"
    " of who is coming to an event"
)
SQL = """
        -- Requests for a speaker (node/community/speaker_requests.py): those this hub's
        -- members made, and those made of this hub. The columns from `speaker.request`
        -- and `speaker.answer` are the messages'; asker_id, share_contact, speaker_id
        -- and passed_at are this hub's alone and never leave it. Not rebuilt from the
        -- log: the rows are written once, with what only this hub knows.
        CREATE TABLE speaker_requests (
            id              BLOB PRIMARY KEY,     -- the speaker.request message
            origin          TEXT NOT NULL,        -- the hub that asked
            to_hub          TEXT NOT NULL,        -- the hub whose speaker was asked for
            offer           BLOB NOT NULL,        -- the speaker.offer
            topic           TEXT NOT NULL,
            starts          INTEGER NOT NULL,     -- seconds
            timezone        TEXT NOT NULL,
            place           TEXT NOT NULL,
            message         TEXT,
            created_at      INTEGER NOT NULL,     -- ms
            asker_id        INTEGER,              -- asking hub: the member who asked
            share_contact   INTEGER NOT NULL DEFAULT 0,  -- they agreed to be put in touch
            speaker_id      INTEGER,              -- speaker's hub: the member who offered
            passed_at       INTEGER,              -- ms, when an organiser passed it on
            answer          TEXT,                 -- 'accept' or 'decline'
            answer_message  TEXT,
            answered_at     INTEGER               -- ms
        );
        CREATE INDEX speaker_requests_by_asker ON speaker_requests (asker_id);
        CREATE INDEX speaker_requests_by_speaker ON speaker_requests (speaker_id);
        -- Each hub's latest `event.attendance` count for each event (the attendance
        -- counts projection, node/events/counts.py); emptied and read again from the log.
        CREATE TABLE hub_attendance (
            event   BLOB NOT NULL,
            origin  TEXT NOT NULL,
            count   INTEGER NOT NULL,
            seq     INTEGER NOT NULL,
            PRIMARY KEY (event, origin)
        ) WITHOUT ROWID;
"""
