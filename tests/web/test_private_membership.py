"""Whether an email belongs to a member, or is registered for an event, stays
private: the public forms answer the same whatever the email."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, Site
from tests.web.test_proxies import _public_event


def _application(email: str) -> dict[str, str]:
    return {
        "name": "Someone",
        "email": email,
        "password": PASSWORD,
        "sign_charter": "yes",
        "accept_privacy": "yes",
    }


def _main(page: str) -> str:
    return page.split('<main id="main">')[1].split("</main>")[0]


async def test_joining_with_a_members_email_answers_as_a_new_application_does(
    site: Site,
) -> None:
    taken = await site.submit("/join", _application("organiser@example.org"))
    fresh = await site.submit("/join", _application("newcomer@example.org"))
    assert taken.status == fresh.status == 200
    assert _main(await taken.text()) == _main(await fresh.text())
    assert "already" not in await taken.text()
    assert [m.email for m in await site.node.members.by_status("applied")] == [
        "newcomer@example.org"
    ]


async def test_registering_an_email_already_registered_answers_as_a_new_one_does(
    site: Site,
) -> None:
    event = await _public_event(site)
    path = f"/events/{event}/register"
    await site.post(path, {"name": "Dee", "email": "dee@example.org"})
    again = await site.submit(path, {"name": "Stranger", "email": "dee@example.org"})
    fresh = await site.submit(path, {"name": "Eve", "email": "eve@example.org"})
    assert again.status == fresh.status == 200
    notice = re.compile(r'<p class="notice" role="status">[^<]*</p>')
    assert notice.findall(await again.text()) == notice.findall(await fresh.text())
    assert "already" not in await again.text()
    rows = await site.node.db.fetchall(
        "SELECT unseal('registrations.name', name) FROM registrations ORDER BY id"
    )
    assert [r[0] for r in rows] == ["Dee", "Eve"]


async def test_without_email_the_registration_form_says_what_limits_it(site: Site) -> None:
    event = await _public_event(site)
    page = await (await site.client.get(f"/events/{event}")).text()
    assert "does not send email" in page and "at most 3 for this event" in page
