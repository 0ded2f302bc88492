"""What federation uses of this node, and nothing more.

Federation sees the node through this protocol, not through `Node` and its
twenty-odd services: its identity and settings, the message store, the roster,
the database its peers and heads live in, and the resource files it fetches.
`Node` satisfies it as it stands (mypy checks at each call), and so can anything
else that holds these eight parts, such as a test's node.
"""

from __future__ import annotations

from typing import Protocol

from crypto.ed25519 import SigningKey
from crypto.nodeid import NodeId
from node.clock import Clock
from node.config import Config
from node.network.membership import Membership
from node.resources import ResourceFiles
from node.store.database import Database
from node.store.messages import MessageStore


class Local(Protocol):
    @property
    def config(self) -> Config: ...
    @property
    def key(self) -> SigningKey: ...
    @property
    def node_id(self) -> NodeId: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def db(self) -> Database: ...
    @property
    def messages(self) -> MessageStore: ...
    @property
    def membership(self) -> Membership: ...
    @property
    def resources(self) -> ResourceFiles: ...
