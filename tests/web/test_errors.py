"""Errors carry their HTTP status and a stable code (node/errors.py), and one middleware
turns any that escapes a handler into the member's error page (web/security.py)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

import node
from node import config as settings
from node.errors import NodeError, NotAllowed, NotFound, RateLimited
from node.events.attendance import AttendanceError
from node.funds.errors import FundsError, FundsNotFound
from node.setup import init_data_dir
from node.store.outcomes import Recovering
from protocol.errors import ProtocolError
from tests.web.conftest import FAST_HASHING, Site
from web.app import create_app

# Exceptions in node/ that no member meets on a page, and why: they stay outside NodeError.
OUTSIDE_NODE_ERROR = {
    # Talking to other hubs: the federation API answers them itself (msgpack bodies).
    "node.federation.client.PeerError",
    "node.federation.client.PeerUnreachable",
    "node.federation.client.PeerRefused",
    "node.federation.client.PeerRateLimited",
    "node.federation.api.ApiError",
    # Talking to fediverse servers: the inbox answers them itself (401, 403, 413), and
    # a delivery that fails is retried later from the queue.
    "node.activitypub.remote.RemoteError",
    "node.activitypub.signatures.SignatureRefused",
    # Caught where they are raised and turned into a NodeError or a log line.
    "node.resources.FileMismatch",
    # An onion address and no proxy: an OSError like a failed lookup, so every client
    # that handles an unreachable server reports it (the peer's last error, the log).
    "node.outbound.NoOnionProxy",
    # A packaging mistake in the migrations list, found at start-up by the tests.
    "node.store.migrations.MigrationListError",
    # Another tick published that mandate first: the schedule drops its own copy.
    "node.store.mandates.AlreadyPublished",
    # The count of who is coming moved while it was being published: read it again.
    "node.events.counts._Moved",
}


def _node_modules() -> list[object]:
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(node.__path__, "node.")
        if not info.name.startswith("node.cli")
    ]


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_every_node_error_has_a_status_and_a_stable_code() -> None:
    _node_modules()
    kinds = {c for c in _subclasses(NodeError) if c.__module__.startswith("node.")}
    assert len(kinds) > 20  # the walk found the features' errors, not just node/errors.py
    for kind in kinds | {NodeError}:
        assert isinstance(kind.status, int) and 400 <= kind.status <= 599, kind
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", kind.code), kind
        assert kind.heading, kind


def test_every_error_class_in_node_is_a_node_error_unless_listed() -> None:
    strays = set()
    for module in _node_modules():
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__ == getattr(module, "__name__", "")
                and value.__module__.startswith("node.")
                and not issubclass(value, NodeError)
                # A peer's message breaking the protocol: refused and counted against
                # the peer by the federation API (docs/ARCHITECTURE.md, "Errors"), as
                # h11's RemoteProtocolError is.
                and not issubclass(value, ProtocolError)
            ):
                strays.add(f"{value.__module__}.{name}")
    assert strays <= OUTSIDE_NODE_ERROR, strays - OUTSIDE_NODE_ERROR


def test_a_feature_refusal_of_a_generic_kind_is_both() -> None:
    # Callers catching the feature's error still catch it; its status is the kind's.
    assert issubclass(FundsNotFound, FundsError) and issubclass(FundsNotFound, NotFound)
    assert FundsNotFound.status == 404 and FundsNotFound.code == "not-found"
    assert FundsError.status == 400 and AttendanceError.status == 400
    assert Recovering.status == 503


async def _raising(kind: type[NodeError], message: str) -> web.Response:
    raise kind(message)


async def test_a_node_error_escaping_a_handler_is_an_html_page_with_its_status_and_message(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(name, value)
    await init_data_dir(tmp_path / "hub", "Riverside", "http://127.0.0.1:8080", "o@example.org")
    app = create_app(settings.load(tmp_path / "hub"))
    raised = {
        "/refused": (NotAllowed, "Only the treasurer can do that.", 403),
        "/missing": (FundsNotFound, "There is no such poll.", 404),
        "/busy": (RateLimited, "Too many at once: try again in a minute.", 429),
        "/recovering": (Recovering, "The hub is catching up with its own log.", 503),
        "/plain": (NodeError, "That cannot be done & nothing changed.", 400),
    }
    for path, (kind, message, _) in raised.items():

        async def handler(request: web.Request, k: type = kind, m: str = message) -> web.Response:
            return await _raising(k, m)

        app.router.add_get(path, handler)
    client = await aiohttp_client(app)
    for path, (kind, message, status) in raised.items():
        response = await client.get(path)
        assert response.status == status, path
        assert response.content_type == "text/html"
        page = await response.text()
        assert message.replace("&", "&amp;") in page
        assert f"<h1>{kind.heading}</h1>" in page
        assert "Traceback" not in page and "node/errors.py" not in page


async def test_a_missing_thing_behind_a_form_is_a_404_page_saying_so(site: Site) -> None:
    await site.login("organiser@example.org")
    response = await site.post("/directory/4242/remove")
    assert response.status == 404
    assert "There is no such entry." in await response.text()


async def test_a_refused_form_is_shown_again_with_the_status_of_its_error(site: Site) -> None:
    await site.login("organiser@example.org")
    # Refused for want of a title: the form comes back, filled in, with a 400.
    response = await site.post("/mutual-aid", {"type": "offer", "title": "", "text": "Soup"})
    assert response.status == 400
    page = await response.text()
    assert "Give your post a title" in page and "Soup" in page
