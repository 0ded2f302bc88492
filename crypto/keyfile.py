"""Key files: an Ed25519 private key as PKCS#8 PEM, readable only by its owner.

PEM keeps the file readable by standard tools (`openssl pkey -in node.key -noout
-text`); the file is created with mode 0600 atomically, never widened afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.ed25519 import SigningKey
from crypto.errors import KeyFileError


def save_key(key: SigningKey, path: Path) -> None:
    """Write `key` to a new file at `path` (0600). Refuses to overwrite a key."""
    pem = Ed25519PrivateKey.from_private_bytes(key.seed).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_secret_file(path, pem, "refusing to overwrite a key")


def write_secret_file(path: Path, data: bytes, if_exists: str) -> None:
    """Write `data` to a new file at `path`, readable by its owner only (0600 from the
    start, never wider for a moment), on disk before this returns. A file already there
    is never replaced: KeyFileError, its sentence ending with `if_exists`."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; {if_exists}") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot create key file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def load_key(path: Path) -> SigningKey:
    """Read a key written by save_key, with a clear error for each way it can fail."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"key file {path} is missing") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"key file {path} is corrupt or not a PEM private key") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} does not hold an Ed25519 key")
    return SigningKey(private.private_bytes_raw())
