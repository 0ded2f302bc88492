"""The delegate's page: what the network assembly waits for from this hub, soonest first.

Votes to cast, motions to second and sealed votes still to reveal, from
node/network/delegates.py; each links to the motion's page, where the delegate acts.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.assembly import body_words
from node.network.delegates import Waiting
from web.rendering import render, when
from web.routes import Route
from web.wording import words


def _item(w: Waiting) -> dict[str, Any]:
    r = w.checked.result
    return {
        "path": w.path,
        "title": w.motion.title,
        "body": words(body_words(w.motion.body)),
        "hub": w.hub,
        "closes": when(w.motion.closes * 1000),
        "sealed": w.motion.sealed,
        "seconds": r.seconds,
        "seconds_needed": r.seconds_needed,
        "secret_lost": w.secret_lost,
    }


async def delegate_page(request: web.Request) -> web.Response:
    agenda = await request.config_dict[NODE].delegates.agenda()
    return render(
        request,
        "delegate.html",
        {
            "votes": [_item(w) for w in agenda.votes],
            "seconds": [_item(w) for w in agenda.seconds],
            "reveals": [_item(w) for w in agenda.reveals],
            "bodies": [words(body_words(b)) for b in agenda.bodies],
        },
    )


ROUTES = [
    Route("GET", "/network/delegate", delegate_page, Permission.TABLE_MOTIONS),
]
