"""A running node witnesses what an organiser's command writes only if it is a decision.

`hubnet` commands write to the hub's log from their own process; the running node
notices within seconds (PROTOCOL.md §14.4: a witness follows a member's motion,
second, mandate, recall, vote, reveal, sponsorship or leave, nothing else).
"""

from __future__ import annotations

import time
from pathlib import Path

from crypto.nodeid import node_id_from_public_key
from node.network.membership import CHECK_SECONDS
from tests.helpers import key_from
from tests.integration.network import start_hubs, wait_for


def test_a_command_is_witnessed_only_when_it_writes_a_decision(tmp_path: Path) -> None:
    [hub] = start_hubs(tmp_path, ("Riverside", None))
    try:

        def witnesses() -> list[str]:
            return hub.cli("log", "--kind", "network.witness").splitlines()

        hub.announce("Open meeting on Thursday at the library")
        # The node looks for other processes' writes every CHECK_SECONDS, then
        # witnesses a moment (200 ms in tests) later: give it twice that.
        time.sleep(2 * CHECK_SECONDS + 1)
        assert witnesses() == [], "an announcement was witnessed"

        newcomer = node_id_from_public_key(key_from(5).public_key)
        hub.cli("network", "sponsor", newcomer)
        wait_for("the sponsorship to be witnessed", lambda: len(witnesses()) == 1)
    finally:
        hub.stop()
