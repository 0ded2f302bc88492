"""Discussion across hubs: comments on network messages, their edits and deletions,
and reports of a comment sent to the hub it came from (PROTOCOL.md §5.17-5.20).

A comment names only what the member chose to be called on the network
(`author`); nothing else about them is in any of these bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from protocol.schema import MessageRef, NodeIdText, Text

# A display name is one word: it is how @mentions name people, and it cannot be
# mistaken for a full name.
DISPLAY_NAME_PATTERN = r"[A-Za-z0-9_.\-]{2,40}"
DISPLAY_NAME = re.compile(DISPLAY_NAME_PATTERN)
DisplayName = Annotated[str, Text(40, 2, r"[A-Za-z0-9_.\-]+")]
CommentText = Annotated[str, Text(4000)]  # Markdown, cleaned on display

ReportReason = Literal["abuse", "harassment", "hate", "spam", "personal-data", "other"]


def _not_own_reply(body: Comment) -> str | None:
    return (
        None if body.reply_to != body.subject else "reply_to must name a comment, not the subject"
    )


@dataclass(frozen=True, slots=True)
class Comment:
    """`comment`: a member of the origin hub comments on a message (or on a comment)."""

    subject: MessageRef  # the message under discussion (never a comment)
    author: DisplayName  # the member's network display name
    text: CommentText
    reply_to: MessageRef | None = None  # a comment in the same thread

    __checks__: ClassVar = (_not_own_reply,)


@dataclass(frozen=True, slots=True)
class CommentUpdate:
    """`comment.update`: new text for a comment this origin published."""

    comment: MessageRef
    text: CommentText


@dataclass(frozen=True, slots=True)
class CommentDelete:
    """`comment.delete`: withdraw a comment this origin published."""

    comment: MessageRef


@dataclass(frozen=True, slots=True)
class Report:
    """`report`: a hub tells a comment's origin hub that the comment broke its rules.

    Carries no reporter identity: the reporting hub is the message's origin.
    """

    to: NodeIdText  # the comment's origin hub, the only one that acts on it
    comment: MessageRef
    reason: ReportReason
