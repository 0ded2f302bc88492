"""Small helpers for reading forms and paths, shared by the pages that take input."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web


def text(form: Mapping[str, object], name: str) -> str:
    """A text field's value, or "" if it is missing or not text (a file, say)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def texts(form: Mapping[str, object], names: tuple[str, ...]) -> dict[str, str]:
    """Several fields at once, to show a refused form back as it was filled in."""
    return {name: text(form, name) for name in names}


def path_number(request: web.Request, key: str) -> int:
    """A numeric id from the path; 404 for anything else."""
    value = request.match_info[key]
    if not value.isdigit() or len(value) > 12:
        raise web.HTTPNotFound()
    return int(value)
