"""The network simulation (`make sim`) at a tiny size: what its tables rest on holds."""

from __future__ import annotations

from tests.benchmarks.sim_flood import Params
from tests.benchmarks.sim_report import table
from tests.benchmarks.simulation import simulate


def test_six_hubs_converge_despite_drops_and_agree_on_the_tally() -> None:
    # One push in five lost and never sent again: only the periodic pull repairs them.
    (figures,) = simulate(6, Params(drop=0.2, duplicate=0.05, pull_s=60))
    assert figures.repaired > 0
    assert figures.missing == 0
    assert figures.tallies_agree and figures.tally_hubs == 6
    assert figures.outcome.startswith("decided")
    # Every byte a hub stored from others reached it somehow, by push or by pull.
    assert figures.short_hubs == 0
    assert figures.received_bytes >= figures.from_others_bytes > 0
    assert figures.stored_bytes >= figures.target_bytes
    assert 0 < figures.reach_p50_s <= figures.reach_p99_s
    assert "| bytes stored per hub per day" in table([figures])


def test_selective_replication_stores_no_more_than_the_target() -> None:
    (figures,) = simulate(6, Params(selective=True))
    assert figures.missing == 0 and figures.tallies_agree
    assert figures.stored_bytes == figures.target_bytes
