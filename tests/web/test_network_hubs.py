"""The network's hubs page: members by name, newcomers for organisers to sponsor."""

from __future__ import annotations

from crypto.nodeid import node_id_from_public_key
from protocol.envelope import create_message
from protocol.kinds.hub import HubProfile
from protocol.kinds.network import NetworkJoin
from tests.helpers import key_from
from tests.web.conftest import Site


async def test_members_are_listed_by_name_and_ids_only_in_technical_details(site: Site) -> None:
    northgate = key_from(3)
    [joined] = await site.admit(northgate)
    profile = create_message(
        northgate,
        "hub.profile",
        HubProfile(name="Northgate", url="https://northgate.example", region="North West"),
        2,
        joined.id,
        site.node.clock(),
    )
    await site.node.messages.ingest([profile.wire])
    await site.login("organiser@example.org")
    page = await (await site.client.get("/network/hubs")).text()
    assert "Member hubs (2)" in page and "Northgate" in page and "Riverside" in page
    before, details = page.split("Technical details", 1)
    assert node_id_from_public_key(northgate.public_key) not in before
    assert site.node.membership.roster.digest in details


async def test_organiser_sees_a_hub_asking_to_join_and_sponsors_it(site: Site) -> None:
    newcomer = key_from(30)  # never signed the statement: not a member
    network = site.node.membership.network
    assert network is not None
    profile = create_message(
        newcomer,
        "hub.profile",
        HubProfile(name="Hillfield", url="https://hillfield.example"),
        1,
        None,
        site.node.clock(),
    )
    asked = create_message(
        newcomer, "network.join", NetworkJoin(network=network), 2, profile.id, site.node.clock()
    )
    report = await site.node.messages.ingest([profile.wire, asked.wire])
    assert [o.status.value for o in report.outcomes] == ["stored", "stored"]
    await site.node.membership.refresh()
    await site.login("organiser@example.org")
    page = await (await site.client.get("/network/hubs")).text()
    assert "Hubs asking to join (1)" in page and "Hillfield" in page
    assert "no member hub yet" in page
    hub = node_id_from_public_key(newcomer.public_key)
    response = await site.post(f"/network/hubs/{hub}/sponsor")
    assert response.status == 303 and response.headers["Location"] == "/network/hubs"
    assert "Sponsored." in await (await site.client.get("/network/hubs")).text()
    # The site is the only member that signed, so its sponsorship is enough once its
    # own witness covers it.
    await site.node.witnessing.witness()
    await site.node.membership.refresh()
    assert site.node.membership.is_member(hub)
    page = await (await site.client.get("/network/hubs")).text()
    assert "Member hubs (2)" in page and "No hub is asking to join" in page


async def test_a_plain_member_sees_the_members_but_no_sponsor_button(site: Site) -> None:
    from tests.web.conftest import make_member

    await make_member(site.node, "plain@example.org")
    await site.login("plain@example.org")
    page = await (await site.client.get("/network/hubs")).text()
    assert "Member hubs (1)" in page
    assert "Hubs asking to join" not in page and "Sponsor this hub" not in page


async def test_a_founders_messages_after_its_signature_are_stored_in_the_same_push(
    site: Site,
) -> None:
    from protocol.kinds.hub import Announcement

    founder = key_from(12)
    signed = site.founded(founder)
    news = create_message(
        founder, "announcement", Announcement(text="Hello"), 2, signed.id, site.node.clock()
    )
    report = await site.node.messages.ingest([signed.wire, news.wire])
    assert [o.status.value for o in report.outcomes] == ["stored", "stored"]
    # A hub the statement does not name gets no such start.
    stranger = key_from(40)
    forged = create_message(stranger, "network.found", site.statement, 1, None, site.node.clock())
    more = create_message(
        stranger, "announcement", Announcement(text="Hi"), 2, forged.id, site.node.clock()
    )
    report = await site.node.messages.ingest([forged.wire, more.wire])
    assert [o.status.value for o in report.outcomes] == ["stored", "refused"]
    assert (report.outcomes[1].reason or "").startswith("not-member:")
