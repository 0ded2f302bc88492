"""Pages anyone may see: the hub's public page, joining, logging in and out, reset links."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from node.accounts.charter import PRIVACY_TEXT, PRIVACY_VERSION
from node.accounts.members import EmailTaken
from node.accounts.permissions import ELECTED_ROLES, ROLE_TITLES, Role
from node.appkeys import NODE
from node.errors import RateLimited
from node.governance.records import Charter
from node.store.sealing import MembersDataLocked
from protocol.visibility import visible_to
from web import i18n
from web.client_address import client_key
from web.cookies import cookie_name, sent, set_cookie
from web.flash import done
from web.forms import refusals_on
from web.i18n import N_, _
from web.join_guard import PER_ADDRESS as JOIN_PER_ADDRESS
from web.kept_pages import kept_page, page_state
from web.keys import JOIN_GUARD, LOGIN_GUARD, MEMBER, SESSION_TOKEN
from web.rendering import describe_date, render, when
from web.routes import Route
from web.routes.activitypub import actor_document, wants_activity_json


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


class PublicPage:
    """What the public page shows, made again only once something it shows may have
    changed: a write to the database (by this node or a CLI command beside it), the
    hubs in the network, or the minute.

    Everyone's first page, and the same for every visitor, so a busy node does not
    ask SQLite the same questions for each of them.
    """

    def __init__(self) -> None:
        self._context: dict[str, Any] | None = None
        self._made_for: tuple[object, ...] | None = None
        # One visitor rebuilds an old page; the others arriving meanwhile wait for
        # that rebuild instead of each asking SQLite the same questions again.
        self._rebuilding = asyncio.Lock()

    def forget(self) -> None:
        """Made again on the next view: the hub's own news just changed."""
        self._context = None

    def _fresh(self, state: tuple[object, ...] | None) -> dict[str, Any] | None:
        if self._context is not None and state is not None and state == self._made_for:
            return self._context
        return None

    async def context(self, request: web.Request) -> dict[str, Any]:
        node = request.config_dict[NODE]
        state = page_state(request)
        fresh = self._fresh(state)
        if fresh is not None:
            return fresh
        async with self._rebuilding:
            fresh = self._fresh(state)
            if fresh is not None:
                return fresh
            now = node.clock()
            profile = (await node.hubs()).get(node.node_id)
            own = await node.news.items(own=True, limit=10)
            counts = await node.members.counts()
            # Counting a closed election needs the ballot box's key: it waits for the unlock.
            with contextlib.suppress(MembersDataLocked):
                await node.governance.tick()
            holders = await node.governance.holders()
            held = {h.role: h for h in holders}
            # Which roles are filled and until when, and how many founders steer for now:
            # never names, which stay for members' eyes (the Roles page).
            self._context = {
                "interim_count": sum(1 for h in holders if h.role == Role.INTERIM),
                "roles": [
                    {
                        "title": ROLE_TITLES[r],
                        "until": describe_date(held[r].ends_at or 0) if r in held else None,
                    }
                    for r in ELECTED_ROLES
                ],
                "profile": profile,
                "news": [
                    {"title": i.title, "text": i.text, "when": when(i.published_at)} for i in own
                ],
                "active_members": counts.get("active", 0),
                "events": await node.events.calendar.for_feed(
                    now // 1000, visible_to("visitor"), origin=node.node_id, limit=5
                ),
            }
            # The state read before it was made: a write meanwhile makes it again.
            self._made_for = state
            return self._context


PUBLIC_PAGE = web.AppKey("public_page", PublicPage)


async def home(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    # The public page is the hub's ActivityPub actor: servers asking for JSON get it.
    # Decided before the kept page, which knows nothing of Accept.
    if node.activitypub.enabled and wants_activity_json(request):
        return await actor_document(request)
    response = await _public_page(request)
    response.headers["Vary"] = "Accept"
    return response


@kept_page
async def _public_page(request: web.Request) -> web.Response:
    return render(request, "public.html", await request.config_dict[PUBLIC_PAGE].context(request))


def _join_context(
    form: dict[str, str], errors: list[str], charter: Charter, email_confirms: bool
) -> dict[str, Any]:
    return {
        # Without email an application cannot be confirmed: the form says what limits it.
        "email_confirms": email_confirms,
        "join_limit": JOIN_PER_ADDRESS,
        "form": form,
        "errors": errors,
        "charter_title": charter.title,
        "charter_text": charter.text,
        "charter_version": charter.version,
        "privacy_text": PRIVACY_TEXT,
        "privacy_version": PRIVACY_VERSION,
    }


_EMPTY_JOIN = {"name": "", "email": "", "phone": "", "statement": ""}


async def _join_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    """The form to join, as filled in (empty when first shown), with `errors`."""
    node = request.config_dict[NODE]
    form = await request.post()
    values = {k: _field(form, k) for k in _EMPTY_JOIN}
    charter = await node.governance.charter()
    context = _join_context(values, errors or [], charter, node.confirmations.enabled)
    return render(request, "join.html", context, status=status)


async def join_form(request: web.Request) -> web.Response:
    return await _join_page(request)


@refusals_on(_join_page)
async def join(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    form = await request.post()
    values = {k: _field(form, k) for k in _EMPTY_JOIN}
    charter = await node.governance.charter()
    confirms = node.confirmations.enabled
    guard, address = request.config_dict[JOIN_GUARD], client_key(request)
    if not guard.may_apply(address, node.clock()):
        raise RateLimited(
            "Too many applications have come from your address. Try again in an hour."
        )
    guard.applied(address, node.clock())
    try:
        application = await node.members.check_application(
            name=values["name"],
            email=values["email"],
            phone=values["phone"],
            statement=values["statement"],
            password=_field(form, "password"),
            signed_charter=_field(form, "sign_charter") == "yes",
            accepted_privacy=_field(form, "accept_privacy") == "yes",
            charter_version=charter.version,
        )
        # A visitor who chose a language for the pages keeps it as a member.
        chosen = i18n.known(sent(request, i18n.COOKIE))
        application = dataclasses.replace(application, language=chosen)
        if confirms:
            # Nothing is recorded until the emailed link is followed; an address with
            # an account gets an email saying so (node/accounts/confirmations.py).
            await node.confirmations.ask_to_join(application, i18n.language())
        else:
            await node.members.record(application)
    except EmailTaken:
        # The same answer as a new application (the password was hashed either way,
        # so it takes as long): whether an email belongs to a member stays private.
        pass
    if confirms:
        raise done(
            request,
            "/",
            _(
                "Check your email: we have sent an email to the address you gave. Follow the link"
                " in it within a day to send your application; nothing is recorded until you do."
                " No email? Check your spam folder, or fill in the form again."
            ),
        )
    raise done(request, "/", _("Thank you for applying.") + " " + _confirmed("join"))


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if len(token) > 100:
        raise web.HTTPNotFound()
    return token


_CONFIRMED = {
    "join": [
        N_("Your application and your signature of the charter are recorded."),
        N_("The membership secretary will look at it soon. Once approved, you can log in."),
    ],
    "register": [
        N_("You are registered. The hub will keep your name and email for this event only."),
    ],
}


def _confirmed(kind: str) -> str:
    return " ".join(_(line) for line in _CONFIRMED[kind])


async def confirm_form(request: web.Request) -> web.Response:
    """The emailed link shows a button: a mail scanner fetching links confirms nothing."""
    node = request.config_dict[NODE]
    pending = await node.confirmations.pending(_token(request))
    if pending is None:
        return render(
            request,
            "message.html",
            {
                "heading": _("This link cannot be used"),
                "paragraphs": [
                    _("It has expired or has been used already. Fill in the form again.")
                ],
                "link": {"href": "/", "text": _("Back to the start page")},
            },
            status=404,
        )
    what = _("application to join") if pending.kind == "join" else _("registration")
    return render(request, "confirm.html", {"what": what, "token": _token(request)})


async def confirm(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    # A ConfirmationError is shown by the error-pages middleware (web/security.py).
    confirmed = await node.confirmations.confirm(_token(request))
    where = f"/events/{confirmed.event.hex()}" if confirmed.event is not None else "/"
    raise done(request, where, _("Confirmed.") + " " + _confirmed(confirmed.kind))


async def login_form(request: web.Request) -> web.StreamResponse:
    next_path = safe_next(request.query.get("next", ""))
    if request.get(MEMBER) is not None:
        raise web.HTTPSeeOther(next_path or "/dashboard")
    return render(request, "login.html", {"form": {"email": ""}, "next": next_path})


def safe_next(value: str) -> str:
    """`value` if it is a path on this site, else "": never an open redirect.

    Browsers read `//host`, `/\\host` and `\\\\host` as other sites, and drop tabs
    and newlines before looking (so `/\t/host` is `//host`): a path must start with
    one "/" followed by neither "/" nor "\\", and hold no backslash, control
    character or space anywhere.
    """
    if (
        len(value) > 2000
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or "\\" in value
        or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value)
    ):
        return ""
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else ""


async def login(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    email = _field(form, "email").strip()
    password = _field(form, "password")
    next_path = safe_next(request.query.get("next", ""))
    refused = render(
        request,
        "login.html",
        {
            "form": {"email": email},
            "next": next_path,
            "errors": [_("That email address and password do not match.")],
        },
        status=400,
    )
    address = client_key(request)
    if not request.config_dict[LOGIN_GUARD].may_try(email.lower(), address, node.clock()):
        # The same answer as a wrong password: nothing tells an attacker why.
        return refused
    member = await node.members.authenticate(email, password)
    if member is None:
        request.config_dict[LOGIN_GUARD].failed(email.lower(), address, node.clock())
        return refused
    if member.status != "active":
        text = {
            "applied": "Your application is waiting for the membership secretary.",
            "suspended": "Your membership is suspended. Talk to the hub's organisers.",
        }.get(member.status, "This account cannot log in.")
        context = {"form": {"email": email}, "next": next_path, "errors": [text]}
        return render(request, "login.html", context, status=403)
    token = await node.sessions.start(member.id)
    response = web.HTTPSeeOther(next_path or "/dashboard")
    set_cookie(response, request, "hubnet_session", token)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    token = request.get(SESSION_TOKEN)
    if token:
        await node.sessions.end(token)
    response = done(request, "/", _("You are logged out."))
    response.del_cookie(cookie_name(request, "hubnet_session"), path="/")
    raise response


async def _reset_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    return render(request, "reset.html", {"errors": errors or []}, status=status)


async def reset_form(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    if await node.sessions.reset_link_member(request.match_info["token"]) is None:
        raise web.HTTPNotFound()
    return await _reset_page(request)


@refusals_on(_reset_page)
async def reset(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    if not await node.members.reset_password(request.match_info["token"], _field(form, "new")):
        raise web.HTTPNotFound()
    raise done(request, "/login", _("Password set. You can now log in with it."))


ROUTES = [
    Route("GET", "/", home, None),
    Route("GET", "/join", join_form, None),
    Route("POST", "/join", join, None),
    Route("GET", "/login", login_form, None),
    Route("POST", "/login", login, None),
    Route("POST", "/logout", logout, None),
    Route("GET", "/confirm/{token}", confirm_form, None),
    Route("POST", "/confirm/{token}", confirm, None),
    Route("GET", "/reset/{token}", reset_form, None),
    Route("POST", "/reset/{token}", reset, None),
]
