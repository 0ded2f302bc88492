"""Exchange by USB stick: organisers download a bundle of the hub's news and upload one
brought from another hub (node/bundles.py, PROTOCOL.md §15)."""

from __future__ import annotations

import datetime
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.errors import NodeError
from protocol.bundle import BundleRefused
from web.flash import done
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route

PAGE_PATH = "/organise/exchange"
UPLOAD_PATH = "/organise/exchange/upload"
# The most the bundle_upload_mib setting may allow (node/config.py); the setting is
# checked against each upload as it arrives.
MAX_BUNDLE_BYTES = 1024 * 1024 * 1024


class BundleUploadRefused(NodeError):
    """An upload that is no bundle this hub can read, or is too large."""


async def _page(
    request: web.Request,
    *,
    errors: list[str] | None = None,
    faults: dict[str, str] | None = None,
    since: str = "",
    status: int = 200,
) -> web.Response:
    node = request.config_dict[NODE]
    return render(
        request,
        "exchange.html",
        {
            "errors": errors or [],
            "faults": faults or {},
            "since": since,
            "max_mib": node.config.bundle_upload_mib,
            "upload_path": UPLOAD_PATH,
        },
        status=status,
    )


async def exchange(request: web.Request) -> web.Response:
    return await _page(request)


def _since(text: str) -> int | None:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    start = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
    return int(start.timestamp() * 1000)


async def download(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    text = request.query.get("since", "").strip()
    since = _since(text) if text else 0
    if since is None:
        fault = "Give a date such as 2026-05-01, or leave it empty for everything."
        return await _page(request, faults={"since": fault}, since=text, status=400)
    exported = await node.bundles.export_for(request[MEMBER], since)
    day = datetime.datetime.fromtimestamp(node.clock() / 1000, datetime.UTC)
    name = f"{node.config.name} news {day:%Y-%m-%d}.hubnet"
    return web.Response(
        body=exported.data,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _read_bundle(request: web.Request, most: int) -> bytes:
    if not request.content_type.startswith("multipart/"):
        raise BundleUploadRefused(_("Choose the bundle file to upload."))
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != "bundle":
            continue
        chunks, size = [], 0
        while chunk := await part.read_chunk(256 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > most:
                raise BundleUploadRefused(
                    f"The file is larger than this hub accepts ({most // 1048576} MiB)."
                )
        return b"".join(chunks)
    raise BundleUploadRefused(_("Choose the bundle file to upload."))


async def upload(request: web.Request) -> web.StreamResponse:
    """Streamed, as the library's upload is: a bundle may be larger than a form."""
    node = request.config_dict[NODE]
    most = node.config.bundle_upload_mib * 1024 * 1024
    try:
        if (request.content_length or 0) > most + 64 * 1024:
            raise BundleUploadRefused(
                f"The file is larger than this hub accepts ({node.config.bundle_upload_mib} MiB)."
            )
        data = await _read_bundle(request, most)
        if not data:
            raise BundleUploadRefused(_("Choose the bundle file to upload."))
        result = await node.bundles.read_for(request[MEMBER], data)
    except BundleRefused as exc:
        fault = _("This file was refused and nothing from it was stored: %(why)s.") % {
            "why": exc.message
        }
        return await _page(request, faults={"bundle": fault}, status=400)
    except BundleUploadRefused as exc:
        return await _page(request, faults={"bundle": str(exc)}, status=400)
    summary = result.summary()
    raise done(request, PAGE_PATH, _("Bundle read: %(summary)s.") % {"summary": summary})


ROUTES = [
    Route("GET", PAGE_PATH, exchange, Permission.MANAGE_PEERS),
    Route("GET", "/organise/exchange/bundle", download, Permission.MANAGE_PEERS),
    Route("POST", UPLOAD_PATH, upload, Permission.MANAGE_PEERS, max_body=MAX_BUNDLE_BYTES),
]
