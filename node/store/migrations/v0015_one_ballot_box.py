"""Schema migration 15, as shipped: never edit it, add a new migration instead."""

VERSION = 15
DESCRIPTION = (
    "one ballot box for elections, polls and budget approvals; the old per-choice rows"
    " zeroed and dropped"
)
SQL = """
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
        """
