"""The hub against an independent ActivityPub implementation, both on loopback: bovine
(PyPI) serves an account that follows a real hub process, verifies with its own code
the signatures of what the hub sends (the Accept, a new event, its update and its
cancellation), and replies to the event; the reply shows on the hub's event page.

Fedify's CLI was the first choice; its npm package fetches a prebuilt binary at install
time, which cannot be fetched here (docs/ARCHITECTURE.md, "The hub on the fediverse").
"""

from __future__ import annotations

import json
import re
import select
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.network import Hub
from tests.integration.test_events import FORM, Browser

PEER = Path(__file__).parents[1] / "interop"
PEER_PYTHON = PEER / ".venv" / "bin" / "python"


class BovinePeer:
    def __init__(self) -> None:
        assert PEER_PYTHON.exists(), "make test installs bovine into tests/interop/.venv"
        self.process = subprocess.Popen(
            [str(PEER_PYTHON), str(PEER / "bovine_peer.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self.actor = self.wait(lambda line: "ready" in line)["ready"]

    def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def wait(self, check: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any]:
        for line in self.lines:
            if check(line):
                return line
        assert self.process.stdout is not None
        while True:
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            assert ready, f"bovine said nothing more; so far: {self.lines}"
            text = self.process.stdout.readline()
            assert text, f"bovine stopped; so far: {self.lines}"
            line = json.loads(text)
            self.lines.append(line)
            if check(line):
                return line

    def received(self, kind: str, check: Callable[[dict[str, Any]], bool] = lambda a: True) -> Any:
        def verified(line: dict[str, Any]) -> bool:
            got = line.get("received")
            return bool(got and got.get("type") == kind and check(got))

        return self.wait(verified)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def hub_and_peer(tmp_path: Path) -> Iterator[tuple[Hub, BovinePeer]]:
    hub = Hub(tmp_path, "Riverside").start({"HUBNET_ACTIVITYPUB_ALLOW_LOOPBACK": "1"})
    peer = BovinePeer()
    yield hub, peer
    peer.stop()
    hub.stop()


def test_bovine_follows_gets_an_event_its_update_and_cancellation_and_replies(
    hub_and_peer: tuple[Hub, BovinePeer],
) -> None:
    hub, peer = hub_and_peer
    actor = hub.url + "/"
    peer.send({"follow": actor, "inbox": hub.url + "/ap/inbox"})
    assert peer.wait(lambda line: "posted" in line)["posted"] == 202
    accept = peer.received("Accept")
    assert accept["signer"] == actor and accept["received"]["object"]["actor"] == peer.actor

    password = re.search(r"organiser password: (\S+)", hub.init_output)
    assert password
    organiser = Browser(hub)
    organiser.post("/login", {"email": "organiser@localhost", "password": password.group(1)})
    event_id = organiser.post("/events/new", FORM).rsplit("/", 1)[1]
    created = peer.received("Create")
    event = created["received"]["object"]
    assert created["signer"] == actor and event["type"] == "Event"
    assert event["name"] == "Save the library" and event["startTime"] == "2031-06-01T17:30:00Z"
    assert event["location"]["name"] == "Riverside Library"

    organiser.post(f"/events/{event_id}/edit", {**FORM, "title": "Save the library rally"})
    updated = peer.received("Update", lambda a: a["object"]["name"] == "Save the library rally")
    assert updated["received"]["object"]["id"] == event["id"]
    organiser.post(f"/events/{event_id}/cancel", {"reason": "Venue flooded"})
    peer.received("Update", lambda a: a["object"].get("ical:status") == "CANCELLED")

    posts = len([line for line in peer.lines if "posted" in line])
    peer.send({"reply": event, "inbox": hub.url + "/ap/inbox", "content": "See you there!"})
    peer.wait(lambda line: len([x for x in peer.lines if "posted" in x]) > posts)
    assert [x["posted"] for x in peer.lines if "posted" in x] == [202, 202]
    page = organiser.get(f"/events/{event_id}")
    assert "from the fediverse" in page and "See you there!" in page and "Bea" in page
    assert not [line for line in peer.lines if "refused" in line]
