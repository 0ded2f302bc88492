"""Progress of long CLI operations: a bar on a terminal, plain lines otherwise.

On a terminal tqdm draws a bar with counts and rate on stderr; in a log or a
pipe (systemd, cron, CI) a redrawn bar is noise, so a line is printed every few
seconds and at the end instead.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

LINE_EVERY_SECONDS = 5.0


class Progress:
    def __init__(
        self, label: str, total: int | None, unit: str = "items", stream: TextIO | None = None
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.count = 0
        self._stream = stream or sys.stderr
        self._started = time.monotonic()
        self._last_line = self._started
        self._bar: Any = None
        self._closed = False
        if self._stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=f" {unit}", desc=label, file=self._stream)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(done=exc_type is None)

    def add_total(self, n: int) -> None:
        """More work found on the way (e.g. each peer's lag, learnt as it is asked)."""
        self.total = (self.total or 0) + n
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def update(self, n: int = 1) -> None:
        self.count += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last_line >= LINE_EVERY_SECONDS:
            self._last_line = now
            self._line()

    def _line(self, suffix: str = "") -> None:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        of = f"/{self.total}" if self.total is not None else ""
        print(
            f"{self.label}: {self.count}{of} {self.unit} ({self.count / elapsed:.0f}/s){suffix}",
            file=self._stream,
            flush=True,
        )

    def close(self, done: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif done:
            self._line(", done")
