"""Pages members read and fill in: the charter as prose, the network name's refusal
beside its field."""

from __future__ import annotations

import re

from tests.web.conftest import Site, make_member


async def test_charter_reads_as_paragraphs_and_a_list_not_a_monospace_box(site: Site) -> None:
    page = await (await site.client.get("/charter")).text()
    assert "<pre" not in page
    prose = re.search(r'<div class="prose charter">(.*?)</div>', page, re.S)
    assert prose is not None
    assert "<p>We are a network of local hubs of people who organise where they live.</p>" in (
        prose.group(1)
    )
    items = re.findall(r"<li>(.*?)</li>", prose.group(1), re.S)
    assert len(items) == 6 and items[1].startswith("Nobody holds a role for ever")
    join = await (await site.client.get("/join")).text()
    assert "<pre" not in join and join.count('<div class="prose charter">') == 2


async def test_a_refused_network_name_is_shown_beside_its_field_with_what_was_typed(
    site: Site,
) -> None:
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    response = await site.post("/account/network-name", {"display_name": "Ann Lee"})
    page = await response.text()
    assert response.status == 400
    field = page.index('id="display_name"')
    error = page.index('id="display_name-error"')
    assert 0 < field - error < 400 and "no spaces" in page[error:field]
    assert 'aria-describedby="display_name-error" value="Ann Lee"' in page
    assert 'id="form-errors"' not in page  # not at the top of the page
