"""A signed request is refused as a replay for as long as its signature is valid,
even one whose `created` lies as far in the future as the receiver allows
(node/federation/service.py sets the ReplayGuard's window)."""

from __future__ import annotations

from crypto.httpsig import MAX_FUTURE_SKEW, sign_request
from crypto.nodeid import node_id_from_public_key
from node.federation.api import SIGNATURE_MAX_AGE
from tests.helpers import ManualClock, key_from
from tests.web.conftest import Site

PEERING = "/federation/v1/peering"


async def test_a_future_dated_signature_is_refused_again_until_it_expires(
    clocked: tuple[Site, ManualClock],
) -> None:
    site, clock = clocked
    key = key_from(77)  # a stranger: it may ask to peer, and nothing else
    sender = node_id_from_public_key(key.public_key)
    clock.advance(999 - clock.now_ms % 1000)  # late in a second: rounding works against us
    created = clock.now_ms // 1000 + MAX_FUTURE_SKEW
    headers = sign_request(key, sender, "POST", PEERING, b"", created, nonce="once")
    headers["Content-Type"] = "application/msgpack"

    async def send() -> tuple[int, bytes]:
        response = await site.client.post(PEERING, data=b"", headers=headers)
        return response.status, await response.read()

    first_status, _ = await send()
    assert first_status != 401  # accepted as a signature (the empty body is refused)
    # The receiver accepts `created` until its clock's second reaches created + max age.
    last_valid_ms = (created + SIGNATURE_MAX_AGE) * 1000 + 999
    clock.advance(last_valid_ms - clock.now_ms)
    status, body = await send()
    assert status == 401 and b"duplicate" in body, (status, body)
    clock.advance(1)
    status, body = await send()
    assert status == 401 and b"too old" in body, (status, body)
