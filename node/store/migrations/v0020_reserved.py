"""Schema migration 20: a stand-in for the migration another branch ships as 20.

This branch adds migration 21; the list must run 1..N without gaps, so until the
branch that owns 20 is merged this empty one holds its place. When merging, delete
this module and list that branch's v0020 instead (and its checksum in SHIPPED).
"""

VERSION = 20
DESCRIPTION = "a stand-in for another branch's migration 20 (changes nothing)"
SQL = """
        -- Nothing: see the module's docstring.
"""
