"""Reading forms and paths: text fields only, trimmed (a file field or a missing one
reads as ""), and ids from URLs that answer 404 for anything malformed."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from node.digits import is_digits


def text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: Mapping[str, object], name: str) -> str | None:
    return text(form, name) or None


def texts(form: Mapping[str, object], names: tuple[str, ...]) -> dict[str, str]:
    """Several fields at once, to show a refused form back as it was filled in."""
    return {name: text(form, name) for name in names}


def ref(value: str) -> bytes:
    """A message id from the 64 hex digits in a URL; 404 for anything else."""
    if len(value) != 64:
        raise web.HTTPNotFound()
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise web.HTTPNotFound() from None


def number(value: str) -> int:
    """A record's number from a URL; 404 for anything else."""
    if not is_digits(value) or len(value) > 12:
        raise web.HTTPNotFound()
    return int(value)


def path_number(request: web.Request, key: str) -> int:
    """A numeric id from the path; 404 for anything else."""
    return number(request.match_info[key])
