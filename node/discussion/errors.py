"""What goes wrong in discussions, in words for the member."""

from __future__ import annotations

from node.errors import NodeError


class DiscussionError(NodeError):
    """A request that cannot be met; the message is for the member."""


class NotAllowed(DiscussionError):
    """Someone else's post, or a moderator's action by someone who is not one."""


class RateLimited(DiscussionError):
    """Too many posts in the window."""


class NotFound(DiscussionError):
    """No such post, topic, comment or group."""
