"""Reading forms and paths: text fields only, trimmed (a file field or a missing one
reads as ""), and ids from URLs that answer 404 for anything malformed; and showing
a refused form again with the refusal beside its fields."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from aiohttp import web

from node.digits import is_digits
from node.errors import NodeError, NotFound
from web.wording import refusal

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FormPage(Protocol):
    """Renders a form's page again with `errors` shown and the response `status`; it
    reads what was filled in from the request (aiohttp keeps the parsed form)."""

    def __call__(
        self, request: web.Request, /, *, errors: list[str], status: int
    ) -> Awaitable[web.StreamResponse]: ...


class FieldFormPage(Protocol):
    """A FormPage that also marks the field a refusal names (`field`, or None)."""

    def __call__(
        self, request: web.Request, /, *, errors: list[str], status: int, field: str | None
    ) -> Awaitable[web.StreamResponse]: ...


def refusals_on(page: FormPage) -> Callable[[Handler], Handler]:
    """Decorates a form handler: a NodeError it raises that the member can act on is
    shown on `page` beside the fields, with the error's own status (400, 403, 429...).

    Two kinds go on to the error-pages middleware (web/security.py) instead: NotFound,
    as there is nothing to show the form about, and the node's own failures (5xx),
    which no change to the form would mend.
    """

    async def shown(
        request: web.Request, /, *, errors: list[str], status: int, field: str | None
    ) -> web.StreamResponse:
        return await page(request, errors=errors, status=status)

    return refusals_marking_field_on(shown)


def refusals_marking_field_on(page: FieldFormPage) -> Callable[[Handler], Handler]:
    """As refusals_on, for a page that also marks the field the refusal names (an
    error's `field` attribute, if it has one)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except NodeError as exc:
                if isinstance(exc, NotFound) or exc.status >= 500:
                    raise
                # In the reader's language (web/wording.py).
                field = getattr(exc, "field", None)
                return await page(request, errors=[refusal(exc)], status=exc.status, field=field)

        return run

    return decorate


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
