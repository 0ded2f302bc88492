"""News written in one hub's browser pages reaches another hub, and its edit and
withdrawal follow it (PROTOCOL.md §5.35-§5.36), between two real node processes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.network import Hub, start_hubs, wait_for
from tests.integration.web_session import WebSession, organiser_login


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    hubs = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None))
    a, b = hubs
    b.peer_with(a)
    yield a, b
    for hub in hubs:
        hub.stop()


def test_news_posted_edited_and_withdrawn_on_one_hub_changes_on_the_other(
    pair: tuple[Hub, Hub],
) -> None:
    a, b = pair
    at_a, at_b = WebSession(a.url), WebSession(b.url)
    at_a.login(*organiser_login(a.init_output))
    at_b.login(*organiser_login(b.init_output))

    def northgate_news() -> str:
        status, page = at_b.get("/dashboard")
        assert status == 200
        return page.split("News from the network", 1)[1]

    status, page = at_a.post(
        "/organise/news", {"title": "Library meeting", "text": "Thursday at *7pm*."}
    )
    assert status == 200 and "Announcement published" in page
    edit = re.search(r'href="(/organise/news/[0-9a-f]{64})/edit"', page)
    assert edit, page
    wait_for("Northgate to show the news", lambda: "Thursday at <em>7pm</em>" in northgate_news())
    assert "From Riverside" in northgate_news()

    status, page = at_a.post(
        f"{edit[1]}/edit", {"title": "Library meeting", "text": "Friday at 8pm."}
    )
    assert status == 200 and "Announcement updated" in page
    wait_for("Northgate to show the edit", lambda: "Friday at 8pm." in northgate_news())
    assert "7pm" not in northgate_news()

    status, page = at_a.post(f"{edit[1]}/withdraw")
    assert status == 200 and "Announcement withdrawn" in page
    wait_for("Northgate to drop the news", lambda: "Library meeting" not in northgate_news())
    assert "No announcements yet." in northgate_news()
