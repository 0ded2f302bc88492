"""The simulated network's shape: hubs in UK regions, each peered near and far.

Every hub is in one of twelve regions (hub i in region i mod 12, so regions differ in
size by at most one). Within its region a hub peers with its two neighbours on a ring
of the region's hubs (so a region is connected by itself, as selective replication
needs) and with further random hubs of the region until it has `local` peers there;
then with `far` random hubs of other regions. Peering is mutual (PROTOCOL.md §12), so a
hub often ends with a few more peers than it asked for.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

REGIONS = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "Wales",
    "Scotland",
    "Northern Ireland",
)


@dataclass(frozen=True, slots=True)
class Topology:
    region: tuple[int, ...]  # hub -> index into REGIONS
    peers: tuple[tuple[int, ...], ...]  # hub -> its peers, ascending

    @property
    def size(self) -> int:
        return len(self.region)

    def members_of(self, region: int) -> list[int]:
        return [h for h, r in enumerate(self.region) if r == region]

    def hops_from(self, origin: int, same_region: bool = False) -> list[int]:
        """Fewest hops from `origin` to each hub (-1 if unreachable), by breadth first."""
        hops = [-1] * self.size
        hops[origin] = 0
        queue = deque([origin])
        while queue:
            hub = queue.popleft()
            for peer in self.peers[hub]:
                if hops[peer] < 0 and (not same_region or self.region[peer] == self.region[origin]):
                    hops[peer] = hops[hub] + 1
                    queue.append(peer)
        return hops


def build(hubs: int, local: int = 3, far: int = 2, seed: int = 1) -> Topology:
    rng = random.Random(seed)
    region = tuple(h % len(REGIONS) for h in range(hubs))
    links: list[set[int]] = [set() for _ in range(hubs)]

    def link(a: int, b: int) -> None:
        if a != b:
            links[a].add(b)
            links[b].add(a)

    for r in range(len(REGIONS)):
        ring = [h for h in range(hubs) if region[h] == r]
        for i, hub in enumerate(ring):
            if len(ring) > 1:
                link(hub, ring[(i + 1) % len(ring)])
        for hub in ring:
            others = [h for h in ring if h != hub and h not in links[hub]]
            rng.shuffle(others)
            while len(links[hub]) < local and others:
                link(hub, others.pop())
    for hub in range(hubs):
        outside = [h for h in range(hubs) if region[h] != region[hub]]
        for peer in rng.sample(outside, min(far, len(outside))):
            link(hub, peer)
    return Topology(region, tuple(tuple(sorted(p)) for p in links))
