"""Key rotation: the origin's current key hands over to a new one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from protocol.schema import Bin

ROTATION_CONTEXT = b"hubnet key.rotate v1\x00"


def rotation_statement(origin: str, old_key: bytes, new_key: bytes) -> bytes:
    """What the new key signs to accept the handover (PROTOCOL.md §5.16)."""
    return ROTATION_CONTEXT + origin.encode("ascii") + old_key + new_key


@dataclass(frozen=True, slots=True)
class KeyRotate:
    """`key.rotate`: signed (as any message) by the old key; the new key counter-signs.

    Messages after this one in the origin's log are signed by `new_key`.
    """

    new_key: Annotated[bytes, Bin(32)]
    new_key_signature: Annotated[bytes, Bin(64)]
