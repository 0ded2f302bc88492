"""The hub against two independent ActivityPub implementations, all on loopback.

Fedify (npm) looks up the hub's handle, its actor and an event with signed fetches,
follows it, and verifies with its own code the signatures of the Accept, a new event,
its update and its cancellation. bovine (PyPI) does the same and replies to the event;
the reply shows on the hub's event page.

Fedify's CLI was the first choice; its npm package fetches a prebuilt binary at install
time, which cannot be fetched here, so the test drives the Fedify library itself
(docs/ARCHITECTURE.md, "The hub on the fediverse").
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
FEDIFY = PEER / "node_modules" / "@fedify" / "fedify"


class Peer:
    """Another server's account, run as a process that talks in JSON lines."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command,
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
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("interop")
    hub = Hub(root, "Riverside").start({"HUBNET_ACTIVITYPUB_ALLOW_LOOPBACK": "1"})
    yield hub
    hub.stop()


@pytest.fixture
def bovine() -> Iterator[Peer]:
    assert PEER_PYTHON.exists(), "make test installs bovine into tests/interop/.venv"
    peer = Peer([str(PEER_PYTHON), str(PEER / "bovine_peer.py")])
    yield peer
    peer.stop()


@pytest.fixture
def fedify() -> Iterator[Peer]:
    assert FEDIFY.exists(), "make test installs Fedify into tests/interop/node_modules"
    peer = Peer(["node", str(PEER / "fedify_peer.mjs")])
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def organiser(hub: Hub) -> Browser:
    """The hub's organiser, logged in once (`hubnet init`'s password works once)."""
    password = re.search(r"organiser password: (\S+)", hub.init_output)
    assert password
    browser = Browser(hub)
    browser.post("/login", {"email": "organiser@localhost", "password": password.group(1)})
    return browser


def test_fedify_looks_up_follows_and_gets_an_event_its_update_and_cancellation(
    hub: Hub, fedify: Peer, organiser: Browser
) -> None:
    actor = hub.url + "/"
    handle = f"@riverside@127.0.0.1:{hub.port}"
    fedify.send({"lookup": handle})
    found = fedify.wait(lambda line: "found" in line or "error" in line)
    assert found.get("found"), found
    assert found["found"]["type"] == "Group" and found["found"]["id"] == actor
    assert found["found"]["preferredUsername"] == "riverside"

    fedify.send({"follow": actor})
    assert fedify.wait(lambda line: "sent" in line or "error" in line) == {"sent": "Follow"}
    accept = fedify.received("Accept")
    assert accept["received"]["actor"] == actor

    event_id = organiser.post("/events/new", {**FORM, "title": "Fedify picnic"}).rsplit("/", 1)[1]
    created = fedify.received("Create", lambda a: a["object"].get("name") == "Fedify picnic")
    event = created["received"]["object"]
    assert event["type"] == "Event" and event["startTime"] == "2031-06-01T17:30:00Z"
    fedify.send({"lookup": event["id"]})
    looked = fedify.wait(lambda line: "found" in line and line["found"].get("type") == "Event")
    assert looked["found"]["name"] == "Fedify picnic"

    organiser.post(f"/events/{event_id}/edit", {**FORM, "title": "Fedify picnic, moved"})
    fedify.received("Update", lambda a: a["object"].get("name") == "Fedify picnic, moved")
    organiser.post(f"/events/{event_id}/cancel", {"reason": "Rain"})
    cancelled = fedify.received("Update", lambda a: "Cancelled." in a["object"]["content"])
    assert "Rain" in cancelled["received"]["object"]["content"]
    assert not [line for line in fedify.lines if "error" in line]


def test_bovine_follows_gets_an_event_its_update_and_cancellation_and_replies(
    hub: Hub, bovine: Peer, organiser: Browser
) -> None:
    peer = bovine
    actor = hub.url + "/"
    peer.send({"follow": actor, "inbox": hub.url + "/ap/inbox"})
    assert peer.wait(lambda line: "posted" in line)["posted"] == 202
    accept = peer.received("Accept")
    assert accept["signer"] == actor and accept["received"]["object"]["actor"] == peer.actor

    event_id = organiser.post("/events/new", FORM).rsplit("/", 1)[1]
    created = peer.received("Create", lambda a: a["object"].get("name") == "Save the library")
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
    # What the command line publishes goes out too (another process wrote it).
    hub.announce("Rent strike meeting moved to Thursday")
    note = peer.received("Create", lambda a: a["object"].get("type") == "Note")
    assert "moved to Thursday" in note["received"]["object"]["content"]
    page = organiser.get(f"/events/{event_id}")
    assert "from the fediverse" in page and "See you there!" in page and "Bea" in page
    assert not [line for line in peer.lines if "refused" in line]
