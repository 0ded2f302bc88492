"""The registry of message kinds in protocol version 1 (PROTOCOL.md §5)."""

from __future__ import annotations

from typing import Any

from protocol.kinds.assembly import (
    DelegateMandate,
    DelegateRecall,
    DelegateReveal,
    DelegateVote,
    Motion,
    MotionSecond,
)
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate
from protocol.kinds.community import (
    DirectoryEntry,
    DirectoryWithdraw,
    SpeakerAnswer,
    SpeakerOffer,
    SpeakerRequest,
    SpeakerWithdraw,
)
from protocol.kinds.discussion import Comment, CommentDelete, CommentUpdate, Report
from protocol.kinds.event import EventAttendance, EventCancel, EventDetails, EventUpdate
from protocol.kinds.forks import ForkProof, ForkResolve
from protocol.kinds.hub import (
    Announcement,
    AnnouncementUpdate,
    AnnouncementWithdraw,
    CharterAdopt,
    CharterEndorse,
    CharterEndorseWithdraw,
    HubProfile,
    Resource,
)
from protocol.kinds.keys import KeyCommit, KeyRevoke, KeyRotate
from protocol.kinds.network import (
    NetworkFound,
    NetworkJoin,
    NetworkLeave,
    NetworkSponsor,
    NetworkWitness,
)
from protocol.schema import Text, parse

KINDS: dict[str, type[Any]] = {
    "hub.profile": HubProfile,
    "charter.adopt": CharterAdopt,
    "event": EventDetails,
    "event.update": EventUpdate,
    "event.cancel": EventCancel,
    "campaign": Campaign,
    "campaign.update": CampaignUpdate,
    "campaign.endorse": CampaignEndorse,
    "announcement": Announcement,
    "resource": Resource,
    "delegate.mandate": DelegateMandate,
    "delegate.recall": DelegateRecall,
    "motion": Motion,
    "motion.second": MotionSecond,
    "delegate.vote": DelegateVote,
    "key.rotate": KeyRotate,
    "delegate.reveal": DelegateReveal,
    "speaker.offer": SpeakerOffer,
    "speaker.withdraw": SpeakerWithdraw,
    "directory.entry": DirectoryEntry,
    "directory.withdraw": DirectoryWithdraw,
    "comment": Comment,
    "comment.update": CommentUpdate,
    "comment.delete": CommentDelete,
    "report": Report,
    "key.commit": KeyCommit,
    "key.revoke": KeyRevoke,
    "fork.proof": ForkProof,
    "fork.resolve": ForkResolve,
    "network.found": NetworkFound,
    "network.join": NetworkJoin,
    "network.sponsor": NetworkSponsor,
    "network.leave": NetworkLeave,
    "network.witness": NetworkWitness,
    "charter.endorse": CharterEndorse,
    "charter.endorse.withdraw": CharterEndorseWithdraw,
    "announcement.update": AnnouncementUpdate,
    "announcement.withdraw": AnnouncementWithdraw,
    "speaker.request": SpeakerRequest,
    "speaker.answer": SpeakerAnswer,
    "event.attendance": EventAttendance,
}

KIND_NAME = Text(64, 1, r"[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*")


class Opaque(dict[str, Any]):
    """The body of a kind this node does not know: stored and relayed, not interpreted."""


def parse_body(kind: str, version: int, body: Any) -> Any:
    """The typed body for a known kind at version 1; Opaque for anything newer."""
    cls = KINDS.get(kind)
    if cls is None or version != 1:
        return Opaque(body)
    return parse(cls, body, where=f"{kind} body")
