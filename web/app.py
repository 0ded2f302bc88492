"""The application factory: one node's HTTP front ends over its services.

No globals: everything hangs off the app via typed keys, so several nodes can
run in one test process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from node.appkeys import FEDERATION, NODE
from node.clock import Clock, system_clock
from node.config import Config
from node.federation import discovery
from node.federation.api import PREFIX as FEDERATION_PREFIX
from node.federation.api import create_federation_app
from node.federation.service import Federation
from node.node import Node
from node.onion import own_onion_url
from node.wording import Wording
from protocol.federation import MAX_BODY_BYTES
from web import flash, health, kept_pages, metrics, rendering, routes
from web.client_address import ADDRESS_KEYS, AddressKeys
from web.join_guard import JoinGuard
from web.keys import FLASH_KEY, JOIN_GUARD, LOGIN_GUARD, REGISTRATION_GUARD
from web.login_guard import LoginGuard
from web.middleware import node_middleware
from web.onion import ONION_URL
from web.registration_guard import RegistrationGuard
from web.routes import activitypub as activitypub_routes
from web.routes.account import NETWORK_NEWS, NetworkNews
from web.routes.calendar import RENDERED_CALENDARS, RenderedCalendars
from web.routes.public import PUBLIC_PAGE, PublicPage
from web.wording import in_language

STATIC = Path(__file__).parent / "static"


def create_app(
    config: Config, clock: Clock = system_clock, passphrase: str | None = None
) -> web.Application:
    """The node's application; `passphrase` unlocks members' details at start (refused
    start-up if it does not), for `hubnet run --ask-passphrase`."""
    # aiohttp takes the body limit from the root app: the federation API's (8 MiB).
    # The members' pages refuse more than FORM_MAX_BYTES themselves (web/security.py).
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[node_middleware],
    )
    app[FLASH_KEY] = flash.new_key()
    app[LOGIN_GUARD] = LoginGuard()
    app[JOIN_GUARD] = JoinGuard()
    app[REGISTRATION_GUARD] = RegistrationGuard()
    app[ADDRESS_KEYS] = AddressKeys(clock)
    app[PUBLIC_PAGE] = PublicPage()
    app[RENDERED_CALENDARS] = RenderedCalendars()
    app[NETWORK_NEWS] = NetworkNews()
    kept_pages.setup(app)
    rendering.setup(app)

    async def node_context(app: web.Application) -> AsyncIterator[None]:
        # Read once at start: tor writes the hostname file before the node starts
        # (deploy/hubnet.service runs after tor), and a missing one stops the start
        # with a sentence saying so.
        app[ONION_URL] = own_onion_url(config) or ""

        # Notices and emails in each member's language, from the pages' catalogue, with
        # times in the hub's zone (read when a notice is written: the node exists then).
        def words(language: str, text: Wording | str) -> str:
            return in_language(language, text, app[NODE].profile.zone)

        node = await Node.open(config, clock, words=words)
        if passphrase is not None and node.atrest.locked:
            try:
                await node.atrest.unlock(passphrase)
            except BaseException:
                await node.close()
                raise
        federation = Federation(node)
        app[NODE] = node
        app[FEDERATION] = federation
        # Pages that keep the news a moment show a change at once.
        node.news.on_change += [app[PUBLIC_PAGE].forget, app[NETWORK_NEWS].forget]
        # Locking drops every page kept with a member's details in it.
        node.atrest.on_lock.append(app[kept_pages.KEPT_PAGES].clear)
        await federation.start()
        await node.start()
        yield
        await node.stop()
        await federation.stop()
        await node.close()

    app.cleanup_ctx.append(node_context)
    health.setup(app)
    metrics.setup(app)
    discovery.setup(app)
    activitypub_routes.setup(app)
    app.add_subapp(FEDERATION_PREFIX, create_federation_app())
    routes.setup(app)
    app.router.add_static("/static/", STATIC, append_version=False)
    return app
