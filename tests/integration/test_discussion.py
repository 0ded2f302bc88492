"""Comments across three real hubs: published by the author's hub, edited and deleted
only there, honoured everywhere; reports travel back to the comment's hub."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest

from tests.integration.network import Hub, start_hubs, wait_for
from tests.integration.web_session import WebSession, organiser_login


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Hub, Hub, Hub]]:
    """Riverside - Northgate - Hillfield, peered in a line and running."""
    hubs = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None), ("Hillfield", None))
    a, b, c = hubs
    b.peer_with(a)
    c.peer_with(b)
    yield a, b, c
    for hub in hubs:
        hub.stop()


def _session(hub: Hub) -> WebSession:
    session = WebSession(hub.url)
    session.login(*organiser_login(hub.init_output))
    return session


def _comment_rows(hub: Hub, comment_id: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{hub.data_dir / 'hubnet.db'}?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT text, deleted_at FROM comments WHERE id = ?", (bytes.fromhex(comment_id),)
        ).fetchall()


def _comment_payloads(hub: Hub) -> list[bytes]:
    with sqlite3.connect(f"file:{hub.data_dir / 'hubnet.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT payload FROM messages WHERE kind LIKE 'comment%'").fetchall()
    return [bytes(r[0]) for r in rows]


def test_comment_from_a_third_hub_travels_is_reported_and_deleted_everywhere(
    line: tuple[Hub, Hub, Hub],
) -> None:
    a, b, c = line
    out = a.cli("announce", "Public meeting about the library, Thursday 7pm")
    subject = re.search(r"message ([0-9a-f]{64})", out)
    assert subject, out
    thread = f"/discuss/{subject[1]}"
    at_a, at_b, at_c = _session(a), _session(b), _session(c)
    wait_for("Hillfield to hold the announcement", lambda: at_c.get(thread)[0] == 200)

    status, _ = at_c.post("/account/network-name", {"display_name": "hill_jo"})
    assert status == 200
    status, page = at_c.post(thread, {"text": "I will bring the **banner**."})
    assert status == 200 and "<strong>banner</strong>" in page
    comment_id = re.search(r'id="comment-([0-9a-f]{64})"', page)
    assert comment_id
    cid = comment_id[1]

    for hub, session in ((a, at_a), (b, at_b)):
        wait_for(f"{hub.name} to show the comment", lambda s=session: "banner" in s.get(thread)[1])
        page = session.get(thread)[1]
        assert "hill_jo" in page and "of Hillfield" in page
    # Only the chosen name leaves Hillfield: not the organiser's name or email.
    email, _ = organiser_login(c.init_output)
    for hub in (a, b, c):
        for payload in _comment_payloads(hub):
            body = msgpack.unpackb(payload)["body"]
            assert set(body) <= {"subject", "author", "text", "reply_to", "comment"}
            assert email.encode() not in payload and b"Organiser" not in payload

    # Northgate's moderators hide it there and tell Hillfield, naming nobody.
    status, page = at_b.post(f"/comments/{cid}/report-origin", {"reason": "harassment"})
    assert status == 200 and "reported to the hub it came from" in page
    assert "banner" not in at_b.get(thread)[1]
    assert "banner" in at_a.get(thread)[1]  # hiding is local to Northgate
    wait_for(
        "Hillfield to receive the report",
        lambda: "Report: harassment" in at_c.get("/moderation")[1],
    )
    assert "Sent by the hub Northgate" in at_c.get("/moderation")[1]

    # Northgate cannot delete Hillfield's comment; Hillfield's author can.
    status, _ = at_b.post(f"/comments/{cid}/delete")
    assert status == 403
    status, page = at_c.post(f"/comments/{cid}/delete")
    assert status == 200 and "This post was deleted." in page
    for hub, session in ((a, at_a), (b, at_b), (c, at_c)):
        wait_for(
            f"{hub.name} to remove the text",
            lambda h=hub: _comment_rows(h, cid) and _comment_rows(h, cid)[0][1] is not None,
        )
        assert _comment_rows(hub, cid)[0][0] is None
        assert "banner" not in session.get(thread)[1]
