"""What goes wrong in discussions, in words for the member.

Each refusal is a DiscussionError and also one of the generic kinds in
node/errors.py, which gives it its status (404, 403, 429)."""

from __future__ import annotations

from node import errors


class DiscussionError(errors.NodeError):
    """A request that cannot be met; the message is for the member."""


class NotAllowed(DiscussionError, errors.NotAllowed):
    """Someone else's post, or a moderator's action by someone who is not one."""


class RateLimited(DiscussionError, errors.RateLimited):
    """Too many posts in the window."""


class NotFound(DiscussionError, errors.NotFound):
    """No such post, topic, comment or group."""
