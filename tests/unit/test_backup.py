"""Backup files and what restore refuses (the full scenario with real nodes is in
tests/integration/test_operations.py)."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import tarfile
from datetime import date
from pathlib import Path

import pytest

from node import config as settings
from node.accounts.permissions import OPERATOR, Role
from node.backup import create_backup, restore_backup
from node.errors import NodeError
from node.funds.ledger import Draft, Kind
from node.funds.receipts import check_receipt
from node.node import Node
from node.progress import Progress
from node.setup import init_data_dir
from tests.unit.test_funds_store import _member


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("backup")
    asyncio.run(init_data_dir(root / "hub", "Riverside", "http://127.0.0.1:8080"))
    (root / "hub" / "files").mkdir()
    (root / "hub" / "files" / ("ab" * 32)).write_bytes(b"a leaflet")
    out = root / "hub.tar.gz"
    create_backup(root / "hub", out)
    return out


def rewrite(source: Path, target: Path, change: dict[str, bytes]) -> None:
    """A copy of a backup with some members' bytes replaced (or added)."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        names = []
        for member in old.getmembers():
            data = old.extractfile(member).read()  # type: ignore[union-attr]
            member.size = len(change.get(member.name, data))
            new.addfile(member, io.BytesIO(change.get(member.name, data)))
            names.append(member.name)
        for name in set(change) - set(names):
            info = tarfile.TarInfo(name)
            info.size = len(change[name])
            new.addfile(info, io.BytesIO(change[name]))


def test_backup_is_private_and_lists_every_file(backup: Path) -> None:
    assert backup.stat().st_mode & 0o077 == 0
    with tarfile.open(backup) as tar:
        manifest = json.loads(tar.extractfile("backup.json").read())  # type: ignore[union-attr]
        names = set(tar.getnames())
    assert set(manifest["files"]) == names - {"backup.json"}
    assert {"hubnet.db", "node.key", "config.toml", "files/" + "ab" * 32} <= names
    assert manifest["own_seq"] == 2  # hub.profile, network.found


def test_restore_puts_back_the_resource_files(backup: Path, tmp_path: Path) -> None:
    restore_backup(backup, tmp_path / "new")
    assert (tmp_path / "new" / "files" / ("ab" * 32)).read_bytes() == b"a leaflet"
    assert (tmp_path / "new" / "node.key").stat().st_mode & 0o077 == 0


def test_the_fediverse_key_is_backed_up_and_restored_private(backup: Path, tmp_path: Path) -> None:
    restore_backup(backup, tmp_path / "new")
    with tarfile.open(backup) as tar:
        kept = tar.extractfile("activitypub.key").read()  # type: ignore[union-attr]
    restored = tmp_path / "new" / "activitypub.key"
    assert b"BEGIN PRIVATE KEY" in kept and restored.read_bytes() == kept
    assert restored.stat().st_mode & 0o777 == 0o600


def test_a_damaged_file_is_refused_and_nothing_is_left(backup: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.tar.gz"
    rewrite(backup, damaged, {"config.toml": b"name = 'Evil'\n"})
    with pytest.raises(NodeError, match="does not match its checksum"):
        restore_backup(damaged, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_file_outside_the_node_is_refused(backup: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.tar.gz"
    rewrite(backup, hostile, {"../../etc/cron.d/evil": b"* * * * * root sh\n"})
    target = tmp_path / "empty"
    target.mkdir()
    with pytest.raises(NodeError, match="which no hubnet backup holds"):
        restore_backup(hostile, target)
    assert list(target.iterdir()) == []


def test_restore_never_overwrites_a_node(backup: Path, tmp_path: Path) -> None:
    restore_backup(backup, tmp_path / "hub")
    before = (tmp_path / "hub" / "hubnet.db").read_bytes()
    with pytest.raises(NodeError, match="already holds a node"):
        restore_backup(backup, tmp_path / "hub")
    assert (tmp_path / "hub" / "hubnet.db").read_bytes() == before


def test_backup_refuses_to_overwrite(backup: Path) -> None:
    with pytest.raises(NodeError, match="already exists"):
        create_backup(backup.parent / "hub", backup)


def test_progress_off_a_terminal_prints_plain_lines() -> None:
    out = io.StringIO()
    with Progress("restore: unpacking", 3, "files", stream=out) as progress:
        for _ in range(3):
            progress.update()
    assert out.getvalue().startswith("restore: unpacking: 3/3 files (")
    assert out.getvalue().endswith("/s), done\n")
    assert "\r" not in out.getvalue()


PNG_RECEIPT = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200


async def _hub_with_a_receipt_and_a_library_file(data_dir: Path) -> None:
    await init_data_dir(data_dir, "Riverside", "http://127.0.0.1:8080")
    node = await Node.open(settings.load(data_dir))
    try:
        treasurer = await _member(node.db, "tess", frozenset({Role.TREASURER}))
        receipt = check_receipt(PNG_RECEIPT, "till.png", "image/png")
        await node.funds.record(
            treasurer, Draft(Kind.SPENDING, 1250, date.today(), "Printing", "leaflets"), receipt
        )
        await node.community.library.publish(
            "rights.pdf",
            b"%PDF-1.4\nKnow your rights\n%%EOF\n",
            "Know your rights",
            None,
            [],
            by=OPERATOR,
        )
    finally:
        await node.close()
    # Anything else the node (or a later version of it) keeps in its data directory.
    (data_dir / "later" / "deeper").mkdir(parents=True)
    (data_dir / "later" / "deeper" / "state.bin").write_bytes(b"\x00\x01kept")


def _every_file(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(settings.DATABASE_FILE)
    }


def _every_row(database: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(database)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
    finally:
        conn.close()


def test_a_restored_node_holds_every_file_and_row_byte_for_byte(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    asyncio.run(_hub_with_a_receipt_and_a_library_file(hub))
    assert len(list((hub / "receipts").iterdir())) == 1
    assert len(list((hub / "files").iterdir())) == 1
    create_backup(hub, tmp_path / "hub.tar.gz")
    restore_backup(tmp_path / "hub.tar.gz", tmp_path / "new")
    # All but the key to members' details, which a backup holds only when asked.
    kept = _every_file(hub)
    assert kept.pop("data.key")
    assert _every_file(tmp_path / "new") == kept
    create_backup(hub, tmp_path / "with-key.tar.gz", with_key=True)
    restore_backup(tmp_path / "with-key.tar.gz", tmp_path / "with-key")
    assert _every_file(tmp_path / "with-key") == _every_file(hub)
    restored = _every_row(tmp_path / "new" / settings.DATABASE_FILE)
    # Restore marks the node recovering (node/recovery.py): the one row it adds.
    restored["node_state"] = [r for r in restored["node_state"] if r[0] != "recovering"]
    assert restored == _every_row(hub / settings.DATABASE_FILE)
