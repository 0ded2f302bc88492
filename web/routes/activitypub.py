"""The hub on the fediverse: WebFinger, NodeInfo, the actor, its inbox and outbox for
other servers (registered by `setup`, outside the members' pages and their form
tokens), and the organisers' page of followers and blocks (ROUTES).

The actor is the hub's public page: `/` answers JSON to `Accept:
application/activity+json` (web/routes/public.py asks `wants_activity_json`).
With the `activitypub` setting off, every machine route here answers 404.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from markupsafe import Markup

from node.accounts.permissions import Permission
from node.activitypub.documents import ACTIVITY_JSON, with_context
from node.activitypub.inbox import MAX_BODY_BYTES
from node.appkeys import NODE
from web.flash import done
from web.forms import refusals_on, text
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render, when
from web.routes import Route

PAGE = "/organise/fediverse"
# Exempt from the members' session and form-token checks (web/security.py).
MACHINE_PREFIX = "/ap/"


def wants_activity_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/activity+json" in accept or "application/ld+json" in accept


def _json(document: dict[str, Any], content_type: str = ACTIVITY_JSON) -> web.Response:
    return web.Response(
        body=json.dumps(document, ensure_ascii=False).encode(),
        content_type=content_type,
        headers={"Access-Control-Allow-Origin": "*"},
    )


def _enabled(request: web.Request) -> Any:
    node = request.config_dict[NODE]
    if not node.activitypub.enabled:
        raise web.HTTPNotFound()
    return node


async def actor_document(request: web.Request) -> web.Response:
    """The hub's actor (for `/` when JSON is asked for)."""
    node = _enabled(request)
    profile = (await node.hubs()).get(node.node_id)
    return _json(node.activitypub.actor(profile.description if profile else None))


async def webfinger(request: web.Request) -> web.Response:
    node = _enabled(request)
    found = node.activitypub.webfinger(request.query.get("resource", "")[:500])
    if found is None:
        raise web.HTTPNotFound()
    return _json(found, "application/jrd+json")


async def nodeinfo_links(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    from node.activitypub.documents import nodeinfo_links as links

    return web.json_response(links(node.config.url.rstrip("/")))


async def nodeinfo(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    document = await node.activitypub.nodeinfo()
    document["protocols"] = ["activitypub"] if node.activitypub.enabled else []
    return _json(
        document,
        "application/json",
    )


async def inbox(request: web.Request) -> web.Response:
    node = _enabled(request)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return web.json_response({"error": "too large"}, status=413)
    body = await request.content.read(MAX_BODY_BYTES + 1)
    answer = await node.activitypub.receive(request.path, dict(request.headers), body)
    return web.json_response({"status": answer.reason}, status=answer.status)


async def outbox(request: web.Request) -> web.Response:
    node = _enabled(request)
    return _json(await node.activitypub.outbox(request.query.get("page")))


async def followers(request: web.Request) -> web.Response:
    node = _enabled(request)
    return _json(await node.activitypub.followers_collection())


async def published_object(request: web.Request) -> web.StreamResponse:
    node = _enabled(request)
    found = await node.activitypub.object(request.match_info["message"])
    if found.deleted:
        return _json(
            with_context({"id": request.url.human_repr(), "type": "Tombstone"}), ACTIVITY_JSON
        )
    if not wants_activity_json(request) and "url" in found.document:
        raise web.HTTPSeeOther(found.document["url"])
    return _json(with_context(found.document))


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_get("/.well-known/nodeinfo", nodeinfo_links)
    app.router.add_get("/nodeinfo/2.1", nodeinfo)
    app.router.add_post("/ap/inbox", inbox)
    app.router.add_get("/ap/outbox", outbox)
    app.router.add_get("/ap/followers", followers)
    app.router.add_get("/ap/objects/{message}", published_object)


# -- the organisers' page ---------------------------------------------------------------


async def _page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    member = request[MEMBER]
    hub = node.activitypub.hub()
    context = {
        "enabled": node.activitypub.enabled,
        "handle": f"@{hub.handle}@{hub.host}",
        "followers": [
            {"actor": f.actor, "host": f.host, "since": when(f.followed_at)}
            for f in await node.activitypub.followers(member)
        ],
        "blocks": [
            {"target": t, "since": when(at)} for t, at in await node.activitypub.blocks(member)
        ],
        "form": {"target": text(await request.post(), "target") or ""}
        if request.method == "POST"
        else {"target": ""},
        "errors": errors or [],
    }
    return render(request, "fediverse.html", context, status=status)


async def page(request: web.Request) -> web.Response:
    return await _page(request)


@refusals_on(_page)
async def remove_follower(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    actor = text(await request.post(), "actor") or ""
    await node.activitypub.remove_follower(request[MEMBER], actor)
    raise done(request, PAGE, _("Follower removed: they get nothing more from the hub."))


@refusals_on(_page)
async def block(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    target = await node.activitypub.block(
        request[MEMBER], text(await request.post(), "target") or ""
    )
    raise done(
        request,
        PAGE,
        _("Blocked %(target)s: it gets nothing from the hub, and is not heard.")
        % {"target": target},
    )


@refusals_on(_page)
async def unblock(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    target = text(await request.post(), "target") or ""
    await node.activitypub.unblock(request[MEMBER], target)
    raise done(request, PAGE, _("Unblocked %(target)s.") % {"target": target})


def _back(request: web.Request, form: Any) -> str:
    back = text(form, "back") or "/"
    return back if back.startswith("/") and not back.startswith("//") else "/"


async def hide_reply(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    await node.activitypub.hide_reply(request[MEMBER], text(form, "reply") or "")
    raise done(request, _back(request, form), _("Reply hidden."))


async def block_sender(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    instance = text(form, "whole") == "instance"
    target = await node.activitypub.block_sender(
        request[MEMBER], text(form, "reply") or "", instance=instance
    )
    raise done(
        request,
        _back(request, form),
        _("Blocked %(target)s; its replies are gone.") % {"target": target},
    )


ROUTES = [
    Route("GET", PAGE, page, Permission.MANAGE_PEERS),
    Route("POST", f"{PAGE}/remove", remove_follower, Permission.MANAGE_PEERS),
    Route("POST", f"{PAGE}/block", block, Permission.MANAGE_PEERS),
    Route("POST", f"{PAGE}/unblock", unblock, Permission.MANAGE_PEERS),
    Route("POST", "/fediverse/replies/hide", hide_reply, Permission.MODERATE),
    Route("POST", "/fediverse/replies/block", block_sender, Permission.MODERATE),
]


async def replies_context(request: web.Request, message: bytes) -> dict[str, Any] | None:
    """What a member sees under one of the hub's objects from the fediverse, cleaned
    when it arrived (node/activitypub/inbox.py); None for visitors."""
    member = request.get(MEMBER)
    if member is None:
        return None
    import nh3  # on first use, as for markdown (node/markdown.py)

    node = request.config_dict[NODE]
    counts = await node.activitypub.reactions(message)
    return {
        "replies": [
            {
                "id": r.id,
                "author": r.author,
                # Cleaned by nh3 when it arrived, and again here as all remote text is.
                "html": Markup(nh3.clean(r.content)),
                "when": when(r.received_at),
            }
            for r in await node.activitypub.replies(message)
        ],
        "likes": counts.get("like", 0),
        "boosts": counts.get("boost", 0),
        "moderate": member.can(Permission.MODERATE),
        "back": request.path,
    }
