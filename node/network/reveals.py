"""Revealing this hub's sealed votes once their motions close, with nobody asked to."""

from __future__ import annotations

import asyncio
import logging

from node.assembly import Assembly
from node.network.background import Loop

log = logging.getLogger(__name__)

# How often to look: a motion's reveal window is a week, and the sooner the result is
# final the better; looking costs one small query while nothing is due.
INTERVAL_SECONDS = 5.0


class AutoReveal:
    def __init__(self, assembly: Assembly, interval: float = INTERVAL_SECONDS) -> None:
        self._assembly = assembly
        self._interval = interval
        self._loop = Loop("auto-reveal", self._run)

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            try:
                for message in await self._assembly.reveal_due():
                    log.info("revealed this hub's sealed vote (%s)", message.id.hex()[:12])
            except Exception:  # logged; tried again at the next look
                log.exception("revealing a sealed vote failed")
            await asyncio.sleep(self._interval)
