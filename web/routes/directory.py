"""Service signposting: the directory of local services, this hub's and shared ones."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.directory import CATEGORIES, entry_from_form
from web import forms
from web.flash import done
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route

_FIELDS = ("name", "category", "area", "hours", "contact", "description", "url")


async def directory(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    category = request.query.get("category") or None
    if category not in CATEGORIES:
        category = None
    entries = await node.community.directory.entries(category)
    return render(
        request,
        "directory.html",
        {"entries": entries, "categories": CATEGORIES, "category": category or ""},
    )


def _form_page(
    request: web.Request,
    values: dict[str, str],
    action: str,
    errors: list[str] | None = None,
    shared: bool = False,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "directory_form.html",
        {
            "form": values,
            "categories": CATEGORIES,
            "action": action,
            "shared": shared,
            "errors": errors or [],
        },
        status=status,
    )


async def _refused_form(request: web.Request, *, errors: list[str], status: int) -> web.Response:
    """The entry's form as filled in, posting back where it came from, with why not."""
    form = await request.post()
    values = forms.texts(form, _FIELDS)
    shared = form.get("share") == "yes"
    return _form_page(request, values, request.path, errors, shared=shared, status=status)


async def new_form(request: web.Request) -> web.Response:
    # Every field, empty: the template reads each (templates are strict about names).
    return _form_page(request, dict.fromkeys(_FIELDS, ""), "/directory/new")


@forms.refusals_on(_refused_form)
async def create(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    body = entry_from_form(forms.texts(form, _FIELDS))
    await node.community.directory.add(body, share=form.get("share") == "yes", by=request[MEMBER])
    raise done(request, "/directory", _("%(name)s is in the directory.") % {"name": body.name})


async def edit_form(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    entry_id = forms.number(request.match_info["entry_id"])
    entry = await node.community.directory.get_local(entry_id)
    if entry is None:
        raise web.HTTPNotFound()
    values = {f: getattr(entry, f) or "" for f in _FIELDS}
    return _form_page(request, values, f"/directory/{entry_id}/edit", shared=entry.shared)


@forms.refusals_on(_refused_form)
async def edit(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    entry_id = forms.number(request.match_info["entry_id"])
    form = await request.post()
    body = entry_from_form(forms.texts(form, _FIELDS))
    await node.community.directory.edit(
        entry_id, body, share=form.get("share") == "yes", by=request[MEMBER]
    )
    raise done(request, "/directory", _("%(name)s is updated.") % {"name": body.name})


async def remove(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await node.community.directory.remove(
        forms.number(request.match_info["entry_id"]), by=request[MEMBER]
    )
    raise done(request, "/directory", _("The entry is removed."))


ROUTES = [
    Route("GET", "/directory", directory, None),
    Route("GET", "/directory/new", new_form, Permission.PUBLISH_FOR_HUB),
    Route("POST", "/directory/new", create, Permission.PUBLISH_FOR_HUB),
    Route("GET", "/directory/{entry_id}/edit", edit_form, Permission.PUBLISH_FOR_HUB),
    Route("POST", "/directory/{entry_id}/edit", edit, Permission.PUBLISH_FOR_HUB),
    Route("POST", "/directory/{entry_id}/remove", remove, Permission.PUBLISH_FOR_HUB),
]
