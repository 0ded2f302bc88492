"""Two real hubs: a member of one asks for the other's speaker, and says "I'm coming"
to the other's event, through the web pages; names and emails never leave their hub."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest

from protocol.codec import decode
from tests.integration.network import Hub, start_hubs, wait_for
from tests.integration.web_session import WebSession, organiser_login

PASSWORD = "a long enough password"


_ORGANISERS: dict[str, WebSession] = {}


def organiser(hub: Hub) -> WebSession:
    """The hub's first organiser, logged in once (each login hashes a password)."""
    if hub.url not in _ORGANISERS:
        session = WebSession(hub.url)
        session.login(*organiser_login(hub.init_output))
        _ORGANISERS[hub.url] = session
    return _ORGANISERS[hub.url]


def join(hub: Hub, name: str, email: str) -> WebSession:
    """Apply through /join, be approved by the hub's organiser, and log in."""
    status, _ = WebSession(hub.url).post(
        "/join",
        {
            "name": name,
            "email": email,
            "password": PASSWORD,
            "sign_charter": "yes",
            "accept_privacy": "yes",
        },
    )
    assert status == 200
    boss = organiser(hub)
    _, page = boss.get("/organise/members")
    found = re.search(re.escape(email) + r"</td>.*?/organise/members/(\d+)/approve", page, re.S)
    assert found, page
    boss.post(f"/organise/members/{found[1]}/approve")
    session = WebSession(hub.url)
    session.login(email, PASSWORD)
    return session


def page_has(session: WebSession, path: str, text: str) -> bool:
    status, page = session.get(path)
    return status == 200 and text in page


def stored_bodies(hub: Hub, kind: str) -> list[tuple[bytes, dict[str, object]]]:
    """(payload, body) of every message of `kind` in the hub's database."""
    conn = sqlite3.connect(f"file:{hub.data_dir / 'hubnet.db'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT payload FROM messages WHERE kind = ?", (kind,)).fetchall()
    finally:
        conn.close()
    return [(bytes(p), decode(bytes(p))["body"]) for (p,) in rows]


def database_bytes(hub: Hub) -> bytes:
    files = sorted(hub.data_dir.glob("hubnet.db*"))
    return b"".join(f.read_bytes() for f in files)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub]]:
    """Riverside (A) and Northgate (B), one network, peered and running."""
    hubs = start_hubs(tmp_path_factory.mktemp("across"), ("Riverside", None), ("Northgate", None))
    a, b = hubs
    b.peer_with(a)
    yield a, b
    for hub in hubs:
        hub.stop()


def test_a_member_of_b_asks_for_as_speaker_and_hears_the_answer(pair: tuple[Hub, Hub]) -> None:
    a, b = pair
    ana = join(a, "Ana Speaker", "ana@riverside.test")
    ana.post("/speakers/offer", {"topics": "housing law"})
    dee = join(b, "Dee Walker", "dee@northgate.test")

    def ask_link() -> str | None:
        _, page = dee.get("/speakers?topic=housing")
        found = re.search(r'href="(/speakers/ask/[0-9a-f]{64})"', page)
        return found[1] if found else None

    wait_for("Northgate to list Riverside's speaker", lambda: ask_link() is not None)
    link = ask_link()
    assert link is not None
    status, page = dee.post(
        link,
        {
            "topic": "housing law",
            "day": "2031-05-14",
            "time": "19:30",
            "timezone": "Europe/London",
            "place": "Northgate Hall",
            "message": "A public meeting on renters' rights.",
            "share_contact": "yes",
        },
    )
    assert status == 200 and "Your request is on its way" in page, page
    request_path = re.search(r"Request ([0-9a-f]{64})", page)  # under "Technical details"
    assert request_path
    path = f"/speakers/requests/{request_path[1]}"

    boss = organiser(a)
    wait_for("Riverside to hold the request", lambda: page_has(boss, path, "Pass on to Ana"))
    _, page = boss.get(path)
    assert "Ana Speaker, a member of Riverside" in page and "Northgate Hall" in page
    _, page = boss.post(path + "/pass")
    assert "Passed on to Ana Speaker." in page

    _, notices = ana.get("/notices")
    assert "A hub asks you to speak on housing law" in notices
    _, page = ana.post(path + "/answer", {"answer": "accept", "message": "Glad to come."})
    assert "Yes, the speaker will come." in page

    wait_for("Dee to see the answer", lambda: page_has(dee, path, "Yes, the speaker will come."))
    assert page_has(dee, "/notices", "The hub you asked for a speaker has answered.")
    # Northgate's organiser has what Dee agreed to share, to pass on by hand.
    assert page_has(organiser(b), path, "dee@northgate.test")

    # The request as every hub stores it: no one's name or email.
    for hub in (a, b):
        [(payload, body)] = stored_bodies(hub, "speaker.request")
        assert body["topic"] == "housing law" and body["place"] == "Northgate Hall"
        for secret in (b"Dee", b"dee@", b"northgate.test", b"Walker"):
            assert secret not in payload
    [(payload, _)] = stored_bodies(b, "speaker.answer")
    assert b"Ana" not in payload and b"riverside.test" not in payload


def test_a_member_of_b_coming_to_as_event_is_counted_on_both_and_named_on_neither(
    pair: tuple[Hub, Hub],
) -> None:
    a, b = pair
    boss = organiser(a)
    status, page = boss.post(
        "/events/new",
        {
            "title": "Depot picket",
            "start_date": "2031-06-01",
            "start_time": "07:00",
            "end_time": "09:00",
            "timezone": "Europe/London",
            "type": "action",
            "visibility": "network",
            "place": "Riverside depot",
        },
    )
    assert status == 200, page
    event = re.search(r'href="(/events/[0-9a-f]{64})/edit"', page)
    assert event, page
    path = event[1]
    eve = join(b, "Eve Farrow", "eve@northgate.test")
    wait_for("Northgate to hold the event", lambda: page_has(eve, path, "I'm coming"))
    _, page = eve.get(path)
    assert a.url not in page  # no link to a page of Riverside's Eve could not open
    assert f'href="/discuss/{path.rsplit("/", 1)[1]}"' in page
    _, page = eve.post(path + "/rsvp")
    assert "You are down as coming." in page and "1 going (1 from other hubs)" in page

    wait_for(
        "Riverside to count Eve",
        lambda: page_has(boss, path, "1 going (1 from other hubs)"),
    )
    _, page = boss.get(path)
    assert "Farrow" not in page and "eve@" not in page
    # A member of Riverside comes too: both hubs show the total.
    rob = join(a, "Rob Hale", "rob@riverside.test")
    rob.post(path + "/rsvp")
    for session, hub in ((rob, "Riverside"), (eve, "Northgate")):
        wait_for(
            f"{hub} to show both",
            lambda s=session: page_has(s, path, "2 going (1 from other hubs)"),  # type: ignore[misc]
        )
    assert page_has(eve, path, "Riverside: 1") and page_has(eve, path, "Northgate: 1")
    data = database_bytes(a)
    for secret in (b"Eve Farrow", b"eve@northgate.test", b"Farrow"):
        assert secret not in data
