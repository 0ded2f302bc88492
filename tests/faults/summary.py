"""Print the figures `make faults` collected as a table: python -m tests.faults.summary FILE."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(lines: list[dict[str, object]]) -> str:
    rows = [("test", "figures", "time")]
    for line in lines:
        figures = ", ".join(f"{k}={v}" for k, v in line.items() if k not in ("test", "seconds"))
        rows.append((str(line["test"]), figures, f"{line['seconds']} s"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    out = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    out.insert(1, "-+-".join("-" * w for w in widths))
    total = sum(float(str(line["seconds"])) for line in lines)
    return "\n".join([*out, f"total: {total:.0f} s"])


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(".faults-report.jsonl")
    if not path.exists():
        print(f"no figures in {path}: did the soak tests run?", file=sys.stderr)
        return 1
    lines = [json.loads(text) for text in path.read_text().splitlines() if text.strip()]
    print(table(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
