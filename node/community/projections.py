"""The library and speaker offers projections, and every community projection.

Stored messages are the source of truth (DESIGN.md): campaigns, the library,
speaker offers and the shared directory are tables the projection runner
(node/projections/runner.py) builds from them, each with its own cursor, so
emptying a table and resetting its cursor rebuilds it.
"""

from __future__ import annotations

from crypto.nodeid import NodeId
from node.community.campaign_projection import campaigns_projection
from node.community.directory_projection import directory_projection
from node.projections.runner import Projection
from node.store.library import apply_resources_txn, forget_resources_txn
from node.store.speakers import apply_offers_txn, forget_offers_txn


def community_projections(node_id: NodeId) -> list[Projection]:
    return [
        campaigns_projection(),
        Projection("library", frozenset({"resource"}), apply_resources_txn, forget_resources_txn),
        Projection(
            "speakers",
            frozenset({"speaker.offer", "speaker.withdraw"}),
            apply_offers_txn,
            forget_offers_txn,
        ),
        directory_projection(node_id),
    ]
