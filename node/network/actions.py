"""What a hub does about its network: found it, ask to join, sponsor, leave (§14).

Each is one signed message through `MessageStore.append`; the roster follows from the
messages by itself (node/network/membership.py). Founding, joining and leaving are the
operator's, from the command line (`hubnet network ...`), so they take no member;
sponsoring is also open to the organisers who manage peers, from the web, so it takes
whoever acts and checks the permission table.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.digest import sha256
from crypto.nodeid import NodeId
from node.accounts.charter import CHARTER_TEXT
from node.accounts.members import Member
from node.accounts.permissions import Operator, Permission, require
from node.errors import NodeError, NotAllowed
from node.network.membership import Membership
from node.store.messages import MessageStore
from protocol.envelope import Message
from protocol.errors import LocalProtocolError
from protocol.kinds.network import (
    NetworkFound,
    NetworkJoin,
    NetworkLeave,
    NetworkSponsor,
    network_id,
)

# The UK's nations and English regions (ITL 1): a network's regions by default, so
# every hub spells "Yorkshire and The Humber" the same way. A founding statement may
# list others.
DEFAULT_REGIONS = (
    "East Midlands",
    "East of England",
    "London",
    "North East",
    "North West",
    "Northern Ireland",
    "Scotland",
    "South East",
    "South West",
    "Wales",
    "West Midlands",
    "Yorkshire and The Humber",
)
DEFAULT_SPONSORS = 2


class NetworkError(NodeError):
    """A network action that cannot be taken; the message is for the organiser."""


class NetworkNotAllowed(NetworkError, NotAllowed):
    """A member whose roles do not let them act for the hub in its network."""


def founding_statement(
    name: str,
    founders: Sequence[NodeId],
    sponsors_needed: int = DEFAULT_SPONSORS,
    regions: Sequence[str] = DEFAULT_REGIONS,
    charter: str = CHARTER_TEXT,
) -> NetworkFound:
    statement = NetworkFound(
        name=name,
        charter=sha256(charter.encode("utf-8")),
        founders=tuple(sorted(set(founders))),
        sponsors_needed=sponsors_needed,
        regions=tuple(regions),
    )
    return statement


class NetworkActions:
    def __init__(self, messages: MessageStore, membership: Membership) -> None:
        self._messages = messages
        self._membership = membership

    async def _append(self, kind: str, body: object) -> Message:
        try:
            return await self._messages.append(kind, body)
        except LocalProtocolError as exc:
            raise NetworkError(exc.message) from exc

    def _network(self) -> bytes:
        if self._membership.network is None:
            raise NetworkError(
                "this hub belongs to no network yet: found one ('hubnet network found') "
                "or join one ('hubnet network join')"
            )
        return self._membership.network

    async def found(self, statement: NetworkFound) -> bytes:
        """Sign the founding statement as one of its founders; this hub joins that network."""
        if self._messages.node_id not in statement.founders:
            raise NetworkError("this hub is not one of the founders the statement names")
        if self._membership.network not in (None, network_id(statement)):
            raise NetworkError("this hub already belongs to another network")
        await self._append("network.found", statement)
        await self._membership.set_network(network_id(statement))
        return network_id(statement)

    async def join(self, network: bytes) -> Message | None:
        """Ask to join `network`: members then sponsor this hub (None: a member already)."""
        if self._membership.network not in (None, network):
            raise NetworkError("this hub already belongs to another network")
        if self._membership.network is None:
            await self._membership.set_network(network)
        if self._membership.is_member(self._messages.node_id):
            return None
        return await self._append("network.join", NetworkJoin(network=network))

    async def sponsor(self, hub: NodeId, *, by: Member | Operator) -> Message:
        """Sponsor a hub that asked to join, as an organiser (or the operator, `OPERATOR`)."""
        require(by, Permission.MANAGE_PEERS, NetworkNotAllowed)
        network = self._network()
        if not self._membership.is_member(self._messages.node_id):
            raise NetworkError("only member hubs can sponsor a hub that asks to join")
        if self._membership.is_member(hub):
            raise NetworkError("that hub is a member already")
        return await self._append("network.sponsor", NetworkSponsor(network=network, hub=hub))

    async def leave(self, reason: str | None = None) -> Message:
        network = self._network()
        if not self._membership.is_member(self._messages.node_id):
            raise NetworkError("this hub is not a member of its network")
        return await self._append("network.leave", NetworkLeave(network=network, reason=reason))
