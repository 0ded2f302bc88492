"""The charter page: the version in force, those adopted before, and the form that
adopts a new one. The rules are the governance service's (node/governance/charter.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.node import Node
from web.flash import done
from web.forms import refusals_on
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render, when
from web.routes import Route


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _node(request: web.Request) -> Node:
    return request.config_dict[NODE]


_CHARTER_FIELDS = ("version", "title", "text")


async def charter(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    governance = _node(request).governance
    charter = await governance.charter()
    history = await governance.charter_history()
    posted = await request.post()
    # A refused charter is shown again as it was written.
    form = {k: _field(posted, k) for k in _CHARTER_FIELDS} if errors else None
    return render(
        request,
        "charter.html",
        {
            "charter": charter,
            "adopted": when(charter.adopted_at) if charter.adopted_at else None,
            "history": [
                {"version": c.version, "title": c.title, "when": when(c.adopted_at)}
                for c in history
            ],
            "errors": errors or [],
            "form": form or {"version": "", "title": charter.title, "text": charter.text},
        },
        status=status,
    )


@refusals_on(charter)
async def adopt_charter(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {k: _field(form, k) for k in _CHARTER_FIELDS}
    adopted = await _node(request).governance.adopt_charter(
        values["version"], values["title"], values["text"], by=request[MEMBER]
    )
    raise done(
        request,
        "/charter",
        _("Version %(version)s of the charter is adopted and published.")
        % {"version": adopted.version},
    )


ROUTES = [
    Route("GET", "/charter", charter, None),
    Route("POST", "/charter", adopt_charter, Permission.ADOPT_CHARTER),
]
