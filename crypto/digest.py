"""SHA-256, the hash behind message ids and content-addressed files."""

import hashlib

DIGEST_SIZE = 32


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
