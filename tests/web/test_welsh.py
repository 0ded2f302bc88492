"""Welsh pages: a member who chooses Cymraeg reads their pages in Welsh (words, dates,
plurals, form errors), a visitor gets the hub's language, and English comes back."""

from __future__ import annotations

from html import unescape

from node.accounts.permissions import Role
from tests.helpers import ManualClock
from tests.web.conftest import Site
from tests.web.test_events import _create
from tests.web.test_governance import open_election


async def _page(site: Site, path: str) -> str:
    response = await site.client.get(path)
    assert response.status == 200, path
    return unescape(await response.text())


async def test_a_member_who_chooses_cymraeg_reads_their_pages_in_welsh(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    election = await open_election(site, clock, Role.CHAIR, nominations_days=2)
    await site.login("organiser@example.org")
    event = await _create(site)

    account = await site.submit("/account/language", {"language": "cy"})
    text = unescape(await account.text())
    assert '<html lang="cy">' in text and "Mae eich iaith wedi'i chadw." in text
    home = await _page(site, "/dashboard")
    assert '<html lang="cy">' in home and "<h1>Croeso, " in home
    assert ">Cartref</a>" in home and ">Calendr</a>" in home  # the menu too
    calendar = await _page(site, "/calendar")
    assert "Calendr y rhwydwaith" in calendar and "Sad 30 Maw 2030, 19:00" in calendar
    page = await _page(site, f"/events/{event}")
    assert "Dydd Sadwrn 30 Mawrth 2030, 19:00" in page and "Rydw i'n dod" in page
    assert ">Maw</span>" in page and "Cyfarfod cyhoeddus" in page
    # Plurals through the catalogue: Welsh has a form for two ("2 ddiwrnod").
    assert "Enwebiadau'n cau mewn 2 ddiwrnod." in await _page(site, f"/elections/{election}")
    refused = await site.post("/account/leave", {})
    assert refused.status == 400
    assert "Ticiwch y blwch i gadarnhau eich bod am adael." in await refused.text()
    # A service's fixed refusal too (node/), beside the form.
    refused = await site.post("/events/new", {"title": "", "type": "public-meeting"})
    assert "Rhowch deitl i'r digwyddiad." in unescape(await refused.text())

    back = await site.submit("/account/language", {"language": "en"})
    assert '<html lang="en">' in await back.text()
    home = await _page(site, "/dashboard")
    assert "<h1>Welcome, " in home and "Croeso" not in home


async def test_a_visitor_reads_a_welsh_hub_in_welsh_and_can_switch_to_english(
    site: Site,
) -> None:
    await site.login("organiser@example.org")
    await site.submit("/organise/profile/language", {"language": "cy"})
    await site.logout()

    public = await _page(site, "/")
    assert '<html lang="cy">' in public and "Sut rydym yn cael ein rhedeg" in public
    assert '<a href="/language?to=en&back=/" lang="en" hreflang="en">English</a>' in public
    switch = await site.client.get("/language?to=en&back=/", allow_redirects=False)
    assert switch.status == 303 and switch.headers["Location"] == "/"
    public = await _page(site, "/")
    assert '<html lang="en">' in public and "How we are run" in public
    # Only a path on this hub is a place to go back to.
    away = await site.client.get("/language?to=cy&back=//evil.example/", allow_redirects=False)
    assert away.headers["Location"] == "/"
    assert '<html lang="cy">' in await _page(site, "/join")
