"""Members read plain words: no node id, message hash or other id shows on any page a
member or an organiser can open, except folded under a "Technical details" disclosure
(web/templates/_technical.html); and forms ask for hubs and events by name.

The pages are every GET route's (tests/pages.py), with a hub's worth of data on them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from crypto.nodeid import node_id_from_public_key
from tests.helpers import ManualClock, key_from
from tests.pages import MEMBER, ORGANISER, fetch_pages, page_paths, seed
from tests.web.conftest import Site
from tests.web.test_assembly import hub, ingest, members
from tests.web.test_events import EVENT

__all__ = ["hub"]  # the assembly tests' fixture: a hub on a clock, witnessing at once

# The ids the project makes, as they would show in text:
IDS = {
    # message ids, hashes and digests (SHA-256, 64 hex digits) and election ids (32),
    # or any prefix of one long enough to mean something (16 or more)
    "hex id or hash": re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{16,}(?![0-9A-Za-z])"),
    # node ids: 56 characters of lower-case base32 (crypto/nodeid.py)
    "node id": re.compile(r"(?<![0-9a-z])[a-z2-7]{56}(?![0-9a-z])"),
    # one-time tokens: url-safe base64 (secrets.token_urlsafe), with a digit somewhere
    "token": re.compile(r"(?<![\w-])(?=[\w-]*\d)[\w-]{32,}(?![\w-])"),
}
# A link to copy (an event's share link, the badge's HTML) holds ids inside its web
# address: that is an address, not an id shown as words.
_ADDRESS = re.compile(r"\S+://\S+")
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
_TEXT_INPUTS = {None, "text", "email", "search", "url", "tel"}


class VisibleText(HTMLParser):
    """The text a person reads on a page: element text and the values of text fields,
    leaving out <head> but for its title, scripts, styles and any <details> whose
    class is "technical" (its summary, "Technical details", is read)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[str] = []
        self._hidden_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        shown = tag == "input" and found.get("type") in _TEXT_INPUTS and found.get("value")
        if shown and self._hidden_depth is None:
            self.parts.append(str(found["value"]))
        if tag in _VOID:
            return
        self._stack.append(tag)
        hides = tag in ("script", "style") or (
            tag == "details" and "technical" in (found.get("class") or "").split()
        )
        if hides and self._hidden_depth is None:
            self._hidden_depth = len(self._stack)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self._stack:
            return
        while self._stack:
            if self._hidden_depth is not None and len(self._stack) <= self._hidden_depth:
                self._hidden_depth = None
            if self._stack.pop() == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._hidden_depth is not None:
            return
        if "head" in self._stack and "title" not in self._stack:
            return
        self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def ids_shown(html: str) -> list[str]:
    """Each id in the page's visible text (outside web addresses), once, by its kind."""
    text = _ADDRESS.sub(" ", visible_text(html))
    found: dict[str, str] = {}
    for name, pattern in IDS.items():
        for match in pattern.finditer(text):
            found.setdefault(match.group(), name)
    return [f"{name} {id!r}" for id, name in found.items()]


def test_the_check_sees_ids_in_text_and_fields_but_not_under_technical_details() -> None:
    node_id = str(node_id_from_public_key(key_from(1).public_key))
    page = (
        "<html><head><title>Peers</title><style>.x{}</style></head><body>"
        f"<p>Co-host: {node_id}</p>"
        '<input type="hidden" name="csrf" value="Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg">'
        f'<details class="technical"><summary>Technical details</summary>{"ab" * 32}</details>'
        f'<input id="t" value="{"0123456789abcdef"}"><a href="/events/{"cd" * 32}">A</a>'
        f"<p>Share: https://hub.example.org/events/{'ef' * 32}</p><p>{'Ab1_' * 10}</p>"
        "</body></html>"
    )
    assert sorted(ids_shown(page)) == [
        "hex id or hash '0123456789abcdef'",
        f"node id {node_id!r}",
        f"token {'Ab1_' * 10!r}",
    ]


async def test_no_page_shows_an_id_outside_technical_details(
    hub: tuple[Site, ManualClock],
) -> None:
    site, clock = hub
    seeded = await seed(site, clock)
    shown, walked = [], 0
    for email in (MEMBER, ORGANISER):
        for page in await fetch_pages(site, page_paths(site.client.app, seeded, email), email):
            walked += 1
            shown += [f"{page.path} as {email}: {i}" for i in ids_shown(page.html)]
    assert walked > 100
    assert not shown, "ids shown outside Technical details:\n" + "\n".join(shown)


async def test_co_hosts_are_ticked_by_name_and_still_checked(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    [north] = await members(site, (1, "Northgate"))
    await ingest(site, *north.first)
    await site.login(ORGANISER)
    form = await (await site.client.get("/events/new")).text()
    box = f'<input type="checkbox" name="cohosts" value="{north.node_id}"'
    assert f"{box}> Northgate</label>" in form
    assert north.node_id not in visible_text(form)
    created = await site.post("/events/new", {**EVENT, "cohosts": north.node_id})
    assert created.status == 303
    edit = await (await site.client.get(created.headers["Location"] + "/edit")).text()
    assert f"{box} checked> Northgate</label>" in edit
    # The server still checks what it is sent.
    refused = await site.post("/events/new", {**EVENT, "cohosts": "not-a-node"})
    assert refused.status == 400 and "not a hub&#39;s node id" in await refused.text()


async def test_an_update_links_events_and_resources_chosen_by_title(site: Site) -> None:
    await site.login(ORGANISER)
    event = (await site.post("/events/new", EVENT)).headers["Location"]
    campaign = (
        await site.post(
            "/campaigns/new",
            {"title": "Save the library", "summary": "Keep it", "status": "active"},
        )
    ).headers["Location"]
    page = await (await site.client.get(campaign)).text()
    assert re.search(r'<option value="[0-9a-f]{64}">Save the library: public meeting \(', page)
    assert "event ids" not in page and "resource ids" not in page
    event_id = event.rsplit("/", 1)[1]
    await site.post(f"{campaign}/update", {"text": "Come along", "events": event_id})
    page = await (await site.client.get(campaign)).text()
    assert f'Event: <a href="/events/{event_id}">Save the library: public meeting</a>' in page
    refused = await site.post(f"{campaign}/update", {"text": "Again", "events": "nonsense"})
    assert refused.status == 400 and "is not a message id" in await refused.text()
