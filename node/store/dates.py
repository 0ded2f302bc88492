"""Times in the member's data download: ISO 8601 in UTC, not epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def iso_time(ms: int | None) -> str | None:
    """2025-03-31T18:00:00Z for a time kept as milliseconds since 1970; None stays None."""
    if ms is None:
        return None
    return (
        datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def dated(value: Any) -> Any:
    """`value` with every `…_ms` key's time written as ISO 8601 under the name without
    `_ms` (`created_at_ms: 1743444000000` becomes `created_at: "2025-03-31T18:00:00Z"`),
    through nested lists and dicts: the data download is read by people."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and key.endswith("_ms") and (item is None or type(item) is int):
                out[key.removesuffix("_ms")] = iso_time(item)
            else:
                out[key] = dated(item)
        return out
    if isinstance(value, list):
        return [dated(item) for item in value]
    return value
