"""Campaigns, the library, speakers, the directory, mutual aid and search, through the real app."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from typing import Any

from aiohttp import FormData

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node.accounts.permissions import Role
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.campaign import Campaign, CampaignEndorse, CampaignUpdate
from protocol.kinds.community import DirectoryEntry, DirectoryWithdraw
from protocol.kinds.event import EventDetails
from protocol.kinds.hub import HubProfile
from tests.helpers import T0, PeakMemory, key_from
from tests.web.conftest import Site, make_member

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class OtherHub:
    """Another member hub's log, written here and handed to the node as if from a peer.

    It starts after `joined`, the hub's signature on the network's founding statement
    (seq 1), which made it a member: see `member`.
    """

    def __init__(self, key: SigningKey, joined: Message, name: str) -> None:
        self.key = key
        self.node_id = node_id_from_public_key(self.key.public_key)
        assert joined.origin == self.node_id
        self.seq = joined.seq
        self.prev: MessageId | None = joined.id
        self.wires: list[bytes] = [
            self.make("hub.profile", HubProfile(name=name, url="https://x.example"))
        ]

    def make(self, kind: str, body: Any) -> bytes:
        self.seq += 1
        message = create_message(self.key, kind, body, self.seq, self.prev, T0 + self.seq)
        self.prev = message.id
        return message.wire

    def id_of(self, wire: bytes) -> bytes:
        from protocol.envelope import decode_envelope, parse_payload

        return parse_payload(*decode_envelope(wire)).id


async def member(site: Site, n: int, name: str) -> OtherHub:
    """A hub of the site's network (key `key_from(n)`), a member already."""
    key = key_from(n)
    [joined] = await site.admit(key)
    return OtherHub(key, joined, name)


async def send(site: Site, *wires: bytes) -> None:
    report = await site.node.messages.ingest(list(wires))
    assert all(o.status.value in ("stored", "duplicate") for o in report.outcomes), report


async def login_as(site: Site, role: Role | None, email: str | None = None) -> None:
    email = email or f"{role.value if role else 'plain'}@example.org"
    await make_member(site.node, email, role)
    await site.login(email)


async def start_campaign(site: Site, title: str = "Fair rents") -> str:
    response = await site.post(
        "/campaigns/new",
        {
            "title": title,
            "summary": "Rents up 30% in two years.",
            "status": "active",
            "principles": "Housing is a right",
            "goals": "Rent controls\nA register of landlords",
        },
    )
    assert response.status == 303, await response.text()
    return response.headers["Location"].rsplit("/", 1)[1]


# -- campaigns ----------------------------------------------------------------------


async def test_campaigns_coordinator_starts_and_updates_a_campaign(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    ref = await start_campaign(site)
    response = await site.submit(f"/campaigns/{ref}/update", {"text": "We won!", "status": "won"})
    page = await response.text()
    assert response.status == 200, page
    assert "We won!" in page and "status: <strong>won</strong>" in page
    assert "Housing is a right" in page and "A register of landlords" in page
    public = await (await site.client.get("/campaigns")).text()
    assert "Fair rents" in public


async def test_a_plain_member_cannot_start_a_campaign(site: Site) -> None:
    await login_as(site, None)
    response = await site.post("/campaigns/new", {"title": "x", "summary": "y", "status": "active"})
    assert response.status == 403
    assert await site.node.community.campaigns.all() == []


async def test_endorsement_before_its_campaign_is_shown_once_the_campaign_arrives(
    site: Site,
) -> None:
    a, b = await member(site, 7, "Northgate"), await member(site, 8, "Hillfield")
    campaign = a.make(
        "campaign", Campaign(title="Save the library", summary="Keep it open.", status="active")
    )
    campaign_id = a.id_of(campaign)
    await send(
        site,
        *b.wires,
        b.make("campaign.endorse", CampaignEndorse(campaign=campaign_id, statement="With you")),
    )
    assert (await site.client.get(f"/campaigns/{campaign_id.hex()}")).status == 404
    await send(site, *a.wires, campaign)
    page = await (await site.client.get(f"/campaigns/{campaign_id.hex()}")).text()
    assert "Save the library" in page and "Hillfield" in page and "With you" in page
    assert "Started by Northgate" in page


async def test_update_by_a_hub_that_did_not_start_the_campaign_is_not_applied(site: Site) -> None:
    a, b = await member(site, 7, "Northgate"), await member(site, 8, "Hillfield")
    campaign = a.make(
        "campaign", Campaign(title="Save the library", summary="Keep it open.", status="active")
    )
    campaign_id = a.id_of(campaign)
    forged = b.make(
        "campaign.update", CampaignUpdate(campaign=campaign_id, text="It is over", status="ended")
    )
    await send(site, *a.wires, campaign, *b.wires, forged)
    page = await (await site.client.get(f"/campaigns/{campaign_id.hex()}")).text()
    assert "It is over" not in page and "status: <strong>active</strong>" in page
    genuine = a.make(
        "campaign.update", CampaignUpdate(campaign=campaign_id, text="Petition handed in")
    )
    await send(site, genuine)
    assert (
        "Petition handed in"
        in await (await site.client.get(f"/campaigns/{campaign_id.hex()}")).text()
    )


async def test_this_hub_joins_another_hubs_campaign_once(site: Site) -> None:
    a = await member(site, 7, "Northgate")
    campaign = a.make(
        "campaign", Campaign(title="Clean air", summary="Fewer cars.", status="active")
    )
    await send(site, *a.wires, campaign)
    ref = a.id_of(campaign).hex()
    await login_as(site, Role.CAMPAIGNS)
    joined = await site.post(f"/campaigns/{ref}/join", {"statement": ""})
    assert joined.status == 303 and joined.headers["Location"] == f"/campaigns/{ref}"
    page = await (await site.client.get(joined.headers["Location"])).text()
    assert "This hub has joined the campaign." in page
    assert "Riverside</strong>" in page and "has joined this campaign" in page
    again = await site.submit(f"/campaigns/{ref}/join", {"statement": ""})
    assert again.status == 400 and "already joined" in await again.text()
    assert len(await site.node.messages.recent(kind="campaign.endorse")) == 1


async def test_hostile_text_from_a_peer_is_escaped(site: Site) -> None:
    a = await member(site, 7, "<script>alert(1)</script>Evil")
    campaign = a.make(
        "campaign",
        Campaign(
            title="<img src=x onerror=alert(1)>",
            summary="<script>alert(2)</script>",
            status="active",
        ),
    )
    await send(site, *a.wires, campaign)
    listing = await (await site.client.get("/campaigns")).text()
    page = await (await site.client.get(f"/campaigns/{a.id_of(campaign).hex()}")).text()
    for text in (listing, page):
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text


async def test_bad_campaign_ids_are_not_found(site: Site) -> None:
    for path in ("/campaigns/zz", "/campaigns/" + "g" * 64, "/campaigns/" + "ab" * 32):
        assert (await site.client.get(path)).status == 404


# -- the library ------------------------------------------------------------------------


async def upload(
    site: Site, name: str, data: bytes, title: str = "Know your rights", **extra: str
) -> Any:
    form = FormData()
    form.add_field("title", title)
    for key, value in extra.items():
        form.add_field(key, value)
    form.add_field("file", io.BytesIO(data), filename=name, content_type="application/octet-stream")
    csrf = await site.csrf()
    return await site.client.post(f"/library/upload?csrf={csrf}", data=form, allow_redirects=False)


async def test_a_pdf_is_published_and_downloaded_with_safe_headers(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    response = await upload(
        site, "rights.pdf", PDF, description="Tenancy deposits explained", tags="housing, leaflet"
    )
    assert response.status == 303, await response.text()
    page = await (await site.client.get(response.headers["Location"])).text()
    assert "Know your rights" in page and "Tenancy deposits explained" in page
    download = await site.client.get(response.headers["Location"] + "/file")
    assert await download.read() == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    listing = await (await site.client.get("/library?tag=housing")).text()
    assert "Know your rights" in listing
    assert "Know your rights" not in await (await site.client.get("/library?tag=food")).text()
    assert "Know your rights" not in await (await site.client.get("/library?type=image/png")).text()


async def test_images_are_shown_inline(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    response = await upload(site, "poster.png", PNG, title="Poster")
    download = await site.client.get(response.headers["Location"] + "/file")
    assert download.headers["Content-Disposition"].startswith("inline;")
    assert download.headers["Content-Type"] == "image/png"


async def test_an_executable_named_as_a_pdf_is_refused(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    response = await upload(site, "leaflet.pdf", b"MZ\x90\x00" + b"\x00" * 4096)
    assert response.status == 400
    assert "named as a PDF, but its content is not one" in await response.text()
    assert await site.node.messages.recent(kind="resource") == []


async def test_oversized_and_unknown_files_are_refused(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    big = await upload(site, "big.pdf", b"%PDF-" + b"\x00" * (20 * 1024 * 1024))
    assert big.status == 400 and "larger than this hub accepts" in await big.text()
    html = await upload(site, "page.html", b"<html><script>alert(1)</script></html>")
    assert html.status == 400 and "not accepted" in await html.text()
    huge = await site.client.post(
        f"/library/upload?csrf={await site.csrf()}",
        data=io.BytesIO(b"x" * (60 * 1024 * 1024)),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert huge.status == 413
    assert await site.node.messages.recent(kind="resource") == []


async def test_upload_without_the_form_token_is_refused(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    form = FormData()
    form.add_field("title", "x")
    form.add_field("file", PDF, filename="a.pdf")
    response = await site.client.post("/library/upload", data=form)
    assert response.status == 403
    assert await site.node.messages.recent(kind="resource") == []


async def test_a_plain_member_cannot_upload(site: Site) -> None:
    await login_as(site, None)
    assert (await upload(site, "rights.pdf", PDF)).status == 403


# -- speakers -----------------------------------------------------------------------------


async def test_speaker_offer_is_published_without_personal_details(site: Site) -> None:
    await login_as(site, None, "ana.speaker@example.org")
    page = await (
        await site.submit(
            "/speakers/offer", {"topics": "housing law, tenant unions", "area": "Leeds"}
        )
    ).text()
    assert "housing law, tenant unions" in page
    [message] = await site.node.messages.recent(kind="speaker.offer")
    assert b"ana" not in message.payload and b"example.org" not in message.payload
    found = await (await site.client.get("/speakers?topic=tenant")).text()
    assert "housing law" in found
    none = await (await site.client.get("/speakers?topic=welding")).text()
    assert "No speakers on offer on that topic" in none
    offer_id = re.search(r"/speakers/(\d+)/withdraw", page)
    assert offer_id
    await site.post(f"/speakers/{offer_id[1]}/withdraw")
    assert "No speakers on offer" in await (await site.client.get("/speakers")).text()


async def test_speaker_offer_without_topics_is_refused(site: Site) -> None:
    await login_as(site, None)
    response = await site.submit("/speakers/offer", {"topics": " , "})
    assert response.status == 400 and "at least one topic" in await response.text()
    assert await site.node.messages.recent(kind="speaker.offer") == []


# -- the directory -------------------------------------------------------------------------

SERVICE = {
    "name": "Riverside Food Bank",
    "category": "food",
    "area": "Riverside ward",
    "hours": "Mon and Thu 10-2",
    "contact": "0113 496 0000",
    "description": "Bring a voucher.",
}


async def test_directory_entry_with_missing_fields_is_refused(site: Site) -> None:
    await login_as(site, Role.SECRETARY)
    response = await site.submit("/directory/new", {**SERVICE, "hours": "", "contact": ""})
    text = await response.text()
    assert response.status == 400 and "Fill in the opening hours, public contact." in text
    assert await site.node.community.directory.entries() == []


async def test_shared_directory_entry_is_replaced_and_withdrawn(site: Site) -> None:
    await login_as(site, Role.SECRETARY)
    await site.post("/directory/new", {**SERVICE, "share": "yes"})
    [entry] = await site.node.community.directory.entries()
    assert (
        entry.shared and "Riverside Food Bank" in await (await site.client.get("/directory")).text()
    )
    number = entry.key.split(":")[1]
    await site.post(f"/directory/{number}/edit", {**SERVICE, "hours": "Every day 9-5"})
    sent = await site.node.messages.recent(kind="directory.entry")
    assert len(sent) == 2 and sent[0].body.replaces == sent[1].id
    await site.post(f"/directory/{number}/remove")
    [withdraw] = await site.node.messages.recent(kind="directory.withdraw")
    assert withdraw.body.entry == sent[1].id
    assert "Riverside Food Bank" not in await (await site.client.get("/directory")).text()


async def test_other_hubs_entries_follow_their_replacements_but_not_others(site: Site) -> None:
    a, b = await member(site, 7, "Northgate"), await member(site, 8, "Hillfield")
    body = DirectoryEntry(
        name="Advice Centre", category="advice", area="Northgate", hours="9-5", contact="01 234"
    )
    first = a.make("directory.entry", body)
    first_id = a.id_of(first)
    newer = a.make(
        "directory.entry",
        DirectoryEntry(**{**_fields(body), "hours": "10-4", "replaces": first_id}),
    )
    hijack = b.make(
        "directory.entry", DirectoryEntry(**{**_fields(body), "name": "Scam", "replaces": first_id})
    )
    foreign_withdraw = b.make("directory.withdraw", DirectoryWithdraw(entry=first_id))
    await send(site, *a.wires, first, newer, *b.wires, hijack, foreign_withdraw)
    page = await (await site.client.get("/directory")).text()
    assert "Advice Centre" in page and "10-4" in page and "Scam" not in page
    await send(site, a.make("directory.withdraw", DirectoryWithdraw(entry=a.id_of(newer))))
    assert "Advice Centre" not in await (await site.client.get("/directory")).text()


def _fields(body: DirectoryEntry) -> dict[str, Any]:
    return {f: getattr(body, f) for f in ("name", "category", "area", "hours", "contact")}


# -- mutual aid ------------------------------------------------------------------------------


async def test_members_post_and_close_their_own_mutual_aid_posts(site: Site) -> None:
    await login_as(site, None, "bo@example.org")
    page = await (
        await site.submit(
            "/mutual-aid", {"type": "request", "title": "Lift to hospital", "text": "Tuesday 9am"}
        )
    ).text()
    assert "Request: Lift to hospital" in page
    post_id = re.search(r"/mutual-aid/(\d+)/close", page)
    assert post_id
    await site.logout()
    await login_as(site, None, "cy@example.org")
    refused = await site.submit(f"/mutual-aid/{post_id[1]}/close", {"outcome": "fulfilled"})
    assert refused.status == 400 and "only your own" in await refused.text()
    await site.logout()
    await site.login("bo@example.org")
    done = await (
        await site.submit(f"/mutual-aid/{post_id[1]}/close", {"outcome": "fulfilled"})
    ).text()
    assert "Lift to hospital" not in done.split("Open posts")[1]
    # Nothing about the board ever becomes a message.
    assert all(
        b"Lift to hospital" not in m.payload for m in await site.node.messages.recent(limit=1000)
    )


async def test_mutual_aid_is_for_members_only(site: Site) -> None:
    response = await site.client.get("/mutual-aid", allow_redirects=False)
    assert response.status == 303 and "/login" in response.headers["Location"]


# -- search ------------------------------------------------------------------------------------


def _event(title: str, visibility: str) -> EventDetails:
    return EventDetails(
        title=title,
        starts=1_800_000_000,
        ends=1_800_003_600,
        timezone="Europe/London",
        type="public-meeting",
        visibility=visibility,  # type: ignore[arg-type]
        place="Town hall",
        description="About the allotments",
    )


async def test_search_finds_events_campaigns_resources_and_services(site: Site) -> None:
    a = await member(site, 7, "Northgate")
    await send(
        site,
        *a.wires,
        a.make("event", _event("Allotment public meeting", "public")),
        a.make("event", _event("Allotment organisers only", "network")),
        a.make(
            "campaign",
            Campaign(title="Save the allotments", summary="Green space", status="active"),
        ),
    )
    await login_as(site, Role.SECRETARY)
    await site.post("/directory/new", {**SERVICE, "description": "Also gives allotment seeds"})
    as_member = await (await site.client.get("/search?q=allotment")).text()
    for title in (
        "Allotment public meeting",
        "Allotment organisers only",
        "Save the allotments",
        "Riverside Food Bank",
    ):
        assert title in as_member
    await site.logout()
    public = await (await site.client.get("/search?q=allotment")).text()
    assert "Allotment public meeting" in public and "Allotment organisers only" not in public
    only = await (await site.client.get("/search?q=allotment&kind=campaign")).text()
    assert "Save the allotments" in only and "Allotment public meeting" not in only


async def test_search_syntax_from_visitors_never_fails(site: Site) -> None:
    for q in ('"', "AND", "NEAR(", "*", "a OR", "title:x", "(((", "-x", "^", "''"):
        response = await site.client.get("/search", params={"q": q})
        assert response.status == 200, q


async def test_parallel_downloads_of_a_large_file_are_streamed_from_disk(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    data = b"%PDF-1.4\n" + bytes(range(256)) * (19 * 4096)  # 19 MiB
    response = await upload(site, "atlas.pdf", data, title="Atlas")
    assert response.status == 303, await response.text()
    url = response.headers["Location"] + "/file"

    async def download() -> bytes:
        digest = hashlib.sha256()
        async with site.client.get(url) as got:
            assert got.status == 200
            assert got.headers["Content-Type"] == "application/pdf"
            async for piece in got.content.iter_chunked(65536):
                digest.update(piece)
        return digest.digest()

    with PeakMemory() as memory:
        digests = await asyncio.gather(*(download() for _ in range(8)))
    assert set(digests) == {hashlib.sha256(data).digest()}
    print(f"8 downloads of 19 MiB: peak memory +{memory.growth / 1048576:.1f} MiB")
    assert memory.growth < 24 * 1024 * 1024  # read whole, each would hold 19 MiB


async def test_a_text_file_is_served_as_text_only_if_it_is_all_utf8(site: Site) -> None:
    await login_as(site, Role.CAMPAIGNS)
    text = "Réunion mardi\n".encode() * 10000  # well past one piece read from disk
    response = await upload(site, "notes.txt", text, title="Notes")
    download = await site.client.get(response.headers["Location"] + "/file")
    assert await download.read() == text
    assert download.headers["Content-Type"].startswith("text/plain")
    item = (await site.node.community.library.items())[0]
    path = site.node.community.library.file(item)
    assert path is not None
    path.write_bytes(text + b"\xff")  # damaged on disk after it was stored
    download = await site.client.get(response.headers["Location"] + "/file")
    assert download.headers["Content-Type"] == "application/octet-stream"
