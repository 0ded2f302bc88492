"""Invite text: one line an organiser passes to another hub's organiser.

`hubnet://invite?id=<node id>&token=<secret>&url=<node URL, percent-encoded>`,
`&network=<network id, hex>` when the inviting hub belongs to a network, and
`&onion=<onion URL>` when it is also a Tor onion service. The id lets the invited
node check it reached the right hub; the token is a one-time secret the inviting
node checks (it stores only its hash); the network tells a new hub which network
to ask to join (PROTOCOL.md §12, §14); a node with an onion proxy reaches the hub
at its onion address (§12.1). A node that predates the onion field ignores it and
uses the url.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from crypto.errors import BadNodeId
from crypto.nodeid import NodeId, parse_node_id
from node.errors import NodeError
from node.onion import HOW_TO_SET_PROXY, onion_url_problem, url_is_onion
from protocol.federation import node_url_problem

SCHEME = "hubnet"


@dataclass(frozen=True, slots=True)
class Invite:
    node_id: NodeId
    url: str
    token: str
    network: bytes | None = None
    onion: str | None = None

    def __str__(self) -> str:
        fields = {"id": self.node_id, "token": self.token, "url": self.url}
        if self.network is not None:
            fields["network"] = self.network.hex()
        if self.onion is not None and self.onion != self.url:
            fields["onion"] = self.onion
        return f"{SCHEME}://invite?{urlencode(fields)}"

    def address_for(self, has_onion_proxy: bool) -> str:
        """The address a node reaches the inviting hub at: its onion address when the
        node has a proxy to reach it through (no DNS lookup, and nobody between the
        two hubs learns that they talk), else its url; NodeError when that is an
        onion address the node cannot reach."""
        if has_onion_proxy and self.onion is not None:
            return self.onion
        if url_is_onion(self.url) and not has_onion_proxy:
            raise NodeError(
                f"that hub is reachable only as a Tor onion service ({self.url}), and this "
                f"node has no onion_proxy setting: {HOW_TO_SET_PROXY}"
            )
        return self.url


def parse_invite(text: str) -> Invite:
    parts = urlsplit(text.strip())
    if parts.scheme != SCHEME or parts.netloc != "invite":
        raise NodeError("not a hubnet invite (it should start with hubnet://invite?)")
    query = parse_qs(parts.query, strict_parsing=False)
    try:
        node_id = parse_node_id(query["id"][0])
        token = query["token"][0]
        url = query["url"][0]
    except (KeyError, IndexError) as exc:
        raise NodeError("the invite is incomplete; copy the whole line") from exc
    except BadNodeId as exc:
        raise NodeError(f"the invite's node id is damaged ({exc}); copy it again") from exc
    problem = node_url_problem(url)
    if problem is not None:
        raise NodeError(f"the invite's url {problem}; ask for a new invite")
    network = None
    if "network" in query:
        try:
            network = bytes.fromhex(query["network"][0])
        except ValueError:
            network = b""
        if len(network) != 32:
            raise NodeError("the invite's network id is damaged; copy it again")
    onion = None
    if "onion" in query:
        onion = query["onion"][0].rstrip("/")
        problem = onion_url_problem(onion)
        if problem is not None:
            raise NodeError(f"the invite's onion address {problem}; ask for a new invite")
    return Invite(node_id, url.rstrip("/"), token, network, onion)
