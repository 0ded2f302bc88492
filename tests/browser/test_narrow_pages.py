"""Nothing is cut off or scrolls sideways on a 320 px phone, on any page a member or an
organiser can open: every GET route's page (tests/pages.py), with a hub's worth of data.

The data is made through the hub's own forms in-process (as tests/web's walks make it),
on a clock the seeding moves through a budget round and an election to their results;
then `hubnet run` serves that data directory under libfaketime, starting at the
seeding's last moment, so the pages show what they would right after. One browser
context per person, one page reused; a screenshot of each page at 320 px goes into
test-artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.sync_api import Browser, Page

from node import config as settings
from node.appkeys import NODE
from node.setup import init_data_dir
from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.browser.helpers import SCREENSHOTS, WIDE, log_in, set_width
from tests.helpers import ManualClock
from tests.integration.network import Hub
from tests.pages import MEMBER, ORGANISER, fetch_pages, page_paths, seed
from tests.web.conftest import FAST_HASHING, PASSWORD, Site, found_test_network
from tests.web.test_assembly import NOW
from web.app import create_app

NARROWEST = 320
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
# A few pages with wide tables, also checked on a laptop's screen.
ALSO_WIDE = ("/dashboard", "/funds", "/organise/members", "/organise/peers", "/roles")

# What sticks out past the screen's right edge, or scrolls sideways inside a box; a
# visually hidden element (a 1 px clipped box, for screen readers) is not seen.
_OVERFLOW = """() => {
  const width = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className.trim()
       ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > width) found.push(`the page is ${root.scrollWidth} px wide`);
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown (a closed <details>)
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      found.push(`${name(el)} scrolls sideways (${el.scrollWidth} px in ${el.clientWidth} px)`);
    if (box.right <= width + 0.5 || style.visibility === "hidden") continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const r = up.getBoundingClientRect();
      if (getComputedStyle(up).overflowX !== "visible" && r.width <= 1) { clipped = true; break; }
    }
    if (clipped) continue;
    const text = (el.innerText || el.value || "").trim().slice(0, 40);
    found.push(`${name(el)} "${text}" ends at ${Math.round(box.right)} px`);
  }
  return found;
}"""


def _slug(path: str) -> str:
    """A file name for the page: its path with ids as "x", so a new run's screenshot
    replaces the last one's."""
    general = re.sub(r"[0-9a-f]{16,}|[a-z2-7]{56}|(?<=/)[\w-]{32,}", "x", path)
    return re.sub(r"[^a-z0-9]+", "-", general.lower()).strip("-")[:60] or "home"


async def _seed(hub: Hub) -> tuple[dict[str, list[str]], str, int]:
    """Make the hub's data directory afresh on the seeding's clock (roles are granted
    from the moment it says), then fill it through the hub's own forms; the pages to
    walk for each person, the organiser's email and the clock's last moment (ms)."""
    clock = ManualClock(NOW * 1000)
    data_dir = hub.data_dir
    shutil.rmtree(data_dir)
    await init_data_dir(data_dir, hub.name, hub.public_url, ORGANISER, clock=clock, network=False)
    async with TestClient(TestServer(create_app(settings.load(data_dir), clock))) as client:
        node = client.app[NODE]
        await node.members.set_password(1, PASSWORD)
        await found_test_network(node)
        founder = await node.members.get(1)
        assert founder is not None and founder.email is not None
        site = Site(client, node)
        seeded = await seed(site, clock)
        paths = {email: page_paths(client.app, seeded, email) for email in (MEMBER, ORGANISER)}
        # The member is walked through the pages open to them (an organiser's page
        # answers them "Not allowed", one small page checked once here, as the first).
        fetched = await fetch_pages(site, paths[MEMBER], MEMBER)
        refused = [f.path for f in fetched if f.status == 403]
        paths[MEMBER] = refused[:1] + [f.path for f in fetched if f.status == 200]
        return paths, founder.email, clock()


@pytest.fixture(scope="module")
def filled_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, dict, str]]:
    if not LIBFAKETIME.exists():
        pytest.fail(f"{LIBFAKETIME} is missing: `make test` installs Debian's faketime package")
    hub = Hub(tmp_path_factory.mktemp("narrow"), "Riverside")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**FAST_HASHING, "HUBNET_WITNESS_DELAY_MS": "0"}.items():
            patch.setenv(name, value)
        # Its own thread, for its own event loop: Playwright's holds this one.
        with ThreadPoolExecutor(1) as thread:
            paths, organiser, ends = thread.submit(asyncio.run, _seed(hub)).result()
    # An offset from now, in seconds: libfaketime's cheapest way to move a clock.
    start = f"{(ends - time.time_ns() // 1_000_000) // 1000:+d}"
    hub.start(
        env={
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME": start,
            # (Faking the monotonic clock too, as libfaketime does by default: leaving it
            # real keeps the node's event loop busy, and every page takes 0.5 s longer.)
        }
    )
    try:
        yield hub, paths, organiser
    finally:
        hub.stop()


def _walk(
    page: Page, hub: Hub, who: str, paths: list[str], organiser: bool, shot: set[str]
) -> list[str]:
    """Open every page at 320 px; what does not fit, by page and element. Each page
    not in `shot` yet is photographed (the organiser's view, with their forms, first)."""
    problems = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path in paths:
        response = page.goto(hub.url + path)
        assert response is not None, path
        allowed = (200,) if organiser else (200, 403)
        assert response.status in allowed, f"{path} as {who}: {response.status}"
        name = _slug(path) if response.status == 200 else "not-allowed"
        if name not in shot:
            shot.add(name)
            # JPEG: a third of the time a PNG of a long page takes to encode.
            file = SCREENSHOTS / f"narrow-{name}-{NARROWEST}.jpeg"
            page.screenshot(path=str(file), full_page=True, type="jpeg", quality=70)

        found = page.evaluate(_OVERFLOW)
        more = [f"(and {len(found) - 5} more)"] if len(found) > 5 else []
        problems += [f"{path} as {who}: {p}" for p in found[:5] + more]
    return problems


def test_every_page_fits_a_320_px_phone_for_a_member_and_an_organiser(
    filled_hub: tuple[Hub, dict[str, list[str]], str], browser: Browser
) -> None:
    hub, paths, organiser = filled_hub
    problems: list[str] = []
    shot: set[str] = set()
    for email, who in ((organiser, "organiser"), (MEMBER, "member")):
        context = browser.new_context(viewport={"width": NARROWEST, "height": 640})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        try:
            page = context.new_page()
            log_in(page, hub.url, email, PASSWORD)
            assert page.url.endswith("/dashboard"), f"{who} could not log in: {page.url}"
            problems += _walk(page, hub, who, paths[email], email == organiser, shot)
            if email == organiser:
                set_width(page, WIDE)
                for path in ALSO_WIDE:
                    page.goto(hub.url + path)
                    problems += [f"{path} at {WIDE} px: {p}" for p in page.evaluate(_OVERFLOW)]
        finally:
            context.close()
    assert len(paths[MEMBER]) > 40 and len(paths[organiser]) > 60
    assert not problems, f"{len(problems)} things do not fit:\n" + "\n".join(problems[:60])
