"""A hub served in this test process, from a thread, so a test can reach into its database.

Most fault tests drive `hubnet run` processes. A few need to break the running
node's own SQLite connection (make it read-only, or fill it to its page limit)
while it serves; this runs the same `create_app` on a real port, in a thread
with its own event loop, and lets the test run coroutines on that loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from node import config as settings
from node.appkeys import NODE
from node.node import Node
from node.setup import init_data_dir
from tests.integration.network import FAST, free_port
from tests.integration.procs import run_cli
from web.app import create_app

_T = TypeVar("_T")


class InProcessHub:
    """Like `tests.integration.network.Hub`, it belongs to no network until one is founded
    (`found_network`, once it runs), and runs with the same FAST timings: a pull refused
    while a peer is still recording the invite it accepted is tried again in seconds,
    not minutes."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.data_dir = root / name.lower()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._app: web.Application | None = None
        self._error: BaseException | None = None

    @property
    def node(self) -> Node:
        assert self._app is not None
        return self._app[NODE]

    @property
    def node_id(self) -> str:
        return str(self.node.node_id)

    def cli(self, *words: str) -> str:
        """`hubnet WORDS…` on this hub's data directory, from another process, as an
        organiser would run it beside the running node; its output, or fail."""
        split = 2 if words[0] in ("peer", "resource", "motion", "network") else 1
        result = run_cli(*words[:split], "--data-dir", str(self.data_dir), *words[split:])
        assert result.returncode == 0, f"hubnet {' '.join(words)}: {result.stderr}"
        return result.stdout

    def start(self) -> InProcessHub:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(60) or self._error is not None:
            raise RuntimeError(f"{self.name} did not start: {self._error}")
        return self

    def _run(self, ready: threading.Event) -> None:
        async def serve() -> None:
            try:
                if not (self.data_dir / "config.toml").exists():
                    await init_data_dir(
                        self.data_dir,
                        self.name,
                        self.url,
                        f"organiser@{self.name.lower()}.example",
                        network=False,
                    )
                self._app = create_app(settings.load(self.data_dir, environ={**os.environ, **FAST}))
                runner = web.AppRunner(self._app, shutdown_timeout=1)
                await runner.setup()
                await web.TCPSite(runner, "127.0.0.1", self.port).start()
            except BaseException as exc:
                self._error = exc
                ready.set()
                raise
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            ready.set()
            try:
                await self._stop.wait()
            finally:
                await runner.cleanup()

        asyncio.run(serve())

    def run(self, make: Callable[[Node], Awaitable[_T]], timeout: float = 30) -> _T:
        """Run `make(node)` on the hub's event loop and return its result."""
        assert self._loop is not None

        async def call() -> _T:
            return await make(self.node)

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)
            self._loop = None

    def __repr__(self) -> str:
        return f"InProcessHub({self.name!r}, {self.url})"
