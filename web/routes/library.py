"""The resource library: every hub's files, uploads, and downloads with safe headers."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.library import (
    BY_MEDIA_TYPE,
    MAX_UPLOAD_BYTES,
    TYPES,
    UploadRefused,
    file_content_matches,
)
from node.community.speakers import parse_topics
from web import forms
from web.flash import done
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route

UPLOAD_PATH = "/library/upload"
_MIB = MAX_UPLOAD_BYTES // 1048576
# A downloaded file may be opened in the browser: let it run nothing, load nothing.
DOWNLOAD_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


async def library(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    tag = request.query.get("tag") or None
    media_type = request.query.get("type") or None
    items = await node.community.library.items(tag=tag, media_type=media_type)
    return render(
        request,
        "library.html",
        {
            "items": items,
            "tags": await node.community.library.tags(),
            "types": TYPES,
            "tag": tag or "",
            "type": media_type or "",
            "max_mib": MAX_UPLOAD_BYTES // 1048576,
            "upload_path": UPLOAD_PATH,
            "errors": errors or [],
        },
        status=status,
    )


async def library_page(request: web.Request) -> web.Response:
    return await library(request)


async def resource(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    item = await node.community.library.get(forms.ref(request.match_info["resource_id"]))
    if item is None:
        raise web.HTTPNotFound()
    return render(request, "resource.html", {"item": item})


async def download(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    item = await node.community.library.get(forms.ref(request.match_info["resource_id"]))
    if item is None:
        raise web.HTTPNotFound()
    path = node.community.library.file(item)
    if path is None:
        raise web.HTTPNotFound(reason="this hub does not hold the file yet")
    known = BY_MEDIA_TYPE.get(item.media_type)
    # Another hub's file is served as the type it claims only if it is one of ours and
    # its bytes agree; anything else is an opaque download.
    trusted = known is not None and await asyncio.to_thread(
        file_content_matches, known.media_type, path
    )
    inline = trusted and known is not None and known.image
    content_type = item.media_type if trusted else "application/octet-stream"
    disposition = "inline" if inline else "attachment"
    # Sent from disk a piece at a time: many downloads of a large file at once must
    # not each hold it in memory (THREAT_MODEL.md).
    return web.FileResponse(
        path,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(item.name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": DOWNLOAD_CSP,
            "Cache-Control": "public, max-age=31536000, immutable",  # content-addressed
        },
    )


@forms.refusals_on(library)
async def upload(request: web.Request) -> web.StreamResponse:
    """Stream the form: the file may be larger than other forms' limit (web/security.py)."""
    node = request.config_dict[NODE]
    if not request.content_type.startswith("multipart/"):
        raise UploadRefused("Choose a file to upload.")
    fields: dict[str, str] = {}
    name, data = "", b""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            name = part.filename or ""
            data = await _read_capped(part, MAX_UPLOAD_BYTES)
            if len(data) > MAX_UPLOAD_BYTES:
                raise UploadRefused(f"The file is larger than this hub accepts ({_MIB} MiB).")
        elif part.name in ("title", "description", "tags"):
            fields[part.name] = (await part.read(decode=True))[:20_000].decode("utf-8", "replace")
    title = fields.get("title", "").strip()
    if not title:
        raise UploadRefused("Give the file a title.")
    if not name or not data:
        raise UploadRefused("Choose a file to upload.")
    resource_id = await node.community.library.publish(
        name,
        data,
        title,
        fields.get("description", "").strip() or None,
        parse_topics(fields.get("tags", "")),
        by=request[MEMBER],
    )
    raise done(request, f"/library/{resource_id.hex()}", _("Your file is in the library."))


async def _read_capped(part: BodyPartReader, most: int) -> bytes:
    """At most `most` + 1 bytes of the part: one more than allowed means too large."""
    chunks, size = [], 0
    while chunk := await part.read_chunk(256 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > most:
            break
    return b"".join(chunks)


ROUTES = [
    Route("GET", "/library", library_page, None),
    Route("POST", UPLOAD_PATH, upload, Permission.PUBLISH_FOR_HUB),
    Route("GET", "/library/{resource_id}", resource, None),
    Route("GET", "/library/{resource_id}/file", download, None),
]
