"""A stand-in for schema migration 18, which another change in progress ships.

It changes nothing; it is here only so that migration 21 follows an unbroken list
on this line of work. Drop it when the real migration 18 is merged.
"""

VERSION = 18
DESCRIPTION = "reserved for another change (a stand-in that changes nothing)"
SQL = """
        SELECT 1;
"""
