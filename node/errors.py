"""Errors of the running node that carry what the operator or user must do next.

Each class carries the HTTP status a request that meets it is answered with and a
stable machine-readable `code` (datasette's `Base400.status`; Nostr NIP-01 reason
prefixes), so the web front end maps them in one place (web/security.py) rather
than each route choosing a number. A feature's error subclasses `NodeError`; where
one of its refusals is of a generic kind it also subclasses that kind, so callers
may catch either: `class FundsNotFound(FundsError, NotFound)`.
"""

from typing import ClassVar

from node.wording import english


class NodeError(Exception):
    """A request that cannot be met, with a one-line explanation for the person who
    made it (a member on a web page, an operator on the command line)."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid"
    # The heading of the page a browser is shown when the error is not shown
    # beside a form's fields (web/security.py error_page_for).
    heading: ClassVar[str] = "That could not be done"

    def __init__(self, message: str = "", /, **values: object) -> None:
        # A refusal with values in it is raised as its English with placeholders and
        # the values apart (node/wording.py), so the pages can show it in the reader's
        # language: `raise FundsError("%(what)s is missing.", what=Term("The cost"))`.
        super().__init__(english(message, values))
        self.template = message
        self.values = values


class NotFound(NodeError):
    """The thing the request is about does not exist (or is not visible to them)."""

    status = 404
    code = "not-found"
    heading = "Not found"


class NotAllowed(NodeError):
    """The person asking may not do this."""

    status = 403
    code = "not-allowed"
    heading = "Not allowed"


class Conflict(NodeError):
    """The request is sound but the thing is no longer in a state where it can be done."""

    status = 409
    code = "conflict"


class RateLimited(NodeError):
    """Too many requests of this kind in a window; later ones will be accepted."""

    status = 429
    code = "rate-limited"
    heading = "Too many at once"


class Unavailable(NodeError):
    """The node cannot do this just now, through no fault of the request."""

    status = 503
    code = "unavailable"
    heading = "The hub cannot do that just now"


class StoreError(Unavailable):
    """The database cannot be used: corrupt, unreadable, or from a newer hubnet."""

    code = "store"


class UnsupportedDatabaseVersion(StoreError):
    """The database was written by a newer hubnet than this one."""


class ConfigError(NodeError):
    """A setting is unknown, malformed or missing."""

    # Only the operator meets it (at start-up or from the CLI); were a request to
    # meet one, it is the node's fault, not the request's.
    status = 500
    code = "config"
