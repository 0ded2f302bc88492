"""Key files: an Ed25519 private key as PKCS#8 PEM, readable only by its owner.

PEM keeps the file readable by standard tools (`openssl pkey -in node.key -noout
-text`); the file is created with mode 0600 atomically, never widened afterwards.

`cryptography` writes the file and reads any other shape of key; the shape it
writes is read here, because that library carries its own OpenSSL and a node that
loaded it for this one read at start held 9 MB more for as long as it ran.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from crypto.ed25519 import SigningKey
from crypto.errors import KeyFileError

# RFC 8410's PKCS#8 for an Ed25519 key without its public key (what save_key and
# `openssl genpkey -algorithm ed25519` write): these 16 bytes of DER, then the seed.
_PKCS8_ED25519 = bytes.fromhex("302e020100300506032b657004220420")
_PEM_BEGIN, _PEM_END = b"-----BEGIN PRIVATE KEY-----", b"-----END PRIVATE KEY-----"


def save_key(key: SigningKey, path: Path) -> None:
    """Write `key` to a new file at `path` (0600). Refuses to overwrite a key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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
    seed = _seed_of(data)
    if seed is not None:
        return SigningKey(seed)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"key file {path} is corrupt or not a PEM private key") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} does not hold an Ed25519 key")
    return SigningKey(private.private_bytes_raw())


def _seed_of(data: bytes) -> bytes | None:
    """The seed of a PEM file in exactly the shape save_key writes; None for anything
    else, which the library then reads (or names what is wrong with it)."""
    text = data.strip()
    if not (text.startswith(_PEM_BEGIN) and text.endswith(_PEM_END)):
        return None
    try:
        der = base64.b64decode(text[len(_PEM_BEGIN) : -len(_PEM_END)], validate=False)
    except binascii.Error:
        return None
    if len(der) != len(_PKCS8_ED25519) + 32 or not der.startswith(_PKCS8_ED25519):
        return None
    return der[len(_PKCS8_ED25519) :]
