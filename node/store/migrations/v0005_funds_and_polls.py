"""Schema migration 5, as shipped: never edit it, add a new migration instead."""

VERSION = 5
DESCRIPTION = (
    "the hub's funds ledger (append-only), budget rounds, proposals and approvals, local polls"
)
SQL = """
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
        """
