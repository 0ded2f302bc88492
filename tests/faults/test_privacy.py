"""Personal data never leaves a node: canaries in every personal field, all traffic scanned.

Three real hubs in a line (Riverside - Northgate - Hillfield). Each hub's public
address is a recording fault proxy, so every request any node makes of another,
and every answer, passes through one and is kept. Markers are planted in every
field of PERSONAL_FIELDS (tests/faults/canaries.py) on each hub, before peering
and while federating; then the hubs swap news until their heads agree, and the
scanner looks for every marker in every recorded byte, raw and encoded.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import msgpack
import pytest

from tests.faults import scale
from tests.faults.canaries import Canaries, Hit, http_bodies, msgpack_leaves, scan, seed_every_field
from tests.faults.hostile import joined
from tests.faults.proxy import ThreadedFaultProxy
from tests.faults.test_crashes import cleanup  # noqa: F401 (fixture)
from tests.faults.websession import WebSession
from tests.helpers import key_from
from tests.integration.network import Hub, free_port, start_hubs, wait_for

CONTROL = "control: published on purpose"


def organiser_of(hub: Hub) -> WebSession:
    email = re.search(r"^organiser email: (\S+)\s*$", hub.init_output, re.MULTILINE)
    password = re.search(r"^organiser password: (\S+)\s*$", hub.init_output, re.MULTILINE)
    assert email and password, hub.init_output
    session = WebSession(hub.url)
    session.login(email.group(1), password.group(1))
    return session


@pytest.mark.timeout(600)  # three hubs' worth of members, and an election's voting to open
def test_no_personal_field_leaves_a_node_and_the_scanner_finds_a_planted_leak(
    tmp_path: Path,
    cleanup: list[Any],  # noqa: F811
) -> None:
    started = time.monotonic()
    ports = [free_port() for _ in range(3)]
    hubs = start_hubs(
        tmp_path,
        *(
            (name, f"http://127.0.0.1:{port}")
            for name, port in zip(("Riverside", "Northgate", "Hillfield"), ports, strict=True)
        ),
    )
    cleanup += hubs
    a, b, c = hubs
    proxies = {}
    for hub, port in zip(hubs, ports, strict=True):
        proxy = ThreadedFaultProxy(record=True)
        proxy.start("127.0.0.1", hub.port, listen_port=port)
        cleanup.append(proxy)
        proxies[hub.name] = proxy

    canaries = Canaries()
    organisers = {hub.name: organiser_of(hub) for hub in hubs}
    later = []
    for hub in (a, b):
        later += seed_every_field(hub, organisers[hub.name], canaries)
    b.peer_with(a)
    c.peer_with(b)
    a.announce_many([f"Riverside news {i}" for i in range(5)])
    later += seed_every_field(c, organisers[c.name], canaries)  # while the hubs federate
    c.announce_many([f"Hillfield news {i}" for i in range(5)])
    for step in later:  # what needed time to pass (ballots, once voting opens)
        step()

    # The control: a marker put where it must travel (a public announcement).
    control = canaries.mint(CONTROL)
    a.announce(f"Open meeting, ask for {control}")
    lookers = [joined(hub, key_from(91)) for hub in hubs]  # only peers may read heads

    def converged() -> bool:
        heads = [looker.get_heads() for looker in lookers]
        return len(heads[0]) == 3 and heads[0] == heads[1] == heads[2]

    wait_for("the three hubs to hold the same logs", converged, timeout=60)
    assert any(control in text for text in c.texts()), "the control did not reach Hillfield"

    streams = [
        (f"to {name}, connection {i}, {direction}", data)
        for name, proxy in proxies.items()
        for i, pair in enumerate(proxy.streams)
        for direction, data in zip(("request", "response"), pair, strict=True)
    ]
    recorded = sum(len(data) for _, data in streams)
    assert recorded > 10_000, f"only {recorded} bytes were recorded between the nodes"
    hits = scan(streams, canaries)
    leaks = [h for h in hits if h.field != CONTROL]
    assert leaks == [], "personal data left a node:\n" + "\n".join(map(str, leaks))
    # The scanner works on this very recording: it finds what was published on purpose,
    # in the raw bytes and inside the decoded msgpack payloads.
    found = {h.form for h in hits if h.field == CONTROL}
    assert "raw" in found and "raw in msgpack" in found, f"control found only as {found}"
    personal = {f for f in canaries.markers.values() if f != CONTROL}
    scale.report(
        "privacy canaries",
        started,
        markers=len(canaries.markers) - 1,
        fields=len(personal),
        streams=len(streams),
        bytes_scanned=recorded,
        hits=0,
        control_found_as=sorted(found),
    )


# -- the scanner on its own: each encoding it claims to see through ------------------------


def _http(body: bytes, *headers: str) -> bytes:
    head = "\r\n".join(["POST /federation/v1/messages HTTP/1.1", *headers])
    return head.encode() + b"\r\n\r\n" + body


def test_scanner_finds_a_marker_in_every_encoding_it_claims() -> None:
    import base64
    import gzip

    canaries = Canaries()
    marker = canaries.mint("members.phone")
    raw = marker.encode()
    packed = msgpack.packb({"payload": msgpack.packb({"text": marker.upper()})})
    cases = {
        "raw": b"xx" + raw.upper() + b"yy",
        "hex": b"id=" + raw.hex().upper().encode(),
        "utf-16": marker.encode("utf-16-le"),
        "base64": b"q=" + base64.b64encode(b"ab" + raw + b"cd"),
        "urlsafe base64": base64.urlsafe_b64encode(b"a" + raw),
        "gzip body": _http(
            gzip.compress(raw),
            "Content-Encoding: gzip",
            "Content-Length: " + str(len(gzip.compress(raw))),
        ),
        "chunked body": _http(
            b"5\r\n"
            + raw[:5]
            + b"\r\n"
            + f"{len(raw) - 5:x}".encode()
            + b"\r\n"
            + raw[5:]
            + b"\r\n0\r\n\r\n",
            "Transfer-Encoding: chunked",
        ),
        "nested msgpack": _http(packed, f"Content-Length: {len(packed)}"),
    }
    for name, data in cases.items():
        hits = scan([(name, data)], canaries)
        assert [h.marker for h in hits][:1] == [marker], f"missed the marker as {name}"
    assert scan([("clean", b"nothing personal here " * 100)], canaries) == []
    assert msgpack_leaves(b"\xc1") == [] and http_bodies(b"not http") == []
    assert isinstance(hits[0], Hit)
