"""The hub on the fediverse, in process: found by its handle, followed by an account on
a real loopback server that signs as Mastodon does, sent its public events, their
updates and cancellations, and shown replies; refusing forged, replayed and blocked."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from crypto.ed25519 import SigningKey
from protocol.envelope import create_message
from protocol.kinds.hub import Announcement
from tests.faults.canaries import Canaries
from tests.fediverse import Account
from tests.helpers import T0
from tests.web.conftest import Site, make_member, open_site
from tests.web.test_events import EVENT, REMOTE_EVENT

AP = {"Accept": "application/activity+json"}
LOOPBACK = {"HUBNET_ACTIVITYPUB_ALLOW_LOOPBACK": "1"}


@pytest.fixture
async def fedi(
    tmp_path: Any,
    aiohttp_client: Any,
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Site, Account]:
    site = await open_site(tmp_path, aiohttp_client, monkeypatch, **LOOPBACK)
    app = web.Application()
    server = await aiohttp_server(app, host="127.0.0.1")
    account = Account(str(server.make_url("")).rstrip("/"))
    # Routes are added once the address (part of the actor's id) is known.
    app.router._frozen = False
    app.router.add_routes(account.routes())
    app.router.freeze()
    return site, account


async def _post(site: Site, account: Account, activity: dict[str, Any], **kw: Any) -> int:
    url = str(site.client.make_url("/ap/inbox"))
    body, headers = account.signed(url, activity, **kw)
    return (await site.client.post("/ap/inbox", data=body, headers=headers)).status


async def _follow(site: Site, account: Account) -> None:
    hub = site.node.activitypub.hub()
    follow = {
        "id": account.id + "#follow-1",
        "type": "Follow",
        "actor": account.id,
        "object": hub.actor,
    }
    assert await _post(site, account, follow) == 202
    accept = await account.wait_for(lambda a: a["type"] == "Accept")
    assert accept["object"]["id"] == follow["id"] and accept["actor"] == hub.actor


async def _create_event(site: Site, **changes: str) -> str:
    response = await site.post("/events/new", {**EVENT, **changes})
    assert response.status == 303, await response.text()
    return response.headers["Location"].rsplit("/", 1)[1]


async def test_the_hub_is_found_by_its_handle_as_a_group(site: Site) -> None:
    finger = await site.client.get(
        "/.well-known/webfinger", params={"resource": "acct:riverside@127.0.0.1:8080"}
    )
    assert finger.status == 200
    [self_link] = [x for x in (await finger.json())["links"] if x["rel"] == "self"]
    assert self_link["href"] == "http://127.0.0.1:8080/"
    fixed = await site.client.get(
        "/.well-known/webfinger", params={"resource": "acct:hub@127.0.0.1:8080"}
    )
    assert fixed.status == 200
    actor = json.loads(await (await site.client.get("/", headers=AP)).text())
    assert actor["type"] == "Group" and actor["name"] == "Riverside"
    assert actor["preferredUsername"] == "riverside"
    assert actor["inbox"].endswith("/ap/inbox") and actor["outbox"].endswith("/ap/outbox")
    assert "BEGIN PUBLIC KEY" in actor["publicKey"]["publicKeyPem"]
    browser = await site.client.get("/", headers={"Accept": "text/html"})
    assert "<html" in await browser.text() and browser.headers["Vary"] == "Accept"
    # The public page is kept as rendered for the next visitor: a server still gets JSON.
    again = await site.client.get("/", headers=AP)
    assert again.content_type == "application/activity+json"
    assert "<html" in await (await site.client.get("/")).text()
    links = await (await site.client.get("/.well-known/nodeinfo")).json()
    info = await (await site.client.get("/nodeinfo/2.1")).json()
    assert links["links"][0]["href"].endswith("/nodeinfo/2.1") and info["version"] == "2.1"
    key = site.node.config.data_dir / "activitypub.key"
    assert key.stat().st_mode & 0o777 == 0o600


async def test_a_follower_gets_public_events_their_updates_and_cancellation(
    fedi: tuple[Site, Account],
) -> None:
    site, account = fedi
    canaries = Canaries()
    await _follow(site, account)
    await site.login("organiser@example.org")
    event_id = await _create_event(site, description="Bring *friends*.")
    created = await account.wait_for(lambda a: a["type"] == "Create")
    event = created["object"]
    assert event["type"] == "Event" and event["name"] == EVENT["title"]
    assert event["startTime"] == "2030-03-30T19:00:00Z" and event["timezone"] == "Europe/London"
    assert event["location"]["address"]["streetAddress"] == EVENT["place"]
    assert event["location"]["latitude"] == 51.5 and event["attributedTo"].endswith(":8080/")
    assert "<em>friends</em>" in event["content"] and event["joinMode"] == "external"
    # Someone registering with a marked name and email, and a member with a marked
    # name coming: none of it goes out.
    name, email = canaries.mint("registrations.name"), canaries.mint("registrations.email")
    form = {"name": name, "email": f"{email}@example.org"}
    assert (
        "you are registered"
        in await (await site.submit(f"/events/{event_id}/register", form)).text()
    )
    member = canaries.mint("members.name")
    await make_member(site.node, f"{member}@example.org")
    await site.logout()
    await site.login(f"{member}@example.org")
    await site.post(f"/events/{event_id}/rsvp")
    await site.logout()
    await site.login("organiser@example.org")
    await site.post(f"/events/{event_id}/edit", {**EVENT, "title": "Library rally"})
    updated = await account.wait_for(lambda a: a["type"] == "Update")
    assert updated["object"]["name"] == "Library rally"
    assert updated["object"]["id"] == event["id"]
    await site.post(f"/events/{event_id}/cancel", {"reason": "Venue flooded"})
    cancelled = await account.wait_for(
        lambda a: a["type"] == "Update" and a["object"].get("ical:status") == "CANCELLED"
    )
    assert cancelled["object"]["id"] == event["id"]
    # Members-only events and news stay home; public news goes out as a Note.
    await _create_event(site, visibility="members", title="Members' social")
    await site.post("/organise/news", {"title": "", "text": "Rent strike meeting moved"})
    note = await account.wait_for(lambda a: a["object"].get("type") == "Note")
    assert "Rent strike meeting moved" in note["object"]["content"]
    assert not any("Members' social" in json.dumps(a) for a in account.received)
    sent = b"".join(account.raw)
    assert not [m for m in canaries.markers if m.encode() in sent]
    outbox = json.loads(await (await site.client.get("/ap/outbox?page=first")).text())
    assert {i["object"]["type"] for i in outbox["orderedItems"]} == {"Event", "Note"}
    fetched = await site.client.get(event["id"].replace("http://127.0.0.1:8080", ""), headers=AP)
    assert (await fetched.json())["name"] == "Library rally"


async def test_forged_replayed_and_stale_posts_are_refused(fedi: tuple[Site, Account]) -> None:
    site, account = fedi
    hub = site.node.activitypub.hub()
    follow = {"id": account.id + "#f", "type": "Follow", "actor": account.id, "object": hub.actor}
    url = str(site.client.make_url("/ap/inbox"))
    body, headers = account.signed(url, follow)
    forged = body.replace(b"Follow", b"Follow ")
    assert (await site.client.post("/ap/inbox", data=forged, headers=headers)).status == 401
    assert (await site.client.post("/ap/inbox", data=body, headers=headers)).status == 202
    # The same signed request again is a replay.
    assert (await site.client.post("/ap/inbox", data=body, headers=headers)).status == 401
    assert await _post(site, account, follow, date=time.time() - 3600) == 401
    unsigned_digest = ("(request-target)", "host", "date")
    assert await _post(site, account, follow, signed=unsigned_digest) == 401
    other = Account(account.base, name="bob")  # claims to be ann with bob's key id
    assert await _post(site, other, {**follow, "actor": account.id}) == 401
    assert await _post(site, account, {"type": "Question", "actor": account.id}) == 202
    [follower] = await site.node.activitypub.followers_store.followers()
    assert follower.actor == account.id


async def test_a_blocked_instance_gets_nothing_and_is_refused(fedi: tuple[Site, Account]) -> None:
    site, account = fedi
    await _follow(site, account)
    await site.login("organiser@example.org")
    page = await site.submit("/organise/fediverse/block", {"target": "127.0.0.1"})
    assert "Blocked 127.0.0.1" in await page.text()
    assert "Nobody follows the hub" in await page.text()
    before = len(account.received)
    await _create_event(site, title="After the block")
    await site.post("/organise/news", {"text": "Also after the block"})
    await site.node.activitypub.sender.send_due()
    assert len(account.received) == before
    hub = site.node.activitypub.hub()
    again = {"id": account.id + "#f2", "type": "Follow", "actor": account.id, "object": hub.actor}
    assert await _post(site, account, again) == 403
    await account.wait_for(lambda a: a["type"] == "Reject")
    assert await site.node.activitypub.followers_store.followers() == []
    unblocked = await site.submit("/organise/fediverse/unblock", {"target": "127.0.0.1"})
    assert (
        "Unblocked 127.0.0.1" in await unblocked.text()
        and "Nothing blocked." in await unblocked.text()
    )


async def test_organisers_see_and_remove_followers(fedi: tuple[Site, Account]) -> None:
    site, account = fedi
    await _follow(site, account)
    await site.login("organiser@example.org")
    page = await (await site.client.get("/organise/fediverse")).text()
    assert "@riverside@127.0.0.1:8080" in page and account.id in page
    removed = await site.submit("/organise/fediverse/remove", {"actor": account.id})
    assert "Follower removed" in await removed.text()
    assert account.id not in await removed.text()


async def test_replies_show_to_members_with_moderation(fedi: tuple[Site, Account]) -> None:
    site, account = fedi
    await site.login("organiser@example.org")
    event_id = await _create_event(site)
    hub = site.node.activitypub.hub()
    note = {
        "id": account.base + "/notes/1",
        "type": "Note",
        "attributedTo": account.id,
        "inReplyTo": hub.object_id(bytes.fromhex(event_id)),
        "content": "<p>Count me in!<script>alert(1)</script></p>",
    }
    create = {"id": note["id"] + "#c", "type": "Create", "actor": account.id, "object": note}
    assert await _post(site, account, create) == 202
    like = {
        "id": account.base + "/likes/1",
        "type": "Like",
        "actor": account.id,
        "object": note["inReplyTo"],
    }
    assert await _post(site, account, like) == 202
    page = await (await site.client.get(f"/events/{event_id}")).text()
    assert "from the fediverse" in page and "Count me in!" in page and "<script>" not in page
    assert "1 like" in page
    await site.logout()
    assert "Count me in!" not in await (await site.client.get(f"/events/{event_id}")).text()
    await site.login("organiser@example.org")
    hidden = await site.submit(
        "/fediverse/replies/hide", {"reply": note["id"], "back": f"/events/{event_id}"}
    )
    assert "Reply hidden." in await hidden.text() and "Count me in!" not in await hidden.text()
    # Another reply, and its whole instance blocked: the reply goes with it.
    second = {**note, "id": account.base + "/notes/2", "content": "<p>Spam spam</p>"}
    assert await _post(site, account, {**create, "id": "x#2", "object": second}) == 202
    assert "Spam spam" in await (await site.client.get(f"/events/{event_id}")).text()
    blocked = await site.submit(
        "/fediverse/replies/block",
        {"reply": second["id"], "whole": "instance", "back": f"/events/{event_id}"},
    )
    assert "Spam spam" not in await blocked.text() and "Blocked 127.0.0.1" in await blocked.text()
    # Nothing of it is in the hub's own signed log.
    payloads = b"".join(m.payload for m in await site.node.messages.recent(limit=1000))
    assert b"Count me in" not in payloads


async def test_turned_off_the_hub_is_not_on_the_fediverse(
    tmp_path: Any, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = await open_site(tmp_path, aiohttp_client, monkeypatch, HUBNET_ACTIVITYPUB="off")
    finger = await site.client.get(
        "/.well-known/webfinger", params={"resource": "acct:riverside@127.0.0.1:8080"}
    )
    assert finger.status == 404
    assert (await site.client.post("/ap/inbox", data=b"{}")).status == 404
    assert (await site.client.get("/ap/outbox")).status == 404
    assert "<html" in await (await site.client.get("/", headers=AP)).text()


async def test_campaigns_and_titled_news_are_articles_and_other_hubs_news_never_goes(
    fedi: tuple[Site, Account],
) -> None:
    site, account = fedi
    await _follow(site, account)
    await site.login("organiser@example.org")
    form = {
        "title": "Fair rents",
        "summary": "Rents up 30%.",
        "status": "active",
        "goals": "Rent controls",
    }
    assert (await site.post("/campaigns/new", form)).status == 303
    campaign = await account.wait_for(lambda a: a["object"].get("name") == "Fair rents")
    assert (
        campaign["object"]["type"] == "Article" and "Rent controls" in campaign["object"]["content"]
    )
    await site.post("/organise/news", {"title": "AGM", "text": "On Tuesday."})
    news = await account.wait_for(lambda a: a["object"].get("name") == "AGM")
    assert news["type"] == "Create" and news["object"]["type"] == "Article"
    [item] = await site.node.news.items(own=True)
    await site.post(f"/organise/news/{item.id.hex()}/withdraw")
    deleted = await account.wait_for(lambda a: a["type"] == "Delete")
    assert deleted["object"]["id"] == news["object"]["id"]
    # Another member hub's news and event reach this hub, and go no further.
    north = SigningKey(b"\x05" * 32)
    [found] = await site.admit(north)
    theirs = create_message(
        north, "announcement", Announcement(text="Northgate news"), 2, found.id, T0
    )
    event = create_message(north, "event", REMOTE_EVENT, 3, theirs.id, T0 + 1)
    await site.node.messages.ingest([theirs.wire, event.wire])
    await site.node.projections.caught_up()
    await site.node.activitypub.sender.send_due()
    sent = json.dumps(account.received)
    assert "Northgate" not in sent
    assert await site.node.activitypub.objects.published(event.id) is None
