"""How secret tokens (sessions, reset links) are kept: only their SHA-256, so a copy
of the database does not let anyone log in."""

from __future__ import annotations

from crypto.digest import sha256


def token_digest(token: str) -> bytes:
    return sha256(token.encode("ascii", "replace"))
