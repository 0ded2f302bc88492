"""Schema migration 16: the hub profile's meeting place, contact and time zone."""

VERSION = 16
DESCRIPTION = "hubs: each hub's meeting place, public contact and time zone"
SQL = """
        -- hub.profile's later fields (PROTOCOL.md §5.1), kept with the rest of the
        -- profile. No profile already stored has them (a node before this one refused
        -- fields it did not know), so nothing needs reading again.
        ALTER TABLE hubs ADD COLUMN meeting_place TEXT;
        ALTER TABLE hubs ADD COLUMN contact TEXT;
        ALTER TABLE hubs ADD COLUMN timezone TEXT;
        """
