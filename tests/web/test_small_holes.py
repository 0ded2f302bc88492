"""Small holes found by trying the site as an attacker would (issue 21)."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, Site


async def test_the_new_directory_entry_form_opens_for_organisers(site: Site) -> None:
    await site.login("organiser@example.org")
    response = await site.client.get("/directory/new")
    assert response.status == 200, await response.text()


async def test_marking_a_notice_with_a_huge_id_read_is_not_found(site: Site) -> None:
    await site.login("organiser@example.org")
    assert (await site.post("/notices/" + "9" * 20 + "/read")).status == 404
    assert (await site.post("/organise/members/" + "9" * 20 + "/suspend")).status == 404


async def test_next_is_kept_through_the_login_form(site: Site) -> None:
    asked = await site.client.get("/organise/members?x=1", allow_redirects=False)
    assert asked.status == 303
    login_page = await (await site.client.get(asked.headers["Location"])).text()
    assert 'action="/login?next=/organise/members%3Fx%3D1"' in login_page
    form = {"email": "organiser@example.org", "password": PASSWORD}
    response = await site.post("/login?next=/organise/members%3Fx%3D1", form)
    assert response.status == 303
    assert response.headers["Location"] == "/organise/members?x=1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        "/\t/evil.example",
        "/ /evil.example",
        "evil.example",
        "",
    ],
)
async def test_next_never_leaves_the_site(site: Site, target: str) -> None:
    from urllib.parse import quote

    form = {"email": "organiser@example.org", "password": PASSWORD}
    response = await site.post(f"/login?next={quote(target, safe='')}", form)
    assert response.status == 303
    location = response.headers["Location"]
    assert location == "/dashboard" or (
        location.startswith("/") and not location.startswith(("//", "/\\"))
    ), location
    login_page = await (await site.client.get(f"/login?next={quote(target, safe='')}")).text()
    assert "evil" not in login_page or "next=/dashboard" in login_page
