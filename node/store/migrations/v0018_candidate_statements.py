"""Schema migration 18, as shipped: never edit it, add a new migration instead."""

VERSION = 18
DESCRIPTION = "a candidate's statement on their nomination, written when they stand"
SQL = """
        -- What a candidate tells members when they stand or accept a nomination, shown
        -- on the election's page and its ballot. This hub's own: never sent to another
        -- hub, erased with the rest of a member's data when they leave.
        ALTER TABLE nominations ADD COLUMN statement TEXT;
"""
