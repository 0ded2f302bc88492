"""Typed keys for per-request state set by the web middlewares."""

from aiohttp import web

from node.accounts.members import Member
from web.login_guard import LoginGuard

MEMBER = web.RequestKey("member", Member)
SESSION_TOKEN = web.RequestKey("session_token", str)
CSRF = web.RequestKey("csrf", str)
NEW_CSRF = web.RequestKey("new_csrf", bool)
NOTICES = web.RequestKey("notices", list)  # this page's status lines
UNREAD = web.RequestKey("unread", int)  # the member's unread notices (node/notices.py)
LOGIN_GUARD = web.AppKey("login_guard", LoginGuard)
