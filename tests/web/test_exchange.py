"""The organisers' "Exchange by USB stick" page: download a bundle, read one in
(PROTOCOL.md §16), with the refusals beside the file field."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from node.accounts.permissions import Role
from protocol.bundle import BundleHeader, encode_unsigned, open_bundle, signing_input
from protocol.envelope import create_message, encode_envelope
from protocol.kinds.hub import Announcement
from tests.helpers import T0, key_from
from tests.web.conftest import Site, make_member, open_site

NEWS = "Eastfield's food bank opens on Tuesdays"


def bundle_from(site: Site, key: SigningKey) -> bytes:
    """Another hub's bundle: its founding signature and one announcement."""
    founded = site.founded(key)
    announcement = create_message(
        key, "announcement", Announcement(text=NEWS), 2, founded.id, site.node.clock()
    )
    envelopes = [encode_envelope(m.payload, m.signature) for m in (founded, announcement)]
    hub = node_id_from_public_key(key.public_key)
    header = BundleHeader(hub, site.node.clock(), 2, 1, ((hub, 2),))
    unsigned = encode_unsigned(header, envelopes)
    return unsigned + key.sign(signing_input(unsigned))


async def upload(site: Site, data: bytes) -> Any:
    form = FormData()
    form.add_field("bundle", io.BytesIO(data), filename="eastfield.hubnet")
    csrf = await site.csrf()
    return await site.client.post(
        f"/organise/exchange/upload?csrf={csrf}", data=form, allow_redirects=False
    )


async def as_secretary(site: Site) -> None:
    await make_member(site.node, "secretary@example.org", Role.SECRETARY)
    await site.login("secretary@example.org")


async def test_a_bundle_read_in_is_stored_and_the_page_says_what_came(site: Site) -> None:
    await as_secretary(site)
    page = await (await site.client.get("/organise/exchange")).text()
    assert "Exchange by USB stick" in page and 'for="bundle"' in page
    data = bundle_from(site, key_from(3))
    response = await upload(site, data)
    assert response.status == 303, await response.text()
    page = await (await site.client.get(response.headers["Location"])).text()
    assert "stored 2 new messages from 1 hub; 0 already held; 0 refused" in page
    assert NEWS in await (await site.client.get("/dashboard")).text()
    # The same file again changes nothing.
    response = await upload(site, data)
    page = await (await site.client.get(response.headers["Location"])).text()
    assert "stored 0 new messages from 0 hubs; 2 already held; 0 refused" in page


async def test_an_altered_bundle_is_refused_beside_the_field_with_nothing_stored(
    site: Site,
) -> None:
    await as_secretary(site)
    data = bytearray(bundle_from(site, key_from(4)))
    data[len(data) // 2] ^= 0x01
    before = await site.node.messages.count()
    response = await upload(site, bytes(data))
    assert response.status == 400
    page = await response.text()
    assert 'id="bundle-error"' in page and "nothing from it was stored" in page
    assert "damaged or altered" in page
    assert await site.node.messages.count() == before
    assert NEWS not in await (await site.client.get("/dashboard")).text()


async def test_the_download_is_a_bundle_signed_by_this_hub(site: Site) -> None:
    await as_secretary(site)
    response = await site.client.get("/organise/exchange/bundle?since=")
    assert response.status == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = await response.read()
    header, envelopes = open_bundle(data, site.node.key.public_key)
    assert header.hub == site.node.node_id and len(envelopes) == header.messages >= 1
    # A date from the future: nothing stored since.
    response = await site.client.get("/organise/exchange/bundle?since=2999-01-01")
    assert open_bundle(await response.read(), site.node.key.public_key)[0].messages == 0
    response = await site.client.get("/organise/exchange/bundle?since=last+week")
    assert response.status == 400
    page = await response.text()
    assert 'id="since-error"' in page and 'value="last week"' in page


async def test_only_organisers_who_manage_peers_may_exchange(site: Site) -> None:
    await make_member(site.node, "plain@example.org")
    await site.login("plain@example.org")
    response = await site.client.get("/organise/exchange", allow_redirects=False)
    assert response.status == 403
    response = await site.client.get("/organise/exchange/bundle", allow_redirects=False)
    assert response.status == 403
    assert (await upload(site, bundle_from(site, key_from(5)))).status == 403


async def test_a_bundle_over_the_setting_is_refused_beside_the_field(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = await open_site(tmp_path, aiohttp_client, monkeypatch, HUBNET_BUNDLE_UPLOAD_MIB="1")
    await as_secretary(site)
    response = await upload(site, b"x" * (1024 * 1024 + 100_000))
    assert response.status == 400
    assert "larger than this hub accepts (1 MiB)" in await response.text()


async def test_news_from_a_hub_outside_the_network_is_refused_as_from_a_peer(site: Site) -> None:
    await as_secretary(site)
    stranger = SigningKey(bytes([0x77]) * 32)  # not among the network's founders
    news = create_message(stranger, "announcement", Announcement(text=NEWS), 1, None, T0)
    hub = node_id_from_public_key(stranger.public_key)
    header = BundleHeader(hub, T0, 1, 1, ((hub, 1),))
    unsigned = encode_unsigned(header, [encode_envelope(news.payload, news.signature)])
    response = await upload(site, unsigned + stranger.sign(signing_input(unsigned)))
    page = await (await site.client.get(response.headers["Location"])).text()
    assert "stored 0 new messages from 0 hubs; 0 already held; 1 refused" in page
    assert NEWS not in await (await site.client.get("/dashboard")).text()
