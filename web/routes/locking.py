"""The panic lock and the unlock page: members' personal data sealed at rest
(node/atrest.py).

An organiser who may set up the hub locks it from Operations with a second, confirming
form (no script needed): the key is forgotten and every session ends, theirs too.
Anyone may open /unlock, but only the passphrase or a key file opens the hub; tries
are limited per address as logins are (web/login_guard.py), and scrypt makes each
guess at a passphrase slow.
"""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.atrest import WrongKey
from node.store.sealing import KEY_FILE_BYTES
from web.client_address import client_key
from web.flash import done
from web.i18n import _
from web.keys import LOGIN_GUARD, MEMBER
from web.rendering import render
from web.routes import Route

# One guard for logins and unlocking; unlocking counts against its own "account" per
# address, so a visitor cannot stop an organiser unlocking from elsewhere.
_UNLOCK = "unlock:"


async def unlock_form(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    return render(request, "unlock.html", {"locked": node.atrest.locked, "errors": []})


async def unlock(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    if not node.atrest.locked:
        raise done(request, "/login", _("The hub is already unlocked."))
    form = await request.post()
    passphrase = form.get("passphrase")
    upload = form.get("key_file")
    key_file = None
    if isinstance(upload, web.FileField) and upload.filename:
        key_file = upload.file.read(KEY_FILE_BYTES + 1)
    address, guard, now = client_key(request), request.config_dict[LOGIN_GUARD], node.clock()
    refused = _("That passphrase or key file does not unlock this hub.")
    if not guard.may_try(_UNLOCK + address, address, now):
        refused = _("Too many tries from your address. Wait a quarter of an hour and try again.")
    else:
        try:
            await node.atrest.unlock(
                passphrase if isinstance(passphrase, str) and passphrase else None, key_file
            )
        except WrongKey:
            guard.failed(_UNLOCK + address, address, now)
        else:
            raise done(request, "/login", _("The hub is unlocked. Members can log in again."))
    context = {"locked": True, "errors": [refused]}
    return render(request, "unlock.html", context, status=403)


async def lock_form(request: web.Request) -> web.StreamResponse:
    return render(request, "lock.html", {})


async def lock(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await node.atrest.lock(request[MEMBER], "locked from the Operations page")
    # Every session has ended, this organiser's too: the page says what happened.
    return render(request, "locked.html", {"just_locked": True}, status=200)


ROUTES = [
    Route("GET", "/unlock", unlock_form, None),
    Route("POST", "/unlock", unlock, None),
    Route("GET", "/organise/lock", lock_form, Permission.SET_UP_HUB),
    Route("POST", "/organise/lock", lock, Permission.SET_UP_HUB),
]
