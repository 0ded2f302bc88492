"""The one error the funds, budgeting and poll rules raise."""

from node.errors import NodeError, NotFound


class FundsError(NodeError):
    """A request about funds, a budget round or a poll that cannot be met.

    The message is for the member who made it: it says what was wrong and, where
    it helps, what to do instead. Nothing has changed when it is raised.
    """


class FundsNotFound(FundsError, NotFound):
    """No such budget round or poll."""
