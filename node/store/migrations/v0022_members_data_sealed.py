"""Schema migration 22, as shipped: never edit it, add a new migration instead."""

VERSION = 22
DESCRIPTION = (
    "members' personal data sealed at rest under the node's data key, with a blind index"
    " to find an account by its email, and the wrapped data key for each way to unlock"
)
SQL = """
        -- node/store/sealing.py: the data key, wrapped under a key file (method 'file':
        -- also what a systemd credential holds) or a passphrase's scrypt ('passphrase',
        -- with its salt and costs as JSON). Never the key itself.
        CREATE TABLE unlock_methods (
            method   TEXT PRIMARY KEY CHECK (method IN ('file', 'passphrase')),
            wrapped  BLOB NOT NULL,
            scrypt   TEXT,
            set_at   INTEGER NOT NULL     -- ms
        ) WITHOUT ROWID;
        -- The node that runs this migration has just made its data key and a key file
        -- (node/store/database.py): the wrap goes in with the rows it seals.
        INSERT INTO unlock_methods (method, wrapped, scrypt, set_at)
            VALUES ('file', new_data_key_wrap(), NULL,
                    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
        -- The public half of a key pair made from the data key: what is written while
        -- the hub is locked (a notice raised by another hub's message) is sealed to it.
        INSERT INTO node_state (name, value, set_at)
            VALUES ('sealing_public_key', sealing_public_key(), 0);
        -- An account or a registration is found by the HMAC of its email under a key
        -- made from the data key; the email itself is sealed.
        ALTER TABLE members ADD COLUMN email_index BLOB;
        UPDATE members SET
            email_index = blind_index(email),
            email = seal('members.email', email),
            name = seal('members.name', name),
            phone = seal('members.phone', phone),
            statement = seal('members.statement', statement);
        CREATE UNIQUE INDEX members_by_email_index ON members (email_index);
        ALTER TABLE registrations ADD COLUMN email_index BLOB;
        UPDATE registrations SET
            email_index = blind_index(email),
            email = seal('registrations.email', email),
            name = seal('registrations.name', name);
        CREATE UNIQUE INDEX registrations_by_email_index ON registrations (event, email_index);
        UPDATE confirmations SET
            email = seal('confirmations.email', email),
            details = seal('confirmations.details', details);
        UPDATE notices SET text = seal('notices.text', text);
        UPDATE email_outbox SET
            subject = seal('email_outbox.subject', subject),
            body = seal('email_outbox.body', body);
        UPDATE email_to_address SET
            address = seal('email_to_address.address', address),
            subject = seal('email_to_address.subject', subject),
            body = seal('email_to_address.body', body);
        UPDATE warnings SET reason = seal('warnings.reason', reason);
        UPDATE discussion_bans SET reason = seal('discussion_bans.reason', reason);
        UPDATE ballot_choices SET choices = seal_stable('ballot_choices.choices', choices);
        -- The plaintext the updates left in free pages goes with a VACUUM, which cannot
        -- run in this transaction: node/store/database.py runs it, then removes this.
        INSERT INTO node_state (name, value, set_at) VALUES ('vacuum_after_sealing', 'yes', 0);
"""
