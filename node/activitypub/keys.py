"""The hub's RSA key for the fediverse, kept beside its Ed25519 node key.

ActivityPub servers (Mastodon first) check HTTP signatures made with RSA keys
(draft-cavage, rsa-sha256), which the node's Ed25519 key cannot make. So the hub has
a second key, `activitypub.key` in the data directory: made the first time the node
opens, readable by the node's user alone (0600), and copied by `hubnet backup` with
every other file there (node/backup.py), so a restored hub keeps its followers.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from node.errors import NodeError

KEY_FILE = "activitypub.key"
KEY_BITS = 2048


def load_or_create_key(data_dir: Path) -> rsa.RSAPrivateKey:
    path = data_dir / KEY_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _create(path)
    except OSError as exc:
        raise NodeError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise NodeError(f"{path} does not hold a PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NodeError(f"{path} holds a key that is not RSA")
    return key


def _create(path: Path) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    staged = path.with_name(path.name + ".part")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    try:
        # Another process (a CLI command) may have made one meanwhile: keep the first.
        os.link(staged, path)
    except FileExistsError:
        staged.unlink()
        return load_or_create_key(path.parent)
    staged.unlink()
    return key


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
