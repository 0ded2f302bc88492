"""The resource library: uploads checked for size and content, and every hub's files.

An upload is refused unless its bytes are what its name says: a `.pdf` must
start as a PDF does, a `.png` as a PNG, and so on (magic bytes). Types that a
browser might run (HTML, SVG, scripts, executables) are not accepted at all.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from crypto.digest import sha256
from crypto.nodeid import NodeId
from node.accounts.permissions import Acting, Permission, require
from node.community.hubs import hub_name, hub_names
from node.errors import NodeError, NotAllowed
from node.projections.runner import CaughtUp
from node.resources import ResourceFiles
from node.store.database import Database
from node.store.library import LibraryRow, LibraryStore
from node.store.messages import MessageStore
from node.wording import Term
from protocol.errors import ProtocolError
from protocol.kinds.hub import Resource
from protocol.schema import check_body

# What members may upload through the web UI. The protocol allows up to 50 MiB;
# a hub's small server and its peers' disks are better served by less.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileType:
    media_type: str
    label: str  # a Term: in the reader's language where shown
    extensions: tuple[str, ...]
    image: bool  # shown inline; everything else is downloaded


TYPES: tuple[FileType, ...] = (
    FileType("application/pdf", Term("PDF"), (".pdf",), False),
    FileType("image/png", Term("PNG image"), (".png",), True),
    FileType("image/jpeg", Term("JPEG image"), (".jpg", ".jpeg"), True),
    FileType("image/gif", Term("GIF image"), (".gif",), True),
    FileType("image/webp", Term("WebP image"), (".webp",), True),
    FileType("text/plain", Term("text"), (".txt",), False),
    FileType(
        "application/vnd.oasis.opendocument.text", Term("OpenDocument text"), (".odt",), False
    ),
    FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Term("Word document"),
        (".docx",),
        False,
    ),
)
BY_MEDIA_TYPE = {t.media_type: t for t in TYPES}


class UploadRefused(NodeError):
    """An upload this hub will not take, with the reason to show."""


class UploadNotAllowed(UploadRefused, NotAllowed):
    """A member whose roles do not grant publishing for the hub (permissions.require)."""


def type_for_name(name: str) -> FileType | None:
    lower = name.lower()
    return next((t for t in TYPES if lower.endswith(t.extensions)), None)


def content_matches(media_type: str, data: bytes) -> bool:
    """Whether `data` starts the way files of `media_type` do."""
    if media_type == "application/pdf":
        return data.startswith(b"%PDF-")
    if media_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if media_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if media_type == "image/gif":
        return data[:6] in (b"GIF87a", b"GIF89a")
    if media_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if media_type == "text/plain":
        if b"\x00" in data:
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    if media_type in (
        "application/vnd.oasis.opendocument.text",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ):
        return data.startswith(b"PK\x03\x04")  # both are zip archives
    return False


def file_content_matches(media_type: str, path: Path) -> bool:
    """content_matches for a file on disk, reading it a piece at a time (blocking)."""
    with path.open("rb") as f:
        if media_type != "text/plain":
            return content_matches(media_type, f.read(64))
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while piece := f.read(1 << 16):
                if b"\x00" in piece:
                    return False
                decoder.decode(piece)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
        return True


def check_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> FileType:
    """The file's type, or UploadRefused saying why it cannot be published."""
    if not data:
        raise UploadRefused("The file is empty.")
    if len(data) > max_bytes:
        raise UploadRefused(
            "The file is %(size)s MiB; this hub accepts at most %(most)s MiB.",
            size=f"{len(data) / 1048576:.1f}",
            most=max_bytes // 1048576,
        )
    file_type = type_for_name(name)
    if file_type is None:
        allowed = ", ".join(e for t in TYPES for e in t.extensions)
        raise UploadRefused(
            "Files of that type are not accepted. Allowed: %(allowed)s.", allowed=allowed
        )
    if not content_matches(file_type.media_type, data):
        raise UploadRefused(
            "The file is named as a %(kind)s, but its content is not one.",
            kind=file_type.label,
        )
    return file_type


@dataclass(frozen=True, slots=True)
class LibraryItem:
    id: bytes
    origin: NodeId
    hub: str
    hash: bytes
    name: str
    media_type: str
    size: int
    title: str
    description: str | None
    tags: list[str]
    created_at: int
    held: bool  # whether this node has the file yet
    own: bool

    @property
    def type_label(self) -> str:
        known = BY_MEDIA_TYPE.get(self.media_type)
        return known.label if known else self.media_type


class Library:
    def __init__(
        self,
        db: Database,
        store: LibraryStore,
        messages: MessageStore,
        files: ResourceFiles,
        projections: CaughtUp,
    ) -> None:
        self._db = db  # for hub names
        self._store = store
        self._messages = messages
        self._files = files
        self._projections = projections

    async def publish(
        self,
        name: str,
        data: bytes,
        title: str,
        description: str | None,
        tags: list[str],
        *,
        by: Acting,
    ) -> bytes:
        """Check, store and announce a file; the resource message's id."""
        require(by, Permission.PUBLISH_FOR_HUB, UploadNotAllowed)
        file_type = check_upload(name, data)
        body = Resource(
            hash=sha256(data),
            name=name,
            media_type=file_type.media_type,
            size=len(data),
            title=title,
            description=description,
            tags=tuple(tags),
        )
        try:
            check_body(body)
        except ProtocolError as exc:
            raise UploadRefused(str(exc)) from exc
        await self._files.save(data)  # the file first: a resource message must never dangle
        # Listed (by the message store) and marked held in the message's own transaction.
        message = await self._messages.append(
            "resource", body, then=lambda conn, _: self._files.stored_txn(conn, body.hash)
        )
        await self._projections.caught_up()
        return message.id

    async def items(
        self, tag: str | None = None, media_type: str | None = None, limit: int = 500
    ) -> list[LibraryItem]:
        await self._projections.caught_up()
        return await self._items(await self._store.items(tag, media_type, limit))

    async def get(self, resource_id: bytes) -> LibraryItem | None:
        await self._projections.caught_up()
        row = await self._store.get(resource_id)
        items = await self._items([row] if row else [])
        return items[0] if items else None

    async def tags(self) -> list[str]:
        return await self._store.tags()

    async def _items(self, rows: list[LibraryRow]) -> list[LibraryItem]:
        names = await hub_names(self._db)
        me = self._messages.node_id
        return [
            LibraryItem(
                r.id,
                NodeId(r.origin),
                hub_name(names, r.origin),
                r.hash,
                r.name,
                r.media_type,
                r.size,
                r.title,
                r.description,
                r.tags,
                r.created_at,
                r.stored and self._files.has(r.hash),
                r.origin == me,
            )
            for r in rows
        ]

    def file(self, item: LibraryItem) -> Path | None:
        """Where the item's file is, or None if this hub does not hold it yet.

        The hash was checked once, when the file was stored (node/resources.py): a
        download is served from disk as it is, never read whole or hashed again.
        """
        return self._files.path(item.hash) if self._files.has(item.hash) else None
