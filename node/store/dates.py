"""Times in the member's data download: ISO 8601 in UTC, not epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_time(ms: int | None) -> str | None:
    """2025-03-31T18:00:00Z for a time kept as milliseconds since 1970; None stays None."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace(
        "+00:00", "Z"
    )
