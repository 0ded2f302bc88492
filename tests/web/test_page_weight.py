"""No page is over 60 KB of HTML and CSS together, and none needs a script: every page a
member and an organiser can open, with a hub's worth of data on it (tests/pages.py),
fetched in-process."""

from __future__ import annotations

import re

from tests.helpers import ManualClock
from tests.pages import MEMBER, ORGANISER, fetch_pages, page_paths, seed
from tests.web.conftest import Site
from tests.web.test_assembly import hub

__all__ = ["hub"]  # the assembly tests' fixture: a hub on a clock, witnessing at once

LIMIT = 60 * 1024
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
# A script element, an inline handler (onclick=…) or a javascript: address.
_SCRIPT = re.compile(r"<script\b|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


async def test_no_page_is_over_60_kb_of_html_and_css_or_carries_a_script(
    hub: tuple[Site, ManualClock],
) -> None:
    site, clock = hub
    seeded = await seed(site, clock)
    css: dict[str, int] = {}
    heavy, scripted, seen = [], [], 0
    for email in (MEMBER, ORGANISER):
        paths = page_paths(site.client.app, seeded, email)
        for page in await fetch_pages(site, paths, email):
            if page.status != 200:
                assert email == MEMBER and page.status == 403, (email, page.path, page.status)
                continue
            seen += 1
            if found := _SCRIPT.search(page.html):
                scripted.append(f"{page.path} as {email}: {found.group(0)!r}")
            for href in _STYLESHEET.findall(page.html):
                if href not in css:
                    response = await site.client.get(href)
                    assert response.status == 200, href
                    css[href] = len(await response.read())
            weight = len(page.html.encode()) + sum(css[h] for h in _STYLESHEET.findall(page.html))
            if weight > LIMIT:
                heavy.append(f"{page.path} as {email}: {weight / 1024:.1f} KB")
    assert css, "no page linked a stylesheet"
    assert seen > 100, f"only {seen} pages were weighed"
    assert not heavy, "pages over 60 KB of HTML and CSS:\n" + "\n".join(heavy)
    assert not scripted, "pages with a script (none needs one):\n" + "\n".join(scripted)
