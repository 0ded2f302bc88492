"""Choosing the pages' language: a member's own (their account page), the hub's (the
hub profile page), and a visitor's (the footer's switch, kept in a cookie)."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from web import i18n
from web.cookies import set_cookie
from web.flash import done
from web.forms import text
from web.i18n import _
from web.keys import MEMBER
from web.routes import Route
from web.routes.public import safe_next


async def choose_own(request: web.Request) -> web.StreamResponse:
    code = i18n.known(text(await request.post(), "language"))  # "" or unknown: the hub's
    await request.config_dict[NODE].language.choose_own(code, by=request[MEMBER])
    i18n.use(code or request.config_dict[NODE].language.code)  # the message in it
    raise done(request, "/account", _("Your language is saved."))


async def choose_hubs(request: web.Request) -> web.StreamResponse:
    code = text(await request.post(), "language")
    await request.config_dict[NODE].language.choose(code, by=request[MEMBER])
    raise done(request, "/organise/profile", _("The hub's language is saved."))


async def switch(request: web.Request) -> web.StreamResponse:
    """A visitor's choice: a plain link in the footer, so it needs no script or form."""
    code = i18n.known(request.query.get("to"))
    # Back to the page it was chosen on: a path on this hub only, never an open redirect.
    response = web.HTTPSeeOther(safe_next(request.query.get("back", "")) or "/")
    if code is not None:
        set_cookie(response, request, i18n.COOKIE, code, max_age=365 * 86_400)
    raise response


ROUTES = [
    Route("POST", "/account/language", choose_own, Permission.MEMBER),
    Route("POST", "/organise/profile/language", choose_hubs, Permission.EDIT_HUB_PROFILE),
    Route("GET", "/language", switch, None),
]
