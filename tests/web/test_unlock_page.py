"""The unlock page takes the hub's key file, and refuses a wrong one without a word of
why (members' data sealed at rest: node/atrest.py). The passphrase, the panic lock and
what a locked hub shows are in tests/integration/test_at_rest.py, on real processes."""

from __future__ import annotations

import aiohttp
import pytest

from node.accounts.permissions import OPERATOR, Role
from node.errors import NotAllowed
from tests.web.conftest import PASSWORD, Site, acting, make_member


async def _upload(site: Site, key_file: bytes) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("csrf", await site.csrf())
    form.add_field("passphrase", "")
    form.add_field("key_file", key_file, filename="hub.key")
    return await site.client.post("/unlock", data=form, allow_redirects=False)


async def test_the_key_file_uploaded_unlocks_the_hub_and_another_does_not(site: Site) -> None:
    key_file = (site.node.config.data_dir / "data.key").read_bytes()
    await site.node.atrest.lock(OPERATOR, "a test")
    refused = await site.post("/login", {"email": "organiser@example.org", "password": PASSWORD})
    assert refused.status == 503 and "sealed until an organiser unlocks it" in await refused.text()

    wrong = await _upload(site, bytes(32))
    assert wrong.status == 403
    assert "does not unlock this hub" in await wrong.text()
    assert site.node.atrest.locked

    right = await _upload(site, key_file)
    assert right.status == 303 and right.headers["Location"] == "/login"
    assert not site.node.atrest.locked
    await site.login("organiser@example.org")
    members = await (await site.client.get("/organise/members")).text()
    assert "organiser@example.org" in members


async def test_only_who_may_set_up_the_hub_may_lock_it(site: Site) -> None:
    """The service checks, not only the route: a script or a new route cannot skip it."""
    ann = await acting(site.node, await make_member(site.node, "ann@example.org"))
    with pytest.raises(NotAllowed, match="Only"):
        await site.node.atrest.lock(ann, "a member tried")
    assert not site.node.atrest.locked
    chair = await acting(site.node, await make_member(site.node, "chair@example.org", Role.CHAIR))
    await site.node.atrest.lock(chair)
    assert site.node.atrest.locked
