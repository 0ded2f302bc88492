"""Backups of a running node, and restoring one on another machine.

A backup is one tar.gz file holding a consistent copy of the database (SQLite's
online backup API, which reads one snapshot while the node goes on writing),
every other file under the data directory (the key, the node id after a
rotation, the config, resource files, receipts, and whatever a later version
keeps there: the list is read from the directory, not named here) and a
manifest with every file's SHA-256. Members' personal data is sealed in the
database (node/store/sealing.py), and the key file that opens it is left out
unless asked for (`with_key`): a backup and its key are kept apart. Restoring
checks all of that before it puts anything in place, and leaves the node
"recovering" (node/recovery.py) so it cannot reuse a seq it published after the
backup was taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node import config as settings
from node import recovery
from node.activitypub.keys import KEY_FILE as ACTIVITYPUB_KEY_FILE
from node.atrest import key_file_path
from node.clock import Clock, system_clock
from node.errors import NodeError
from node.identity import KEY_FILE, load_identity
from node.progress import Progress
from node.store.database import Database
from node.store.offline import own_head, snapshot_database

MANIFEST = "backup.json"
FORMAT = 1
_CONFIG_PART = settings.CONFIG_FILE + ".part"
# Left out of the walk of the data directory: the database and its WAL and shared
# memory, which the online backup's snapshot covers, and files being written (the
# node writes to a *.part name and renames, so one holds no finished file; restore
# stages config.toml under that name).
_DATABASE_OWN = {
    settings.DATABASE_FILE,
    settings.DATABASE_FILE + "-wal",
    settings.DATABASE_FILE + "-shm",
}
_PARTIAL = ".part"


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    node_id: str
    own_seq: int
    messages: int
    files: int
    size: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create_backup(
    data_dir: Path, out: Path, clock: Clock = system_clock, with_key: bool = False
) -> BackupSummary:
    config = settings.load(data_dir)
    _, node_id = load_identity(data_dir)
    if out.exists():
        raise NodeError(f"{out} already exists; choose a new name for the backup")
    if not out.parent.is_dir():
        raise NodeError(f"{out.parent} is not a directory")
    with tempfile.TemporaryDirectory(prefix=".hubnet-backup-", dir=out.parent) as tmp_name:
        tmp = Path(tmp_name)
        entries: dict[str, dict[str, Any]] = {}
        with Progress("backup: database", 1, "snapshots") as progress:
            messages, version = snapshot_database(
                config.database_path, tmp / settings.DATABASE_FILE
            )
            progress.update()
        own_seq = own_head(tmp / settings.DATABASE_FILE, node_id)
        skip = {tmp, out.with_name(out.name + ".part"), out}
        if not with_key:
            skip.add(key_file_path(config))
        kept = _kept_files(data_dir, skip=skip)
        with Progress("backup: files", len(kept), "files") as progress:
            for rel in kept:
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                # A file the node removed since the walk (an old key, say) is not kept.
                with contextlib.suppress(FileNotFoundError):
                    shutil.copy2(data_dir / rel, tmp / rel)
                progress.update()
        for path in sorted(tmp.rglob("*")):
            if path.is_file():
                rel = path.relative_to(tmp).as_posix()
                entries[rel] = {"sha256": _sha256_file(path), "size": path.stat().st_size}
        manifest = {
            "format": FORMAT,
            "node_id": node_id,
            "schema_version": version,
            "created_at": clock(),
            "own_seq": own_seq,
            "messages": messages,
            "files": entries,
        }
        partial = out.with_name(out.name + ".part")
        # The backup holds the private key: readable by its owner only, from creation.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
            with Progress("backup: writing archive", len(entries), "files") as progress:
                for rel in sorted(entries):
                    tar.add(tmp / rel, arcname=rel, recursive=False)
                    progress.update()
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(out)
    files = len(entries) - 1  # every file but the database
    return BackupSummary(out, node_id, own_seq, messages, files, out.stat().st_size)


def _kept_files(data_dir: Path, skip: set[Path]) -> list[str]:
    """Every regular file the node keeps under `data_dir`, as relative POSIX paths.

    Symbolic links are not followed (a backup holds the node's own files); `skip`
    names the backup's own work files when it is written inside the data directory.
    """
    skip = {p.resolve() for p in skip}
    kept = []
    for root, dirs, names in os.walk(data_dir):
        here = Path(root)
        real = here.resolve()
        dirs[:] = sorted(d for d in dirs if real / d not in skip)
        for name in sorted(names):
            path = here / name
            rel = path.relative_to(data_dir).as_posix()
            if rel in _DATABASE_OWN or name.endswith(_PARTIAL) or real / name in skip:
                continue
            if path.is_file() and not path.is_symlink():
                kept.append(rel)
    return kept


def _check_member(member: tarfile.TarInfo) -> None:
    """A backup holds files and folders inside the data directory, nothing else."""
    parts = member.name.split("/")
    allowed = (
        not member.name.startswith("/")
        and all(part not in ("", ".", "..") for part in parts)
        and member.name not in _DATABASE_OWN - {settings.DATABASE_FILE}
        and not member.name.endswith(_PARTIAL)
    )
    if not allowed or not (member.isfile() or member.isdir()):
        raise NodeError(f"the backup holds {member.name!r}, which no hubnet backup holds")


def restore_backup(backup: Path, data_dir: Path, clock: Clock = system_clock) -> dict[str, Any]:
    """Unpack and check `backup` into `data_dir`, which must not hold a node yet."""
    if (data_dir / settings.CONFIG_FILE).exists() or (data_dir / KEY_FILE).exists():
        raise NodeError(
            f"{data_dir} already holds a node; restore into a new directory (never over a node)"
        )
    if data_dir.exists() and any(data_dir.iterdir()):
        raise NodeError(f"{data_dir} is not empty; restore into a new or empty directory")
    # Unpack in place (the node's user may not write to the parent, e.g. /var/lib):
    # config.toml, written last by a successful restore, marks a complete node.
    created = not data_dir.exists()
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        manifest = _unpack(backup, data_dir)
        asyncio.run(_mark_recovering(data_dir, clock))
        (data_dir / KEY_FILE).chmod(0o600)
        for secret in (ACTIVITYPUB_KEY_FILE,):
            if (data_dir / secret).exists():
                (data_dir / secret).chmod(0o600)
        data_dir.chmod(0o700)
        (data_dir / _CONFIG_PART).replace(data_dir / settings.CONFIG_FILE)
    except BaseException:
        if created:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            for child in data_dir.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    return manifest


def _unpack(backup: Path, staging: Path) -> dict[str, Any]:
    try:
        # Opened here to tell "missing" from "not a tar" apart; closed by the `with` below.
        tar = tarfile.open(backup, mode="r:gz")  # noqa: SIM115
    except FileNotFoundError as exc:
        raise NodeError(f"backup {backup} does not exist") from exc
    except (tarfile.TarError, OSError) as exc:
        raise NodeError(f"{backup} is not a hubnet backup ({exc})") from exc
    with tar:
        try:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            manifest_file = tar.extractfile(MANIFEST)
            if manifest_file is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(manifest_file.read())
        except KeyError as exc:
            raise NodeError(f"{backup} has no {MANIFEST}: not a hubnet backup") from exc
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise NodeError(f"{backup} is damaged ({exc})") from exc
        if manifest.get("format") != FORMAT:
            raise NodeError(f"{backup} is in backup format {manifest.get('format')}, not {FORMAT}")
        files = [m for m in members if m.isfile() and m.name != MANIFEST]
        with Progress("restore: unpacking", len(files), "files") as progress:
            for member in files:
                if member.name == settings.CONFIG_FILE:
                    # Put in place last (restore_backup): config.toml marks a complete node.
                    member.name = _CONFIG_PART
                try:
                    tar.extract(member, staging, filter="data")
                except (tarfile.TarError, OSError, EOFError) as exc:
                    raise NodeError(f"{backup} is damaged ({exc})") from exc
                progress.update()
    expected: dict[str, dict[str, Any]] = manifest.get("files", {})
    present = {settings.CONFIG_FILE if m.name == _CONFIG_PART else m.name for m in files}
    if present != set(expected):
        raise NodeError(f"{backup} does not hold the files its manifest lists")
    for rel, entry in expected.items():
        on_disk = _CONFIG_PART if rel == settings.CONFIG_FILE else rel
        if _sha256_file(staging / on_disk) != entry.get("sha256"):
            raise NodeError(f"{rel} in {backup} does not match its checksum; the backup is damaged")
    for needed in (settings.CONFIG_FILE, KEY_FILE, settings.DATABASE_FILE):
        if needed not in expected:
            raise NodeError(f"{backup} has no {needed}")
    return manifest


async def _mark_recovering(staging: Path, clock: Clock) -> None:
    # Database.open checks integrity and migrates a backup from an older hubnet.
    db = await Database.open(staging / settings.DATABASE_FILE)
    try:
        await recovery.set_recovering(db, "restored from a backup", clock)
    finally:
        await db.close()
