"""Schema migration 19: a stand-in for the migration another branch ships as 19.

This branch adds migration 20; the list must run 1..N without gaps, so until the
branch that owns 19 is merged this empty one holds its place. When merging, delete
this module and list that branch's v0019 instead (and its checksum in SHIPPED).
"""

VERSION = 19
DESCRIPTION = "a stand-in for another branch's migration 19 (changes nothing)"
SQL = """
        -- Nothing: see the module's docstring.
"""
