"""How hard the soak tests push: a quick version in `make test`, the full one in `make faults`.

`make faults` sets SOAK=full and SOAK_REPORT to a file; each
soak test appends one line of figures to it, and tests.faults.summary prints
them as a table.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

# Not HUBNET_*: the node refuses environment variables that are not its settings.
FULL = os.environ.get("SOAK") == "full"


def _count(name: str, full: float, quick: float) -> float:
    """The figure for this run; SOAK_<NAME> overrides it (e.g. for a shorter soak)."""
    override = os.environ.get(f"SOAK_{name}")
    return float(override) if override else (full if FULL else quick)


KILLS = int(_count("KILLS", 200, 4))
PARTITION_ROUNDS = int(_count("ROUNDS", 10, 1))
DOWN_MESSAGES = int(_count("DOWN_MESSAGES", 1000, 40))
DOWN_SECONDS = _count("DOWN_SECONDS", 60.0, 3.0)
# Requests from the seeded mutator (cheap, so many); hypothesis's own run is smaller.
FUZZ_REQUESTS = int(_count("FUZZ", 100_000, 1000))
FUZZ_HYPOTHESIS = int(_count("FUZZ_HYPOTHESIS", 1000, 100))
# Concurrent keep-alive connections the mutator's requests are spread over: 16 kept
# both cores of a small machine busy (124 requests a second against 83 with 4).
FUZZ_CONNECTIONS = int(_count("FUZZ_CONNECTIONS", 16, 4))
# A test's own time limit, seconds: pytest's default (120 s) is for the quick version.
TIMEOUT = 3600 if FULL else 300


def report(name: str, started: float, **figures: object) -> None:
    """Append one soak test's figures (and its time taken) to the run's report file."""
    line = {"test": name, "seconds": round(time.monotonic() - started, 1), **figures}
    print(f"\n{name}: {line}")
    path = os.environ.get("SOAK_REPORT")
    if path:
        with Path(path).open("a") as out:
            out.write(json.dumps(line) + "\n")
