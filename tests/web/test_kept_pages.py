"""Pages kept as rendered (web/kept_pages.py): served again only to the member they were
made for, with that visitor's own form token, and never once anything has changed."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from tests.helpers import ManualClock
from tests.web.conftest import Site, acting, make_member
from web.kept_pages import KEPT_PAGES


def _token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no form token on the page"
    return found.group(1)


def _cookie(site: Site, name: str) -> str:
    for cookie in site.client.session.cookie_jar:
        if cookie.key == name:
            return cookie.value
    raise AssertionError(f"no {name} cookie")


async def _home(site: Site) -> str:
    response = await site.client.get("/dashboard")
    assert response.status == 200
    return await response.text()


async def _twice(site: Site, visit: Callable[[], Awaitable[str]]) -> tuple[str, str, int]:
    """Two visits with no write between them: both pages, and how many of the second
    came from the kept pages (1 or 0). The node's own background work may write at any
    moment on a busy machine, which rightly renders the page again: then the pair is
    taken again. The tests' clock keeps the minute, the other thing a kept page depends
    on, where it is."""
    db, pages = site.node.db, site.client.app[KEPT_PAGES]
    await site.node.projections.caught_up()
    for _ in range(5):
        version = db.data_version()
        first = await visit()
        hits = pages.hits
        again = await visit()
        if db.data_version() == version:
            break
    return first, again, pages.hits - hits


async def test_a_kept_home_shows_a_new_thread_at_once_and_only_to_its_member(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, _ = clocked
    node = site.node
    await make_member(node, "zelda@example.org")
    await make_member(node, "quentin@example.org")
    await site.login("zelda@example.org")
    first, again, kept = await _twice(site, lambda: _home(site))
    assert again == first
    assert kept == 1, "the second look at an unchanged home was rendered again"

    await node.discussion.topics.start(await acting(node, 1), "general", "Seed swap", "Bring some.")
    assert "Seed swap" in await _home(site)

    await site.logout()
    await site.login("quentin@example.org")
    page = await _home(site)
    assert "quentin" in page and "zelda" not in page


async def test_a_kept_page_carries_each_visitors_own_form_token(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, _ = clocked
    await make_member(site.node, "zelda@example.org")
    await site.login("zelda@example.org")
    tokens: list[str] = []

    async def visit() -> str:
        # A new form token each time (as a browser that lost its cookie gets).
        site.client.session.cookie_jar.clear(lambda cookie: cookie.key == "hubnet_csrf")
        page = await _home(site)
        tokens.append(_cookie(site, "hubnet_csrf"))
        assert _token(page) == tokens[-1]
        return page

    # The second page is the kept one, served with the new token in it, and a form
    # sent with that token is accepted.
    _, page, kept = await _twice(site, visit)
    assert kept == 1
    old, new = tokens[-2:]
    assert new != old and _token(page) == new
    assert "kept-" not in page
    response = await site.client.post("/logout", data={"csrf": new}, allow_redirects=False)
    assert response.status == 303


async def test_a_status_line_is_shown_once_and_not_kept(site: Site) -> None:
    await make_member(site.node, "zelda@example.org")
    await site.login("zelda@example.org")
    said = re.compile(r"Nothing was unread\.|\d+ marked read\.")
    assert said.search(await (await site.submit("/notices/read")).text())
    for _ in range(2):  # rendered again, then served as kept: neither says it again
        page = await (await site.client.get("/notices")).text()
        assert not said.search(page)


async def test_the_calendar_is_kept_whole_until_anything_is_written(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, _ = clocked
    pages = site.client.app[KEPT_PAGES]

    async def calendar() -> str:
        response = await site.client.get("/calendar?region=North")
        assert response.status == 200
        return await response.text()

    await calendar()  # the first visit brings the tables up to date: a write
    first, again, kept = await _twice(site, calendar)
    assert again == first
    assert kept == 1, "an unchanged calendar was rendered again"
    hits = pages.hits
    await make_member(site.node, "zelda@example.org")  # any write: nothing kept is served
    assert await calendar() == first
    assert pages.hits == hits
