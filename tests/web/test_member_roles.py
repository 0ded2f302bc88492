"""Organisers act only on members they outrank (node/accounts/permissions.py RANKS),
and a reset link sets one password however many requests race with it."""

from __future__ import annotations

import asyncio
import re

import pytest

from node.accounts.members import AccountError
from node.accounts.permissions import Role, outranks
from tests.web.conftest import Site, make_member


def test_a_role_never_outranks_itself_and_the_interim_group_is_above_every_elected_role() -> None:
    interim, secretary = frozenset({Role.INTERIM}), frozenset({Role.SECRETARY})
    membership = frozenset({Role.MEMBERSHIP_SECRETARY})
    assert outranks(interim, frozenset({Role.CHAIR, Role.TREASURER}))
    assert not outranks(interim, interim)
    assert outranks(secretary, frozenset({Role.TREASURER, Role.MEMBERSHIP_SECRETARY}))
    assert not outranks(secretary, frozenset({Role.CHAIR}))
    assert outranks(membership, frozenset())
    assert not outranks(membership, frozenset({Role.TREASURER}))
    assert not outranks(membership, frozenset({Role.DELEGATE, Role.INTERIM}))
    # Rank without the permission to manage members is no use.
    assert not outranks(frozenset({Role.CHAIR}), frozenset())


async def test_a_membership_secretary_cannot_make_a_reset_link_for_the_treasurer(
    site: Site,
) -> None:
    await make_member(site.node, "ms@example.org", Role.MEMBERSHIP_SECRETARY)
    treasurer = await make_member(site.node, "t@example.org", Role.TREASURER)
    plain = await make_member(site.node, "p@example.org")
    await site.login("ms@example.org")
    refused = await site.post(f"/organise/members/{treasurer}/reset")
    assert refused.status == 403
    text = await refused.text()
    assert "Treasurer / fundraiser" in text and "ranks above" in text
    assert "/reset/" not in text
    assert await site.node.db.fetchone("SELECT 1 FROM reset_links") is None
    made = await site.submit(f"/organise/members/{plain}/reset")
    assert made.status == 200 and "/reset/" in await made.text()


async def test_a_membership_secretary_cannot_suspend_the_interim_steering_group(
    site: Site,
) -> None:
    await make_member(site.node, "ms@example.org", Role.MEMBERSHIP_SECRETARY)
    await site.login("ms@example.org")
    refused = await site.post("/organise/members/1/suspend")
    assert refused.status == 403 and "Interim steering group" in await refused.text()
    founder = await site.node.members.get(1)
    assert founder is not None and founder.status == "active"


async def test_the_service_refuses_whatever_route_calls_it(site: Site) -> None:
    ms = await site.node.members.get(
        await make_member(site.node, "ms@example.org", Role.MEMBERSHIP_SECRETARY)
    )
    secretary = await site.node.members.get(
        await make_member(site.node, "s@example.org", Role.SECRETARY)
    )
    assert ms is not None and secretary is not None
    with pytest.raises(AccountError, match="ranks above"):
        await site.node.members.decide(secretary.id, "suspended", by=ms)
    with pytest.raises(AccountError, match="ranks above"):
        await site.node.sessions.create_reset_link(secretary.id, by=ms)
    suspended = await site.node.members.decide(ms.id, "suspended", by=secretary)
    assert suspended.status == "suspended"
    reinstated = await site.node.members.decide(ms.id, "active", by=secretary)
    assert reinstated.status == "active"


async def test_four_concurrent_requests_with_one_reset_link_set_one_password(site: Site) -> None:
    ann = await make_member(site.node, "ann@example.org")
    await site.login("organiser@example.org")
    page = await (await site.submit(f"/organise/members/{ann}/reset")).text()
    match = re.search(r"(/reset/[\w-]+)", page)
    assert match
    await site.logout()
    csrf = await site.csrf()
    passwords = [f"new password number {n}" for n in range(4)]
    responses = await asyncio.gather(
        *(site.client.post(match.group(1), data={"csrf": csrf, "new": p}) for p in passwords)
    )
    statuses = [r.status for r in responses]
    assert sorted(statuses) == [200, 404, 404, 404], statuses
    winner = passwords[statuses.index(200)]
    for password in passwords:
        works = await site.node.members.authenticate("ann@example.org", password)
        assert (works is not None) == (password == winner)


async def test_a_chair_cannot_suspend_the_interim_group_or_the_secretary_from_posting(
    site: Site,
) -> None:
    await make_member(site.node, "chair@example.org", Role.CHAIR)
    secretary = await make_member(site.node, "sec@example.org", Role.SECRETARY)
    ann = await make_member(site.node, "ann@example.org")
    await site.login("chair@example.org")
    for target, title in ((1, "Interim steering group"), (secretary, "Secretary")):
        for action in ("suspend", "warn"):
            refused = await site.post(
                f"/moderation/members/{target}/{action}", {"days": "3", "reason": "Rude"}
            )
            text = await refused.text()
            assert refused.status == 403 and title in text, text[-3000:]
    suspended = await site.submit(
        f"/moderation/members/{ann}/suspend", {"days": "3", "reason": "Rude"}
    )
    assert suspended.status == 200 and "Suspended from posting until" in await suspended.text()
    standing = await site.node.discussion.moderation.standing(1)
    assert standing == ([], None)  # the founder was neither warned nor suspended
