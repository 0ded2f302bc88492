"""An event made on one hub, edited and cancelled, shows its latest state two hubs away."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import vobject

from tests.integration.network import Hub, start_hubs, wait_for


class Browser:
    """A logged-in visitor to one hub, with cookies and the form token."""

    def __init__(self, hub: Hub) -> None:
        self.base = hub.url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return str(response.read().decode())

    def post(self, path: str, form: dict[str, str]) -> str:
        page = self.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        data = urllib.parse.urlencode({"csrf": token.group(1), **form}).encode()
        with self.opener.open(self.base + path, data=data, timeout=10) as response:
            return str(response.geturl())


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Hub, Hub, Hub]]:
    hubs = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None), ("Hillfield", None))
    a, b, c = hubs
    b.peer_with(a)
    c.peer_with(b)
    yield a, b, c
    for hub in hubs:
        hub.stop()


FORM = {
    "title": "Save the library",
    "start_date": "2031-06-01",
    "start_time": "18:30",
    "end_time": "20:00",
    "timezone": "Europe/London",
    "type": "public-meeting",
    "visibility": "public",
    "place": "Riverside Library",
}


def test_edit_and_cancel_reach_a_hub_two_hops_away(line: tuple[Hub, Hub, Hub]) -> None:
    a, _, c = line
    password = re.search(r"organiser password: (\S+)", a.init_output)
    assert password
    organiser = Browser(a)
    organiser.post("/login", {"email": "organiser@localhost", "password": password.group(1)})
    location = organiser.post("/events/new", FORM)
    event_id = location.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{64}", event_id), location

    visitor = Browser(c)

    def page() -> str:
        try:
            return visitor.get(f"/events/{event_id}")
        except urllib.error.HTTPError:
            return ""

    wait_for("Hillfield to show the event", lambda: "Save the library" in page())
    organiser.post(
        f"/events/{event_id}/edit", {**FORM, "title": "Library rally", "start_time": "19:00"}
    )
    wait_for("Hillfield to show the edit", lambda: "Library rally" in page())
    organiser.post(f"/events/{event_id}/cancel", {"reason": "The council backed down"})
    wait_for("Hillfield to show the cancellation", lambda: "This event is cancelled" in page())
    assert "The council backed down" in page() and "19:00" in page()

    [vevent] = vobject.readOne(visitor.get("/calendar.ics")).vevent_list
    assert vevent.uid.value == f"{event_id}@hubnet"
    assert vevent.sequence.value == "2" and vevent.status.value == "CANCELLED"
    assert vevent.dtstart.value.hour == 19
    assert vevent.dtstart.value.utcoffset().total_seconds() == 3600  # BST in June
    feed = visitor.get(f"/calendar/hubs/{a.node_id}.ics")
    assert "Library rally" in feed
