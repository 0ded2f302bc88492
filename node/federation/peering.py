"""Accepting another hub's invite: the one place the handshake is done.

Used by `hubnet peer add` and by the organisers' peers page alike.
"""

from __future__ import annotations

import aiohttp

from node.errors import NodeError
from node.federation.client import FederationClient, PeerRefused, PeerUnreachable
from node.federation.invites import parse_invite
from node.federation.local import Local
from node.network.actions import NetworkActions
from node.store.peers import PeerStore
from protocol.federation import HubCard

HANDSHAKE_TIMEOUT = 20


async def accept_invite(node: Local, invite_text: str) -> tuple[HubCard, str]:
    """Introduce this node to the inviting one and record it as a peer.

    Returns the other hub's card and its URL; NodeError with a sentence for the
    organiser if the invite is malformed, the node cannot be reached or refuses,
    or the node at the address is not the one the invite names.
    """
    invite = parse_invite(invite_text)
    if invite.node_id == node.node_id:
        raise NodeError("that invite is this node's own")
    ours = node.membership.network
    if invite.network is not None and ours is not None and invite.network != ours:
        raise NodeError(
            "that hub belongs to another network than this one; a hub belongs to one network "
            "(see 'hubnet network roster')"
        )
    async with aiohttp.ClientSession() as session:
        client = FederationClient(
            session, node.key, node.node_id, node.clock, timeout=HANDSHAKE_TIMEOUT
        )
        try:
            card = await client.peering(invite.url, invite.token, node.config.url, node.config.name)
        except PeerUnreachable as exc:
            raise NodeError(f"cannot reach {invite.url} ({exc}); is that node running?") from exc
        except PeerRefused as exc:
            raise NodeError(f"{invite.url} refused: {exc.reason}") from exc
    if card.node_id != invite.node_id:
        raise NodeError(
            f"the node at {invite.url} is {card.node_id}, not {invite.node_id} as the "
            "invite says; check the address"
        )
    await PeerStore(node.db, node.clock).add(card.node_id, invite.url, card.name)
    if invite.network is not None and ours is None:
        # A new hub with no network yet asks to join the inviting hub's (PROTOCOL.md §14.2).
        await NetworkActions(node.messages, node.membership).join(invite.network)
    return card, invite.url
