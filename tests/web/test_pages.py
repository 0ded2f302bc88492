"""What members and organisers see and do, page by page, through the real app."""

from __future__ import annotations

import json

from crypto.ed25519 import SigningKey
from node.accounts.members import Member
from node.doctor import Level, check_own_fork
from protocol.envelope import create_message
from protocol.kinds.hub import Announcement, HubProfile
from tests.helpers import T0
from tests.web.conftest import PASSWORD, Site

APPLICANT = {
    "name": "Ann Lee",
    "email": "ann@example.org",
    "phone": "07700 900123",
    "password": PASSWORD,
    "statement": "I help at the food bank.",
    "sign_charter": "yes",
    "accept_privacy": "yes",
}


async def _founder(site: Site) -> Member:
    founder = await site.node.members.get(1)
    assert founder is not None
    return founder


async def test_public_page_shows_the_hub_and_how_to_join(site: Site) -> None:
    page = await (await site.client.get("/")).text()
    assert "<h1>Riverside</h1>" in page and 'href="/join"' in page
    assert "<title>Welcome · Riverside</title>" in page


async def test_join_needs_the_charter_signed(site: Site) -> None:
    response = await site.submit("/join", {**APPLICANT, "sign_charter": ""})
    assert response.status == 400
    assert "sign the charter" in await response.text()
    assert (await site.node.members.counts()).get("applied", 0) == 0


async def test_applicant_is_approved_logs_in_and_sees_the_dashboard(site: Site) -> None:
    assert (await site.submit("/join", APPLICANT)).status == 200
    refused = await site.submit("/login", {"email": "ann@example.org", "password": PASSWORD})
    assert "waiting for the membership secretary" in await refused.text()

    await site.login("organiser@example.org")
    members_page = await (await site.client.get("/organise/members")).text()
    assert "Ann Lee" in members_page and "I help at the food bank." in members_page
    [ann] = await site.node.members.by_status("applied")
    response = await site.submit(f"/organise/members/{ann.id}/approve")
    assert "Ann Lee: approved." in await response.text()
    await site.logout()

    await site.login("ann@example.org")
    dashboard = await (await site.client.get("/dashboard")).text()
    assert "Welcome, Ann Lee" in dashboard


async def test_member_downloads_their_data_and_leaves(site: Site) -> None:
    await site.post("/join", APPLICANT)
    [ann] = await site.node.members.by_status("applied")
    await site.node.members.decide(ann.id, "active", by=await _founder(site))
    await site.login("ann@example.org")

    response = await site.client.get("/account/data")
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(await response.text())
    assert data["member"]["email"] == "ann@example.org"
    assert data["member"]["charter_version"] == "1"

    response = await site.submit("/account/leave", {"confirm": "yes"})
    assert "You have left the hub" in await response.text()
    gone = await site.node.members.get(ann.id)
    assert gone is not None and gone.status == "left"
    assert (gone.name, gone.email, gone.phone, gone.statement) == (None, None, None, None)
    assert (await site.client.get("/dashboard", allow_redirects=False)).status == 303


async def test_reset_link_lets_a_member_choose_a_new_password(site: Site) -> None:
    await site.post("/join", APPLICANT)
    [ann] = await site.node.members.by_status("applied")
    await site.node.members.decide(ann.id, "active", by=await _founder(site))
    await site.login("organiser@example.org")
    page = await (await site.submit(f"/organise/members/{ann.id}/reset")).text()
    link = page.split("<code>")[1].split("</code>")[0]
    path = link.removeprefix("http://127.0.0.1:8080")
    await site.logout()
    assert (await site.submit(path, {"new": "a brand new password"})).status == 200
    assert (await site.post(path, {"new": "and once more please"})).status == 404  # one use
    await site.login("ann@example.org", "a brand new password")


async def test_remote_announcement_is_shown_as_text_never_as_markup(site: Site) -> None:
    remote = SigningKey(bytes([5]) * 32)
    [joined] = await site.admit(remote)
    profile = create_message(
        remote,
        "hub.profile",
        HubProfile(name="Northgate", url="http://127.0.0.1:9"),
        2,
        joined.id,
        T0,
    )
    evil = create_message(
        remote,
        "announcement",
        Announcement(
            title="<script>alert(1)</script>", text="**bold** <img src=x onerror=alert(2)>"
        ),
        3,
        profile.id,
        T0,
    )
    await site.node.messages.ingest([profile.wire, evil.wire])
    await site.login("organiser@example.org")
    page = await (await site.client.get("/dashboard")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page and "onerror" not in page.replace("onerror=alert(2)&gt;", "")
    assert "<strong>bold</strong>" in page  # Markdown still works
    assert "From Northgate" in page


async def test_organiser_makes_an_invite_with_a_qr_code(site: Site) -> None:
    await site.login("organiser@example.org")
    page = await (await site.submit("/organise/peers/invite")).text()
    assert "hubnet://invite?id=" in page and 'src="data:image/svg+xml' in page


async def test_health_page_shows_the_node(site: Site) -> None:
    await site.login("organiser@example.org")
    page = await (await site.client.get("/organise/health")).text()
    assert site.node.node_id in page and "Messages stored" in page


async def test_a_bad_invite_is_refused_with_the_reason(site: Site) -> None:
    await site.login("organiser@example.org")
    page = await (await site.submit("/organise/peers/add", {"invite": "hello"})).text()
    assert "not a hubnet invite" in page
    own = page.split("<code>")[1].split("</code>")[0]  # this node's id, shown on the page
    invite = f"hubnet://invite?id={own}&token=x&url=http%3A%2F%2F127.0.0.1%3A9"
    page = await (await site.submit("/organise/peers/add", {"invite": invite})).text()
    assert "that invite is this node&#39;s own" in page
    assert await site.node.db.fetchall("SELECT * FROM peers") == []


async def test_health_page_and_doctor_tell_organisers_their_own_hub_forked(site: Site) -> None:
    db_path = site.node.config.database_path
    assert [f.level for f in check_own_fork(db_path, site.node.node_id)] == [Level.OK]
    ours = await site.node.messages.append("announcement", Announcement("ours"))
    # What a stale backup of this node would have written at the same seq.
    stale = create_message(
        site.node.key, "announcement", Announcement("stale"), ours.seq, ours.prev, ours.created_at
    )
    await site.node.messages.check_fork_proof(ours.wire, stale.wire)
    await site.login("organiser@example.org")
    page = await (await site.client.get("/organise/health")).text()
    assert "This hub's log has forked" in page and "hubnet fork resolve" in page
    [finding] = check_own_fork(db_path, site.node.node_id)
    assert finding.level is Level.FAIL and "hubnet fork resolve" in finding.fix
