"""Accepting another hub's invite: the one place the handshake is done.

Used by `hubnet peer add` and by the organisers' peers page alike.
"""

from __future__ import annotations

from node.errors import NodeError
from node.federation.client import FederationClient, PeerError, PeerRefused, PeerUnreachable
from node.federation.invites import parse_invite
from node.federation.local import Local
from node.network.actions import NetworkActions
from node.onion import own_onion_url, url_is_onion
from node.outbound import Outbound
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
    config = node.config
    url = invite.address_for(has_onion_proxy=bool(config.onion_proxy))
    outbound = Outbound(config.onion_proxy, config.onion_proxy_all)
    try:
        client = FederationClient(
            outbound, node.key, node.node_id, node.clock, timeout=HANDSHAKE_TIMEOUT
        )
        try:
            card = await client.peering(url, invite.token, _our_url(node, url), config.name)
        except PeerUnreachable as exc:
            raise NodeError(f"cannot reach {url} ({exc}); is that node running?") from exc
        except PeerRefused as exc:
            raise NodeError(f"{url} refused: {exc.reason}") from exc
        except PeerError as exc:
            raise NodeError(str(exc)) from exc
    finally:
        await outbound.close()
    if card.node_id != invite.node_id:
        raise NodeError(
            f"the node at {url} is {card.node_id}, not {invite.node_id} as the "
            "invite says; check the address"
        )
    await PeerStore(node.db, node.clock).add(card.node_id, url, card.name)
    if invite.network is not None and ours is None:
        # A new hub with no network yet asks to join the inviting hub's (PROTOCOL.md §14.2).
        await NetworkActions(node.messages, node.membership).join(invite.network)
    return card, url


def _our_url(node: Local, their_url: str) -> str:
    """The address this hub gives the one it peers with (PROTOCOL.md §12.1): its onion
    address when it reaches that hub at an onion address and has one itself, so two
    onion hubs keep their traffic inside Tor; its url otherwise."""
    config = node.config
    if url_is_onion(their_url):
        onion = own_onion_url(config)
        if onion is not None:
            return onion
    return config.url
