"""The hub's RSA key for the fediverse, kept beside its Ed25519 node key.

ActivityPub servers (Mastodon first) check HTTP signatures made with RSA keys
(draft-cavage, rsa-sha256), which the node's Ed25519 key cannot make. So the hub has
a second key, `activitypub.key` in the data directory: made the first time the node
opens, readable by the node's user alone (0600), and copied by `hubnet backup` with
every other file there (node/backup.py), so a restored hub keeps its followers.

The file is read when the key is first used (to sign a delivery or a fetch, or to
show the actor), not when the node starts: reading it needs `cryptography`, whose own
OpenSSL is 9 MB of memory that a hub nobody on the fediverse follows never uses. At
start the node only makes sure the file is there and looks like a key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from node.errors import NodeError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "activitypub.key"
# What to do about a key file that is not a key, said with every such error.
_MEND = (
    "restore it from a backup, or remove it to have a new key made "
    "(fediverse followers would then have to follow the hub again)"
)
KEY_BITS = 2048
_PEM_BEGIN = b"-----BEGIN PRIVATE KEY-----"


class ActorKey:
    """The hub's RSA key, read from its file on first use and then kept."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / KEY_FILE
        self._key: rsa.RSAPrivateKey | None = None
        self._pem: str | None = None
        data = _read(self._path)
        if data is None:
            self._key = _create(self._path)
        elif not data.lstrip().startswith(_PEM_BEGIN):
            raise NodeError(f"{self._path} does not hold a PEM private key: {_MEND}")

    def private(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            self._key = load_or_create_key(self._path.parent)
        return self._key

    def public_pem(self) -> str:
        if self._pem is None:
            self._pem = public_pem(self.private())
        return self._pem


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise NodeError(f"cannot read {path}: {exc.strerror}") from exc


def load_or_create_key(data_dir: Path) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = data_dir / KEY_FILE
    data = _read(path)
    if data is None:
        return _create(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise NodeError(f"{path} does not hold a PEM private key: {_MEND}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NodeError(f"{path} holds a key that is not RSA: {_MEND}")
    return key


def _create(path: Path) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

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
    from cryptography.hazmat.primitives import serialization

    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
