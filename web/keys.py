"""Typed keys for per-request state set by the web middlewares."""

from aiohttp import web

from node.accounts.members import Member
from protocol.visibility import Viewer
from web.join_guard import JoinGuard
from web.login_guard import LoginGuard
from web.registration_guard import RegistrationGuard

MEMBER = web.RequestKey("member", Member)
SESSION_TOKEN = web.RequestKey("session_token", str)
CSRF = web.RequestKey("csrf", str)
NEW_CSRF = web.RequestKey("new_csrf", bool)
NOTICES = web.RequestKey("notices", list)  # this page's status lines
UNREAD = web.RequestKey("unread", int)  # the member's unread notices (node/notices.py)
APPLICATIONS = web.RequestKey("applications", int)  # waiting, for organisers who decide
FLASH_KEY = web.AppKey("flash_key", bytes)  # signs the line a redirect shows (web/flash.py)
LOGIN_GUARD = web.AppKey("login_guard", LoginGuard)
JOIN_GUARD = web.AppKey("join_guard", JoinGuard)
REGISTRATION_GUARD = web.AppKey("registration_guard", RegistrationGuard)
# (method, route path) → the largest body that route accepts, for upload routes.
BODY_LIMITS = web.AppKey("body_limits", dict)


def viewer(request: web.Request) -> Viewer:
    """Who is asking, for the rule of who may see what event (protocol.visibility)."""
    return "member" if request.get(MEMBER) is not None else "visitor"
