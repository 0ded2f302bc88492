"""Errors of the running node that carry what the operator or user must do next."""


class NodeError(Exception):
    """An error with a one-line explanation fit for the command line."""


class StoreError(NodeError):
    """The database cannot be used: corrupt, unreadable, or from a newer hubnet."""


class UnsupportedDatabaseVersion(StoreError):
    """The database was written by a newer hubnet than this one."""


class ConfigError(NodeError):
    """A setting is unknown, malformed or missing."""
