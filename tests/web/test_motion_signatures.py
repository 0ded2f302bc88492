"""The motion page reads signature checks made once, when each message was stored;
`hubnet motion verify` (Assembly.audit) checks every signature again from the bytes."""

from __future__ import annotations

from typing import Any

import pytest

from protocol import envelope
from tests.helpers import ManualClock
from tests.web.conftest import Site
from tests.web.test_assembly import CLOSES, NOW, hub, ingest, members, witnessed

__all__ = ["hub"]  # the fixture, used by name


class Counted:
    """The real Ed25519 check, counting its calls."""

    def __init__(self) -> None:
        self.real = envelope.verify
        self.calls = 0

    def __call__(self, *args: Any) -> bool:
        self.calls += 1
        return self.real(*args)


async def test_viewing_a_motion_checks_no_signature_and_an_audit_checks_every_one(
    hub: tuple[Site, ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, _ = hub
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=0)
    vote = south.vote(motion, south.own_mandate, "For", NOW + 10)
    await ingest(site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate)
    await ingest(site, vote)
    await witnessed(site, north, south)
    counted = Counted()
    monkeypatch.setattr(envelope, "verify", counted)

    for _ in range(3):
        page = await (await site.client.get(f"/network/motions/{motion.id.hex()}")).text()
        assert "Every signature checks." in page and "Southbank delegate" in page
    assert counted.calls == 0

    audited = await site.node.assembly.audit(motion.id)
    assert audited is not None and audited.all_signatures_check
    assert counted.calls == len(audited.signatures) >= 4  # motion, mandates, the vote


async def test_an_audit_leaves_out_a_message_whose_stored_bytes_no_longer_verify(
    hub: tuple[Site, ManualClock],
) -> None:
    site, _ = hub
    north, south = await members(site, (1, "Northgate"), (2, "Southbank"))
    motion = north.motion(at=NOW, closes=CLOSES, seconds_needed=0)
    vote = south.vote(motion, south.own_mandate, "For", NOW + 10)
    await ingest(site, *north.first, north.own_mandate, motion, *south.first, south.own_mandate)
    await ingest(site, vote)
    await witnessed(site, north, south)
    assembly = site.node.assembly
    before = await assembly.audit(motion.id)
    assert before is not None and dict(before.result.counts)["For"] == 1

    # A damaged database: the vote's stored signature is no longer the one received.
    broken = bytes([vote.signature[0] ^ 1]) + vote.signature[1:]
    async with site.node.db.write() as conn:
        await conn.execute("UPDATE messages SET signature = ? WHERE id = ?", (broken, vote.id))

    after = await assembly.audit(motion.id)
    assert after is not None and not after.all_signatures_check
    assert after.signatures[vote.id] is False and after.signatures[motion.id] is True
    assert dict(after.result.counts)["For"] == 0
