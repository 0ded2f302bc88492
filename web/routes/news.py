"""The hub's news, written from the browser: organisers publish, edit and withdraw
announcements (node/news.py); every member sees them on the dashboard."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from web.flash import done
from web.forms import ref, refusals_on, text, texts
from web.i18n import _
from web.keys import MEMBER
from web.rendering import markdown, render, when
from web.routes import Route

_FIELDS = ("title", "text")
PAGE = "/organise/news"


async def _news_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    form = texts(await request.post(), _FIELDS) if request.method == "POST" else {}
    items = [
        {
            "id": i.id.hex(),
            "title": i.title,
            "html": markdown(i.text),
            "when": when(i.published_at),
            "edited": when(i.edited_at) if i.edited_at else None,
        }
        for i in await node.news.items(own=True, limit=50)
    ]
    context = {"items": items, "form": form, "errors": errors or []}
    return render(request, "news.html", context, status=status)


async def news_page(request: web.Request) -> web.Response:
    return await _news_page(request)


@refusals_on(_news_page)
async def publish(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    await node.news.publish(request[MEMBER], text(form, "title"), text(form, "text"))
    raise done(request, PAGE, _("Announcement published: members and other hubs will see it."))


async def _edit_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    item = await node.news.item(ref(request.match_info["announcement_id"]))
    if item is None:
        raise web.HTTPNotFound()
    if request.method == "POST":
        form = texts(await request.post(), _FIELDS)
    else:
        form = {"title": item.title or "", "text": item.text}
    context = {"id": item.id.hex(), "form": form, "errors": errors or []}
    return render(request, "news_edit.html", context, status=status)


async def edit_form(request: web.Request) -> web.Response:
    return await _edit_page(request)


@refusals_on(_edit_page)
async def edit(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    target = ref(request.match_info["announcement_id"])
    await node.news.edit(request[MEMBER], target, text(form, "title"), text(form, "text"))
    raise done(request, PAGE, _("Announcement updated."))


@refusals_on(_news_page)
async def withdraw(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await node.news.withdraw(request[MEMBER], ref(request.match_info["announcement_id"]))
    raise done(request, PAGE, _("Announcement withdrawn."))


ROUTES = [
    Route("GET", "/organise/news", news_page, Permission.PUBLISH_NEWS),
    Route("POST", "/organise/news", publish, Permission.PUBLISH_NEWS),
    Route("GET", "/organise/news/{announcement_id}/edit", edit_form, Permission.PUBLISH_NEWS),
    Route("POST", "/organise/news/{announcement_id}/edit", edit, Permission.PUBLISH_NEWS),
    Route("POST", "/organise/news/{announcement_id}/withdraw", withdraw, Permission.PUBLISH_NEWS),
]
