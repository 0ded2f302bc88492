"""Receipt files for ledger entries: what is accepted (pure) and where it is kept.

A receipt must be a PDF, JPEG, PNG or WebP file of at most 5 MiB. Its type is
read from its content, and the name and type the browser gave must agree with
it: a PNG named receipt.pdf, or a web page labelled image/png, is refused.
Files are kept under their SHA-256 in `receipts/` in the data directory, never
among the files shared with other hubs, and served only to members, as
downloads, with their checked type and a sandboxing content policy.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from node.funds.errors import FundsError

MAX_RECEIPT_BYTES = 5 * 1024 * 1024
RECEIPTS_DIR = "receipts"

# media type → (file name endings that may carry it, the ending used to serve it)
TYPES = {
    "application/pdf": ((".pdf",), ".pdf"),
    "image/jpeg": ((".jpg", ".jpeg"), ".jpg"),
    "image/png": ((".png",), ".png"),
    "image/webp": ((".webp",), ".webp"),
}
# Labels some browsers use for the same types.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
}
_UNLABELLED = ("", "application/octet-stream")


@dataclass(frozen=True, slots=True)
class Receipt:
    data: bytes
    media_type: str
    digest: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return TYPES[self.media_type][1]


def sniff(data: bytes) -> str | None:
    """The media type `data` really is, judged by its structure, or None."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in data[-4096:]:
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "image/png"
    if (
        data.startswith(b"RIFF")
        and data[8:12] == b"WEBP"
        and int.from_bytes(data[4:8], "little") + 8 == len(data)
    ):
        return "image/webp"
    return None


def check_receipt(data: bytes, filename: str, declared_type: str) -> Receipt:
    """The receipt if it is acceptable; FundsError saying what is wrong otherwise."""
    if not data:
        raise FundsError("The receipt file is empty.")
    if len(data) > MAX_RECEIPT_BYTES:
        raise FundsError(
            "The receipt is %(size)s MiB; the most this hub keeps is %(most)s MiB. Scan it at"
            " a lower resolution.",
            size=f"{len(data) / 1048576:.1f}",
            most=MAX_RECEIPT_BYTES // 1048576,
        )
    actual = sniff(data)
    if actual is None:
        raise FundsError("A receipt must be a PDF, JPEG, PNG or WebP file; this is none of those.")
    label = declared_type.split(";")[0].strip().lower()
    label = _ALIASES.get(label, label)
    if label not in _UNLABELLED and label != actual:
        raise FundsError(
            "The receipt is labelled %(label)s but its content is %(actual)s: it was not accepted.",
            label=label,
            actual=actual,
        )
    endings, _ = TYPES[actual]
    if not filename.lower().endswith(endings):
        raise FundsError(
            "The receipt's name, %(name)s, does not end as a %(actual)s file should"
            " (%(endings)s): it was not accepted.",
            name=repr(filename),
            actual=actual,
            endings=" or ".join(endings),
        )
    return Receipt(data, actual, hashlib.sha256(data).digest())


class ReceiptFiles:
    """Receipts on disk, named by their hash; written whole or not at all."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / RECEIPTS_DIR

    def path(self, digest: bytes) -> Path:
        return self.root / digest.hex()

    def save(self, receipt: Receipt) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self.path(receipt.digest)
        if final.exists():
            return
        tmp = final.with_suffix(".part")
        with tmp.open("wb") as f:
            f.write(receipt.data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(final)
