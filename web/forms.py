"""Reading form fields: text only, trimmed; a file field or a missing one reads as ""."""

from __future__ import annotations

from collections.abc import Mapping


def text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: Mapping[str, object], name: str) -> str | None:
    return text(form, name) or None


def ref(value: str) -> bytes:
    """A message id from the 64 hex digits in a URL; 404 for anything else."""
    from aiohttp import web

    if len(value) != 64:
        raise web.HTTPNotFound()
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise web.HTTPNotFound() from None


def number(value: str) -> int:
    """A record's number from a URL; 404 for anything else."""
    from aiohttp import web

    if not value.isdigit() or len(value) > 12:
        raise web.HTTPNotFound()
    return int(value)
