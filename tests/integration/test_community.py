"""Campaigns and resources across three real node processes, through their web pages."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto.digest import sha256
from tests.integration.network import Hub, start_hubs, wait_for

PDF = b"%PDF-1.4\n% a fact sheet about rent controls\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


class Browser:
    """A logged-in organiser of one hub, speaking plain HTTP to its web pages."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        email = re.search(r"organiser email: (\S+)", hub.init_output)
        password = re.search(r"organiser password: (\S+)", hub.init_output)
        assert email and password
        self.post("/login", {"email": email[1], "password": password[1]})

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.hub.url + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def csrf(self) -> str:
        match = re.search(rb'name="csrf" value="([^"]+)"', self.get("/join")[1])
        assert match
        return match[1].decode()

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str, bytes]:
        data = urllib.parse.urlencode({"csrf": self.csrf(), **fields}).encode()
        with self.opener.open(self.hub.url + path, data=data, timeout=10) as response:
            return response.status, response.url, response.read()

    def upload(self, name: str, data: bytes, title: str) -> str:
        boundary = "hubnetboundary7"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
            f"{title}\r\n".encode(),
            (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="file"; filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            + data
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        request = urllib.request.Request(
            f"{self.hub.url}/library/upload?csrf={self.csrf()}",
            data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with self.opener.open(request, timeout=30) as response:
            return str(response.url)


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Hub, Hub, Hub]]:
    """Riverside - Northgate - Hillfield, peered in a line and running."""
    hubs = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None), ("Hillfield", None))
    a, b, c = hubs
    b.peer_with(a)
    c.peer_with(b)
    yield a, b, c
    for hub in hubs:
        hub.stop()


def test_campaign_joined_by_two_hubs_lists_both_on_every_node(line: tuple[Hub, Hub, Hub]) -> None:
    browsers = [Browser(h) for h in line]
    _, url, _ = browsers[0].post(
        "/campaigns/new",
        {"title": "Fair rents now", "summary": "Rent controls for the city.", "status": "active"},
    )
    path = urllib.parse.urlsplit(url).path
    assert re.fullmatch(r"/campaigns/[0-9a-f]{64}", path)
    for browser in browsers[1:]:
        wait_for(
            f"{browser.hub.name} to hear of the campaign",
            lambda br=browser: br.get(path)[0] == 200,  # type: ignore[misc]
        )
        browser.post(path + "/join", {"statement": f"{browser.hub.name} is in"})

    def lists_both(browser: Browser) -> bool:
        page = browser.get(path)[1].decode()
        joined = page.split("Hubs that have joined", 1)[1]
        return "Northgate" in joined and "Hillfield" in joined

    for browser in browsers:
        wait_for(f"{browser.hub.name} to list both hubs", lambda br=browser: lists_both(br))  # type: ignore[misc]


def test_resource_published_on_one_hub_is_downloaded_on_another_with_its_hash(
    line: tuple[Hub, Hub, Hub],
) -> None:
    a, _, c = line
    on_a, on_c = Browser(a), Browser(c)
    url = on_a.upload("rent-controls.pdf", PDF, "Rent controls fact sheet")
    path = urllib.parse.urlsplit(url).path
    wait_for("Hillfield to fetch the file", lambda: on_c.get(path + "/file")[0] == 200, timeout=60)
    _, data = on_c.get(path + "/file")
    assert data == PDF and sha256(data).hex() in on_c.get(path)[1].decode()
    assert b"Rent controls fact sheet" in on_c.get("/search?q=rent")[1]
