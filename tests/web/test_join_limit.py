"""The public join form is limited per client address (web/join_guard.py)."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, Site
from web.join_guard import PER_ADDRESS, WINDOW_MS, JoinGuard


def _application(n: int) -> dict[str, str]:
    return {
        "name": f"Applicant {n}",
        "email": f"applicant{n}@example.org",
        "phone": "",
        "statement": "I would like to help.",
        "password": PASSWORD,
        "sign_charter": "yes",
        "accept_privacy": "yes",
    }


async def _applicants(site: Site) -> int:
    return len(await site.node.members.by_status("applied"))


async def test_applications_from_one_address_are_limited(site: Site) -> None:
    for n in range(PER_ADDRESS):
        response = await site.submit("/join", _application(n))
        assert response.status == 200, await response.text()
    assert await _applicants(site) == PER_ADDRESS

    refused = await site.post("/join", _application(PER_ADDRESS))
    assert refused.status == 429
    assert "Too many applications" in await refused.text()
    assert await _applicants(site) == PER_ADDRESS, "a refused application was stored"


def test_the_join_limit_is_per_address_and_lifts_when_the_window_passes() -> None:
    guard, now = JoinGuard(), 10**12
    for _ in range(PER_ADDRESS):
        assert guard.may_apply("192.0.2.1", now)
        guard.applied("192.0.2.1", now)
    assert not guard.may_apply("192.0.2.1", now)
    assert guard.may_apply("192.0.2.2", now), "another address was limited too"
    assert not guard.may_apply("192.0.2.1", now + WINDOW_MS - 1)
    assert guard.may_apply("192.0.2.1", now + WINDOW_MS)
