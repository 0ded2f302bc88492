"""Service signposting: the directory of local services, this hub's and shared ones."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.community.directory import CATEGORIES, DirectoryError, entry_from_form
from web import forms
from web.keys import NOTICES
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
        status=400 if errors else 200,
    )


async def new_form(request: web.Request) -> web.Response:
    # Every field, empty: the template reads each (templates are strict about names).
    return _form_page(request, dict.fromkeys(_FIELDS, ""), "/directory/new")


async def create(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    values = {f: forms.text(form, f) for f in _FIELDS}
    try:
        body = entry_from_form(values)
        await node.community.directory.add(body, share=form.get("share") == "yes")
    except DirectoryError as exc:
        return _form_page(request, values, "/directory/new", [str(exc)])
    request[NOTICES].append(f"{body.name} is in the directory.")
    return await directory(request)


async def edit_form(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    entry_id = forms.number(request.match_info["entry_id"])
    entry = await node.community.directory.get_local(entry_id)
    if entry is None:
        raise web.HTTPNotFound()
    values = {f: getattr(entry, f) or "" for f in _FIELDS}
    return _form_page(request, values, f"/directory/{entry_id}/edit", shared=entry.shared)


async def edit(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    entry_id = forms.number(request.match_info["entry_id"])
    form = await request.post()
    values = {f: forms.text(form, f) for f in _FIELDS}
    action = f"/directory/{entry_id}/edit"
    try:
        body = entry_from_form(values)
        await node.community.directory.edit(entry_id, body, share=form.get("share") == "yes")
    except DirectoryError as exc:
        return _form_page(request, values, action, [str(exc)])
    request[NOTICES].append(f"{body.name} is updated.")
    return await directory(request)


async def remove(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    try:
        await node.community.directory.remove(forms.number(request.match_info["entry_id"]))
    except DirectoryError as exc:
        raise web.HTTPNotFound(reason=str(exc)) from exc
    request[NOTICES].append("The entry is removed.")
    return await directory(request)


ROUTES = [
    Route("GET", "/directory", directory, None),
    Route("GET", "/directory/new", new_form, Permission.PUBLISH_FOR_HUB),
    Route("POST", "/directory/new", create, Permission.PUBLISH_FOR_HUB),
    Route("GET", "/directory/{entry_id}/edit", edit_form, Permission.PUBLISH_FOR_HUB),
    Route("POST", "/directory/{entry_id}/edit", edit, Permission.PUBLISH_FOR_HUB),
    Route("POST", "/directory/{entry_id}/remove", remove, Permission.PUBLISH_FOR_HUB),
]
