"""Schema migration 21, as shipped: never edit it, add a new migration instead."""

VERSION = 21
DESCRIPTION = "the language each member chose for their pages (NULL: the hub's)"
SQL = """
        -- 'en' or 'cy' (web/i18n.py); NULL until the member chooses on their account
        -- page, so they see the hub's language. Personal to the hub: never sent.
        ALTER TABLE members ADD COLUMN language TEXT;
"""
