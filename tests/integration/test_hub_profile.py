"""A hub's profile reaches its peers, on real node processes: what the organisers save
on one hub's web pages shows on the other's network hubs page, and a new address is
followed without peering again (PROTOCOL.md §5.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.network import Hub, free_port, start_hubs, wait_for
from tests.integration.web_session import WebSession, organiser_login

PROFILE = {
    "description": "We meet every Tuesday.",
    "area": "Leeds and Bradford",
    "region": "Yorkshire and The Humber",
    "town": "Leeds",
    "meeting_place": "Quaker Meeting House",
    "contact": "hello@alpha.example.org",
    "timezone": "Europe/London",
}


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub]]:
    root: Path = tmp_path_factory.mktemp("hub-profile")
    started = start_hubs(root, ("Alpha", None), ("Beta", None))
    a, b = started
    try:
        b.peer_with(a)
        yield a, b
    finally:
        for hub in started:
            hub.stop()


def _session(hub: Hub) -> WebSession:
    session = WebSession(hub.url)
    session.login(*organiser_login(hub.init_output))
    return session


def test_a_saved_profile_and_a_new_address_reach_the_peer(hubs: tuple[Hub, Hub]) -> None:
    a, b = hubs
    alpha, beta = _session(a), _session(b)
    status, page = alpha.post(
        "/organise/profile", {**PROFILE, "name": "Alpha Hub", "url": a.public_url}
    )
    assert status == 200 and "Profile saved: every hub will see it within a minute." in page, page

    def shown_on_beta() -> bool:
        _, page = beta.get("/network/hubs")
        return all(
            text in page for text in ("Alpha Hub", "Yorkshire and The Humber", "Leeds and Bradford")
        )

    wait_for("Beta to show Alpha's new profile", shown_on_beta, timeout=15)
    # Beta's organisers see the new name on their peers too.
    assert "Alpha Hub" in b.peer_cli("list")

    # Alpha moves: it says so in its profile, then answers only at the new address.
    # Alpha stops pulling (an hour between pulls), so what Beta writes after the move
    # reaches Alpha only if Beta pushes to the new address.
    port = free_port()
    moved = f"http://127.0.0.1:{port}"
    status, page = alpha.post("/organise/profile", {**PROFILE, "name": "Alpha Hub", "url": moved})
    assert status == 200 and "peers follow it" in page, page
    wait_for("Beta to take Alpha's new address", lambda: moved in b.peer_cli("list"), timeout=15)
    a.stop()
    a.port, a.url, a.public_url = port, moved, moved
    a.start({"HUBNET_PULL_INTERVAL": "3600"})
    b.announce("Written on Beta after Alpha moved")
    wait_for(
        "Beta's push to reach Alpha at its new address",
        lambda: "Written on Beta after Alpha moved" in a.texts(),
        timeout=20,
    )
