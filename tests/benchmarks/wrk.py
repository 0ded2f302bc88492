"""HTTP load from wrk (Debian's package), for every HTTP row of `make bench`.

A Python client on the same two cores measures mostly itself: the node's pages
and a bare aiohttp handler both topped out near the client's own ceiling. wrk
is a C client that costs the machine little, so a row's ratio to the bare
handler, measured the same way in the same run, is the node's.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.benchmarks.common import Table

CONNECTIONS = 50

# Sends each request to the next of `paths`, round and round (wrk's own Lua API).
_PATHS_SCRIPT = """
local paths = {%s}
local n = 0
request = function()
  n = n %% #paths + 1
  return wrk.format(nil, paths[n])
end
"""


@dataclass(frozen=True)
class Load:
    rate: float  # requests a second
    p50_ms: float
    p99_ms: float


def available() -> bool:
    return shutil.which("wrk") is not None


async def wrk(
    url: str,
    seconds: float,
    *,
    connections: int = CONNECTIONS,
    cookie: str | None = None,
    paths: list[str] | None = None,
) -> Load:
    """Load `url` (or, with `paths`, each of them in turn on its host) from `connections`
    connections for `seconds`; every answer must be a 200, or this raises."""
    if not available():
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    with tempfile.TemporaryDirectory() as folder:
        if paths:
            script = Path(folder) / "paths.lua"
            quoted = ",".join(
                '"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths
            )
            script.write_text(_PATHS_SCRIPT % quoted)
            args += ["-s", str(script)]
            parts = urlsplit(url)
            url = f"{parts.scheme}://{parts.netloc}/"
        process = await asyncio.create_subprocess_exec(
            *args, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await process.communicate()
    text = out.decode()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {err.decode().strip() or text}")
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if refused:
        raise RuntimeError(f"{url}: {refused.group(1)} answers were not 200\n{text}")
    return Load(
        rate=float(_field(text, r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(_field(text, r"\n\s+50%\s+(\S+)")),
        p99_ms=_ms(_field(text, r"\n\s+99%\s+(\S+)")),
    )


def _field(text: str, pattern: str) -> str:
    found = re.search(pattern, text)
    if not found:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return found.group(1)


def _ms(value: str) -> float:
    """wrk's "812.00us", "1.23ms", "2.01s" in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


class BareBeside:
    """The bare aiohttp handler (tests/benchmarks/bare.py), measured again beside every
    row, so that a row's share of it holds while the machine's own speed drifts: on a
    shared machine it was seen to halve, and recover, within minutes, which made a
    share against one measurement at the start of a section mean little. Each row is
    taken between two runs of the bare handler and divided by their mean; the run
    after one row is the run before the next."""

    def __init__(self, port: int, seconds: float, connections: int = CONNECTIONS) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        self.seconds = seconds
        self.connections = connections
        self.runs: list[Load] = []

    async def _run(self) -> Load:
        load = await wrk(self.url, self.seconds, connections=self.connections)
        self.runs.append(load)
        return load

    async def start(self) -> None:
        """Wait for the handler to answer (it may still be starting), then measure it."""
        for _ in range(50):
            try:
                await wrk(self.url, 1, connections=1)
                break
            except RuntimeError:
                await asyncio.sleep(0.1)
        await self._run()

    async def share(self, measure: Callable[[], Awaitable[Load]]) -> tuple[Load, float]:
        """`measure()`'s load, and its rate as a share of the bare handler's beside it."""
        before = self.runs[-1]
        load = await measure()
        after = await self._run()
        return load, load.rate / ((before.rate + after.rate) / 2)

    def add_rows(self, table: Table) -> None:
        rates = [run.rate for run in self.runs]
        runs = f", median of {len(rates)} runs ({min(rates):,.0f}-{max(rates):,.0f})"
        table.add(
            f"bare aiohttp handler, wrk, {self.connections} connections"
            + (runs if len(rates) > 1 else ""),
            statistics.median(rates),
            unit="req/s",
        )
        table.add(
            "  bare handler p99, median", statistics.median(r.p99_ms for r in self.runs), unit="ms"
        )
