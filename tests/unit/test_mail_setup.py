"""Email settings saved from the browser (node/mail_setup.py): the password is never in
the database's plain text, nor in a backup's database, and a restored node still sends
with it (its key, mail.key, travels in the backup with the node's own key)."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from node import config as settings
from node.accounts.permissions import OPERATOR
from node.backup import create_backup, restore_backup
from node.node import Node
from node.setup import init_data_dir

SECRET = "mail-password-canary-4417"


async def _save(hub: Path) -> None:
    node = await Node.open(settings.load(hub))
    try:
        await node.mail_setup.save(
            OPERATOR,
            host="smtp.example.org",
            port="587",
            security="starttls",
            username="hub@example.org",
            password=SECRET,
            sender="hub@example.org",
        )
        assert node.notices.mail is not None and node.notices.mail.password == SECRET
        form = await node.mail_setup.form()
        assert form.has_password and form.source == "browser" and SECRET not in repr(form)
    finally:
        await node.close()


async def _loaded(hub: Path) -> tuple[str, str] | None:
    node = await Node.open(settings.load(hub))
    try:
        mail = node.notices.mail
        return (mail.host, mail.password) if mail else None
    finally:
        await node.close()


def test_the_mail_password_is_kept_encrypted_and_restored_with_the_backup(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    asyncio.run(init_data_dir(hub, "Riverside", "http://127.0.0.1:8080"))
    asyncio.run(_save(hub))
    assert (hub / "mail.key").stat().st_mode & 0o777 == 0o600
    for name in ("hubnet.db", "hubnet.db-wal"):
        if (hub / name).exists():
            assert SECRET.encode() not in (hub / name).read_bytes(), name
    create_backup(hub, tmp_path / "hub.tar.gz")
    assert SECRET.encode() not in gzip.decompress((tmp_path / "hub.tar.gz").read_bytes())
    restore_backup(tmp_path / "hub.tar.gz", tmp_path / "new")
    # Applied at start, without the config file naming any mail server.
    assert asyncio.run(_loaded(tmp_path / "new")) == ("smtp.example.org", SECRET)
    # Without its key the password is gone, not wrong: the organiser types it again.
    (tmp_path / "new" / "mail.key").unlink()
    assert asyncio.run(_loaded(tmp_path / "new")) == ("smtp.example.org", "")
    assert not (tmp_path / "new" / "mail.key").exists()
