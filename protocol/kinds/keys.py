"""Key rotation, pre-rotation commitments and revocation (PROTOCOL.md §5.16, §5.26-§5.27, §7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from protocol.schema import Bin, Sha256, Text

ROTATION_CONTEXT = b"hubnet key.rotate v1\x00"


def rotation_statement(origin: str, old_key: bytes, new_key: bytes) -> bytes:
    """What the new key signs to accept the handover (PROTOCOL.md §5.16)."""
    return ROTATION_CONTEXT + origin.encode("ascii") + old_key + new_key


@dataclass(frozen=True, slots=True)
class KeyRotate:
    """`key.rotate`: signed (as any message) by the old key; the new key counter-signs.

    Messages after this one in the origin's log are signed by `new_key`. When the
    origin has committed to a successor (§7.1), `new_key` must be that key.
    """

    new_key: Annotated[bytes, Bin(32)]
    new_key_signature: Annotated[bytes, Bin(64)]
    next_key_digest: Sha256 | None = None


@dataclass(frozen=True, slots=True)
class KeyCommit:
    """`key.commit`: the origin commits to the key it will rotate to next (§7.1).

    Allowed only while no commitment is in force: a stolen key must not be able to
    replace the commitment with its thief's own successor.
    """

    next_key_digest: Sha256


@dataclass(frozen=True, slots=True)
class KeyRevoke:
    """`key.revoke`: signed by the committed successor key, not by the key in force.

    For a key that is lost or stolen: the successor kept offline takes over.
    """

    new_key: Annotated[bytes, Bin(32)]
    next_key_digest: Sha256 | None = None
    reason: Annotated[str, Text(500)] | None = None
