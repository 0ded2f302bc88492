"""The fediverse pages in Chromium, at a phone's width: the organisers' page of
followers and blocks, and a reply from the fediverse under an event, with its
moderation buttons. Both pass axe and fit 375 px."""

from __future__ import annotations

import asyncio
import re
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from aiohttp import web
from playwright.sync_api import Page, expect

from tests.browser.helpers import NARROW, check_accessibility, log_in, set_width
from tests.fediverse import Account
from tests.integration.network import Hub, free_port
from tests.integration.test_events import FORM, Browser


class AccountServer:
    """tests/fediverse.Account on a loopback server, in a thread of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.account = Account(f"http://127.0.0.1:{self.port}")
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
        self.thread.start()
        assert started.wait(10)

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_routes(self.account.routes())
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def post(self, hub: Hub, activity: dict[str, object]) -> int:
        url = hub.url + "/ap/inbox"
        body, headers = self.account.signed(url, activity)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)


@pytest.fixture(scope="module")
def fediverse_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, str, str]]:
    """A hub followed by one account, with a public event that account replied to."""
    hub = Hub(tmp_path_factory.mktemp("fedi"), "Riverside")
    hub.start({"HUBNET_ACTIVITYPUB_ALLOW_LOOPBACK": "1"})
    password = re.search(r"organiser password: (\S+)", hub.init_output)
    assert password
    organiser = Browser(hub)
    organiser.post("/login", {"email": "organiser@localhost", "password": password.group(1)})
    event_id = organiser.post("/events/new", FORM).rsplit("/", 1)[1]
    server = AccountServer()
    account = server.account
    actor = hub.public_url + "/"
    assert (
        server.post(
            hub, {"id": account.id + "#f", "type": "Follow", "actor": account.id, "object": actor}
        )
        == 202
    )
    note = {
        "id": account.base + "/notes/1",
        "type": "Note",
        "attributedTo": account.id,
        "inReplyTo": f"{hub.public_url}/ap/objects/{event_id}",
        "content": "<p>We will bring a <strong>banner</strong>.</p>",
    }
    create = {"id": note["id"] + "#c", "type": "Create", "actor": account.id, "object": note}
    assert server.post(hub, create) == 202
    yield hub, event_id, password.group(1)
    hub.stop()
    server.close()


def test_fediverse_pages_fit_a_phone_and_pass_axe(
    fediverse_hub: tuple[Hub, str, str], page: Page
) -> None:
    hub, event_id, password = fediverse_hub
    set_width(page, NARROW)
    log_in(page, hub.url, "organiser@localhost", password)
    # Found from the menu, as an organiser would (folded into one menu on a phone).
    page.goto(hub.url + "/dashboard")
    menu = page.get_by_role("link", name="Fediverse", include_hidden=True)
    href = menu.first.get_attribute("href")
    assert href == "/organise/fediverse"
    page.goto(hub.url + href)
    expect(page.get_by_text("Followers (1)")).to_be_visible()
    page.get_by_label("Instance name or account address").fill("spam.example")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Blocked spam.example")
    expect(page.get_by_role("button", name="Unblock spam.example")).to_be_visible()
    _fits_and_passes_axe(page)

    page.goto(f"{hub.url}/events/{event_id}")
    expect(page.get_by_text("from the fediverse", exact=True)).to_be_visible()
    expect(page.locator("strong", has_text="banner")).to_be_visible()
    _fits_and_passes_axe(page)
    page.get_by_role("button", name=re.compile("^Hide the reply")).click()
    expect(page.get_by_role("status")).to_contain_text("Reply hidden.")
    expect(page.get_by_text("banner")).to_have_count(0)


def _fits_and_passes_axe(page: Page) -> None:
    check_accessibility(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"at {NARROW} px the page is {overflow} px wider than the screen"
