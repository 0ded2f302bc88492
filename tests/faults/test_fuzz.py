"""Fuzzing the federation HTTP API of a running node: zero 5xx, no crash, memory bounded.

Two tests. The first sends many requests cheaply: a seeded mutator over real
signed requests (tests/faults/mutator.py) spread over several concurrent
keep-alive connections; `make faults` sends 100,000. The second is smaller:
hypothesis builds requests: methods, paths (the API's and mangled ones), bodies
(random bytes, random msgpack, valid pushes with bytes mutated), headers
(random, or an honest signature, or an honest signature then tampered), sent
unsigned, by a stranger, or by a peer (whose requests pass the rate limit and
reach the handlers). One connection is reused, as a peer would. The node's
resident memory (with its worker processes) is sampled as it goes.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from protocol import federation as wire
from tests.faults import scale
from tests.faults.hostile import PREFIX, Client, admit, founded, node_ids
from tests.faults.mutator import Mutator, author_of
from tests.faults.test_crashes import FakePeer, cleanup, descendants  # noqa: F401 (fixture)
from tests.faults.test_soak import peer_as
from tests.helpers import chain, key_from, mutate, mutations, wires
from tests.integration.network import Hub, found_network

PATHS = [
    f"{PREFIX}/messages",
    f"{PREFIX}/heads",
    f"{PREFIX}/peering",
    f"{PREFIX}/log/" + "a" * 56,
    f"{PREFIX}/log/{{origin}}?after=1&limit=5",
    f"{PREFIX}/resources/" + "0" * 64,
    f"{PREFIX}/",
]
HEADER_NAMES = ["Signature-Input", "Signature", "Content-Digest", "Content-Type", "X-Junk"]

msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=20)
    | st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


def rss_kib(pid: int) -> int:
    """Resident memory of a process and everything it started, in KiB."""
    total = 0
    for each in {pid} | descendants(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def tracebacks(hub: Hub) -> list[str]:
    """Lines of the node's output that show an exception escaped a handler."""
    assert hub.process is not None
    return [line for line in hub.process.output if "Traceback" in line or " ERROR " in line]


MUTATOR_SEED = 20240600
# Keys whose messages the requests carry: founders of the hub's network, so that what
# they push reaches the store (a node stores only its members' messages).
AUTHORS = [
    key_from(113),  # the hypothesis test's
    key_from(119),  # the honest push after the mutator's
    *(author_of(MUTATOR_SEED + n) for n in range(scale.FUZZ_CONNECTIONS)),
]


def hub_and_peer(tmp_path: Path, cleanup: list[Any]) -> tuple[Hub, FakePeer]:  # noqa: F811
    """A running hub peered with a fake peer whose signed requests it accepts.

    The hub founds a network naming itself and AUTHORS.
    """
    hub = Hub(tmp_path, "Riverside")
    found_network([hub], others=node_ids(AUTHORS))
    hub.start()
    cleanup.append(hub)
    peer = FakePeer(key_from(111)).start()
    cleanup.append(peer)
    peer_as(peer.key, hub, peer.url)
    return hub, peer


def founders(hub: Hub) -> list[str]:
    return [hub.node_id, *node_ids(AUTHORS)]


@pytest.mark.timeout(scale.TIMEOUT)
def test_mutated_signed_requests_never_get_a_5xx_and_memory_stays_bounded(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    hub, peer = hub_and_peer(tmp_path, cleanup)
    # Admitted now: the fuzzing spends the rate limit that requests from non-peers share.
    [found] = admit([hub], [key_from(119)], founders(hub))
    assert hub.process is not None
    pid = hub.process.proc.pid
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    failures: list[str] = []
    sent = [0]
    rss: list[int] = [rss_kib(pid)]
    connections = scale.FUZZ_CONNECTIONS
    shares = [scale.FUZZ_REQUESTS // connections] * connections
    shares[0] += scale.FUZZ_REQUESTS - sum(shares)

    def send_share(n: int, share: int) -> None:
        mutator = Mutator(MUTATOR_SEED + n, peer.key, key_from(112), peer.node_id, founders(hub))
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=60)
        for _ in range(share):
            request = mutator.next()
            for attempt in range(2):
                try:
                    conn.request(
                        request.method, request.target, body=request.body, headers=request.headers
                    )
                    response = conn.getresponse()
                    response.read()
                    break
                except (OSError, http.client.HTTPException):
                    # The node closed the connection (after a 4xx, say): open another once.
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=60)
                    if attempt:
                        with lock:
                            failures.append(f"no answer: {request.method} {request.target}")
                        return
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                sent[0] += 1
                if response.status >= 500:
                    failures.append(f"{response.status}: {request.how} {request.target}")
                sample = sent[0] % 2000 == 0
            if sample:
                memory = rss_kib(pid)
                with lock:
                    rss.append(memory)
        conn.close()

    threads = [
        threading.Thread(target=send_share, args=(n, share), daemon=True)
        for n, share in enumerate(shares)
    ]
    sending = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sending = time.monotonic() - sending
    rss.append(rss_kib(pid))
    assert failures == [], f"{len(failures)} failures, the first: {failures[:5]}"
    assert sent[0] == scale.FUZZ_REQUESTS
    # Afterwards the node still serves, still stores an honest push, and logged no crash.
    assert hub.health()["status"] == "ok", "the node stopped serving"
    assert hub.process is not None and hub.process.proc.poll() is None, "the node died"
    honest = Client(hub.url, peer.key).push(wires(chain(key_from(119), 2, 2, found.id)))
    assert [r.status for r in honest.results] == ["stored", "stored"], str(honest)
    assert tracebacks(hub) == [], "".join(tracebacks(hub)[:20])
    assert sum(n for status, n in statuses.items() if status < 300) > 0, "nothing got through"
    warm = rss[min(len(rss) - 1, 2)]
    assert rss[-1] < warm + 100 * 1024, f"memory grew from {warm} to {rss[-1]} KiB"
    scale.report(
        "fuzzed federation requests (seeded mutator)",
        started,
        requests=sent[0],
        connections=connections,
        requests_per_second=round(sent[0] / sending),
        **{"5xx": 0},
        tracebacks=0,
        statuses=dict(sorted(statuses.items())),
        rss_start_mib=round(rss[0] / 1024),
        rss_peak_mib=round(max(rss) / 1024),
        rss_end_mib=round(rss[-1] / 1024),
    )


@pytest.mark.timeout(scale.TIMEOUT)
def test_hypothesis_built_requests_never_get_a_5xx_and_memory_stays_bounded(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    hub, peer = hub_and_peer(tmp_path, cleanup)
    signers = {"peer": Client(hub.url, peer.key), "stranger": Client(hub.url, key_from(112))}
    found = founded(key_from(113), founders(hub))
    valid = wire.encode_push(wires([found, *chain(key_from(113), 2, 2, found.id)]))
    assert hub.process is not None
    pid = hub.process.proc.pid
    conn = [http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)]
    counts = {"requests": 0, "5xx": 0}
    statuses: dict[int, int] = {}
    rss: list[int] = [rss_kib(pid)]

    bodies = (
        st.binary(max_size=600)
        | msgpack_values.map(lambda v: msgpack.packb(v, use_bin_type=True))
        | mutations(len(valid)).map(lambda steps: mutate(valid, steps))
        | st.just(valid)
    )

    @settings(
        max_examples=scale.FUZZ_HYPOTHESIS,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
        path=st.sampled_from(PATHS) | st.text(max_size=30).map(lambda t: f"{PREFIX}/{t}"),
        body=bodies,
        signing=st.sampled_from(["none", "peer", "stranger", "peer-tampered"]),
        junk=st.dictionaries(st.sampled_from(HEADER_NAMES), st.text(max_size=60), max_size=3),
    )
    def one_request(
        method: str, path: str, body: bytes, signing: str, junk: dict[str, str]
    ) -> None:
        target = path.replace("{origin}", signers["peer"].node_id)
        target = urllib.parse.quote(target, safe="/?=&")
        headers = {"Content-Type": "application/msgpack"}
        if signing != "none":
            headers.update(signers[signing.split("-")[0]].sign(method, target, body))
        if signing == "none" or signing.endswith("tampered"):
            headers.update(
                {k: "".join(c for c in v if 0x20 <= ord(c) < 0x7F) for k, v in junk.items()}
            )
        for attempt in range(2):
            try:
                conn[0].request(method, target, body=body, headers=headers)
                response = conn[0].getresponse()
                response.read()
                break
            except (OSError, http.client.HTTPException):
                # The node closed the connection (after a 4xx, say): open another once.
                conn[0].close()
                conn[0] = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
                if attempt:
                    raise
        counts["requests"] += 1
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status >= 500:
            counts["5xx"] += 1
        if counts["requests"] % 1000 == 0:
            rss.append(rss_kib(pid))
        assert response.status < 500, f"{method} {target} ({signing}): {response.status}"

    one_request()
    conn[0].close()
    rss.append(rss_kib(pid))
    assert hub.health()["status"] == "ok", "the node stopped serving"
    assert hub.process is not None and hub.process.proc.poll() is None, "the node died"
    # Bounded: after warming up, memory must not keep growing with the number of requests.
    warm = rss[min(len(rss) - 1, 2)]
    assert rss[-1] < warm + 100 * 1024, f"memory grew from {warm} to {rss[-1]} KiB"
    scale.report(
        "hypothesis-built federation requests",
        started,
        requests=counts["requests"],
        **{"5xx": counts["5xx"]},
        statuses=dict(sorted(statuses.items())),
        rss_start_mib=round(rss[0] / 1024),
        rss_peak_mib=round(max(rss) / 1024),
        rss_end_mib=round(rss[-1] / 1024),
    )
