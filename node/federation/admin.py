"""What the hub's organisers do to its peers from the web: make an invite, accept one,
block and unblock a peer, and (moderators) block a hub's messages for abuse.

Each method takes the acting member and checks the permission table here, so no
route can skip it. The command line (`hubnet peer ...`, node/cli/federation.py) is
the operator, who holds the node itself: it calls the peer store and
`accept_invite` directly.
"""

from __future__ import annotations

from crypto.nodeid import NodeId
from node.accounts.members import Member
from node.accounts.permissions import Permission, require
from node.errors import NodeError, NotFound
from node.federation.invites import Invite
from node.federation.peering import accept_invite
from node.federation.service import Federation
from node.onion import own_onion_url
from protocol.federation import HubCard

MAX_BLOCK_REASON = 200


class PeerAdmin:
    def __init__(self, federation: Federation) -> None:
        self._federation = federation
        self._node = federation.node
        self._peers = federation.peers

    async def invite(self, *, by: Member) -> Invite:
        """A one-time invite another hub's organisers paste into their peers page."""
        require(by, Permission.MANAGE_PEERS)
        node = self._node
        onion = own_onion_url(node.config)
        token = await self._peers.create_invite()
        return Invite(node.node_id, node.config.url, token, node.membership.network, onion)

    async def add(self, invite_text: str, *, by: Member) -> HubCard:
        """Peer with the hub whose invite this is; its card."""
        require(by, Permission.MANAGE_PEERS)
        card, _ = await accept_invite(self._node, invite_text)
        self._federation.peers_changed()
        return card

    async def set_blocked(self, node_id: NodeId, blocked: bool, *, by: Member) -> None:
        """Block (or unblock) a peer: no exchanges, and its own messages are dropped."""
        require(by, Permission.MANAGE_PEERS)
        if not await self._peers.set_blocked(node_id, blocked):
            raise NotFound("There is no such peer.")
        self._federation.peers_changed()

    async def block_origin(self, origin: NodeId, reason: str, *, by: Member) -> None:
        """Refuse and hide every message of the hub `origin`, for abuse in discussions."""
        require(by, Permission.MODERATE)
        if origin == self._node.node_id:
            raise NodeError("A hub cannot block itself.")
        reason = reason.strip()[:MAX_BLOCK_REASON] or "repeated abuse in discussions"
        await self._peers.set_origin_blocked(origin, True, reason)
        self._federation.peers_changed()
