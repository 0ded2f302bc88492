"""The hub's RSA key for the fediverse (node/activitypub/keys.py): made at first start,
read when first used, and a file that is not a key refused at start with what to do."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from node.activitypub.keys import KEY_FILE, ActorKey
from node.errors import NodeError


def test_a_missing_key_is_made_owner_only_and_read_back_the_same(tmp_path: Path) -> None:
    made = ActorKey(tmp_path)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    again = ActorKey(tmp_path)  # a restart: the file is read when first used
    assert again.public_pem() == made.public_pem()
    assert again.public_pem().startswith("-----BEGIN PUBLIC KEY-----")


def test_a_file_that_is_not_a_key_is_refused_at_start_saying_what_to_do(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not a key")
    with pytest.raises(NodeError, match="restore it from a backup, or remove it"):
        ActorKey(tmp_path)
    broken = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    (tmp_path / KEY_FILE).write_text(broken)
    key = ActorKey(tmp_path)  # looks like a key at start; the first use says it is not
    with pytest.raises(NodeError, match="does not hold a PEM private key: restore it"):
        key.private()
