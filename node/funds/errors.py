"""The errors the funds, budgeting and poll rules raise: one kind, with the generic
kinds of node/errors.py where a refusal is one of them."""

from node.errors import NodeError, NotAllowed, NotFound


class FundsError(NodeError):
    """A request about funds, a budget round or a poll that cannot be met.

    The message is for the member who made it: it says what was wrong and, where
    it helps, what to do instead. Nothing has changed when it is raised.
    """


class FundsNotFound(FundsError, NotFound):
    """No such budget round or poll."""


class FundsNotAllowed(FundsError, NotAllowed):
    """A member whose roles do not grant what they asked to do (permissions.require)."""
